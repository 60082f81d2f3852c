"""careshift.sim: a seeded synthetic hospital and a naive roster to check against it."""

from careshift.sim.hospital import generate_hospital
from careshift.sim.naive import naive_roster

__all__ = ["generate_hospital", "naive_roster"]
