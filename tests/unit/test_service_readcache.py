"""The current-recommendation cache: fresh for ``ttl``, dropped by this process's writes, and
never refilled by a load that raced with a write."""

from __future__ import annotations

import threading

from careshift.domain.decisions import Outcome
from careshift.domain.recommendations import UnitMode
from careshift.service.errors import SolverFailed
from careshift.service.messages import RecordDecision, RepairAfterCallOut
from careshift.service.readcache import ReadCache
from tests.unit.service_builders import UNIT, ScriptedSolver, called_out, current_roster, rig


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_served_until_its_ttl_then_loaded_again() -> None:
    ticks = Ticks()
    cache: ReadCache[int] = ReadCache(2.0, clock=ticks)
    loads = iter(range(10))
    assert cache.get("4W", lambda: next(loads)) == 0
    ticks.now = 1.9
    assert cache.peek("4W") == (True, 0)
    assert cache.get("4W", lambda: next(loads)) == 0
    ticks.now = 2.1
    assert cache.peek("4W") == (False, None)
    assert cache.get("4W", lambda: next(loads)) == 1


def test_invalidate_forgets_every_unit() -> None:
    cache: ReadCache[str] = ReadCache(60.0)
    cache.get("4W", lambda: "a")
    cache.get("5E", lambda: "b")
    cache.invalidate()
    assert cache.peek("4W") == (False, None)
    assert cache.peek("5E") == (False, None)


def test_a_load_that_straddles_a_write_is_not_remembered() -> None:
    cache: ReadCache[str] = ReadCache(60.0)
    loading, written = threading.Event(), threading.Event()

    def slow_load() -> str:
        loading.set()
        written.wait(5)
        return "before the write"

    reader = threading.Thread(target=lambda: cache.get("4W", slow_load))
    reader.start()
    loading.wait(5)
    cache.invalidate()  # the write commits while the read is in flight
    written.set()
    reader.join(5)
    assert cache.peek("4W") == (False, None)
    assert cache.get("4W", lambda: "after the write") == "after the write"


def test_ttl_zero_turns_the_cache_off() -> None:
    cache: ReadCache[int] = ReadCache(0.0)
    loads = iter(range(10))
    assert [cache.get("4W", lambda: next(loads)) for _ in range(3)] == [0, 1, 2]


def test_the_service_reads_its_own_writes_through_the_cache() -> None:
    setup = rig(ScriptedSolver(error=SolverFailed("down")), mode=UnitMode.RECOMMEND)
    service, bus = setup.service, setup.bus
    service.current_cache = ReadCache(3600.0)
    gone = called_out(current_roster())
    setup.planning.call_out(UNIT, gone.staff, gone.day)
    assert service.current(UNIT) is None  # cached "nothing waiting" ...
    made = bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert made is not None
    current = service.current(UNIT)  # ... is dropped by the repair's write
    assert current is not None and current.id == made.id
    bus.handle(RecordDecision(made.id, Outcome.ACCEPTED, "bob", "charge nurse"))
    assert service.current(UNIT) is None  # accepted: no longer waiting, at once
