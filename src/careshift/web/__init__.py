"""careshift.web."""
