"""The pure domain of careshift: standard library only, frozen dataclasses."""
