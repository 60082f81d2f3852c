"""careshift.engine."""
