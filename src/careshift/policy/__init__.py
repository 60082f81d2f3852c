"""careshift.policy."""
