"""A small message bus: each command goes to its one handler, each event to its handlers.

Events a handler raises are handled after it, in order, before ``handle`` returns; an
event handler that fails is logged and skipped (the command it followed has already
committed). Canonical input events enter here too, once the event log holds them (the
event feed of :mod:`careshift.service.event_feed` hands them over): ``StaffCalledOut``
notes its unit in the per-unit debouncer; census events go through the demand watch
(:mod:`careshift.service.triggers`), whose crossings note the unit with their cause and
window. ``tick`` turns the units that are due into ``RepairAfterCallOut`` commands, or
``RepairAfterDemandChange`` when a demand trigger is among the causes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from careshift.domain.errors import CareshiftError
from careshift.domain.events import Event as InputEvent
from careshift.domain.events import StaffCalledOut
from careshift.service.debounce import Debouncer, DueRepair
from careshift.service.messages import (
    ApproveRecommendation,
    ChangeUnitMode,
    Command,
    Event,
    PlanUnit,
    RecommendationMade,
    RecordDecision,
    RepairAfterCallOut,
    RepairAfterDemandChange,
    RepairUnit,
)
from careshift.service.triggers import DemandWatch
from careshift.service.usecases import DecisionService, PlanOutcome

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], list[Event]]


@dataclass
class MessageBus:
    """Routes commands and events to the decision service's use cases."""

    service: DecisionService
    debouncer: Debouncer = field(default_factory=Debouncer)
    extra_handlers: dict[type[Event], list[EventHandler]] = field(default_factory=dict)
    watch: DemandWatch | None = None

    def handle(self, message: Command | Event | InputEvent) -> Any:
        """Handle ``message`` and every event it leads to; return the command's result."""
        if isinstance(message, InputEvent):
            self.take([message])
            return None
        queue: list[Event] = []
        result: Any = None
        if isinstance(message, Command):
            result, queue = self._command(message)
        else:
            queue = [message]
        while queue:
            event = queue.pop(0)
            for handler in self._event_handlers(event):
                try:
                    queue.extend(handler(event))
                except CareshiftError:
                    log.exception(
                        "handler %s failed on %s", getattr(handler, "__name__", handler), type(event).__name__
                    )
        return result

    def _command(self, command: Command) -> tuple[Any, list[Event]]:
        service = self.service
        if isinstance(command, PlanUnit | RepairUnit):
            return service.plan(command)
        if isinstance(command, RecordDecision):
            return service.decide(command)
        if isinstance(command, ApproveRecommendation):
            return service.approve(command)
        if isinstance(command, ChangeUnitMode):
            return service.change_mode(command)
        raise TypeError(f"no handler for command {type(command).__name__}")

    def _event_handlers(self, event: Event) -> list[EventHandler]:
        handlers: list[EventHandler] = []
        if isinstance(event, RecommendationMade):
            handlers.append(lambda e: self.service.auto_apply(e))  # type: ignore[arg-type]
        handlers.extend(self.extra_handlers.get(type(event), []))
        return handlers

    def take(self, events: Sequence[InputEvent]) -> None:
        """Note what newly logged input events ask for: call-outs and demand crossings."""
        now = self.service.clock()  # quiet is measured from when the bus learned, not when the source did
        for event in events:
            if isinstance(event, StaffCalledOut) and event.unit is not None:
                self.debouncer.note(event.unit, now, f"{event.source_system}:{event.source_id}")
        if self.watch is None:
            return
        for crossing in self.watch.observe(events):
            self.debouncer.note(crossing.unit, now, crossing.cause, window=crossing.window, demand=True)

    def tick(self) -> list[PlanOutcome]:
        """Repair every unit whose debounce window has closed; returns the outcomes."""
        outcomes: list[PlanOutcome] = []
        for due in self.debouncer.due(self.service.clock()):
            try:
                outcomes.append(self.handle(repair_command(due)))
            except CareshiftError:
                log.exception("repair of unit %s failed", due.unit)
        return outcomes


def repair_command(due: DueRepair) -> RepairUnit:
    """The repair a due unit gets: after a demand change when a trigger is among its causes."""
    kind = RepairAfterDemandChange if due.demand else RepairAfterCallOut
    return kind(due.unit, due.causes, due.first_day, due.last_day)
