"""careshift.service."""
