"""careshift.forecast."""
