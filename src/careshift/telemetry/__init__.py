"""careshift.telemetry."""
