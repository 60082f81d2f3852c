"""careshift.adapters."""
