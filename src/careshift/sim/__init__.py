"""careshift.sim."""
