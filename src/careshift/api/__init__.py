"""careshift.api."""
