"""careshift: an open-source staffing decision service for hospitals."""

__version__ = "0.1.0"
