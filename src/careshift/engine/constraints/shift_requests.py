"""Requests to work, or not to work, particular shifts."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel


def honour_shift_requests(m: EngineModel, rule: Rule) -> None:
    """Grant on-requests and off-requests (Curtois shift-on/off, INRC-II S4).

    Soft: 1 unit per breached request, factor the request's ``weight``, times
    ``rule.weight``. Hard: a breach is forbidden.
    """
    members = {member.id for member in m.staff_in_scope(rule)}
    for request in m.problem.requests:
        if request.staff not in members or request.day not in m.problem.horizon:
            continue
        if request.shift is not None and request.shift not in m.shift_ids:
            if request.on:
                # a request for a shift type that does not exist can never be granted
                m.penalise(
                    rule,
                    1,
                    request.weight,
                    request.staff,
                    m.problem.horizon.index(request.day),
                    "request_on_unknown_shift",
                )
            continue
        d = m.problem.horizon.index(request.day)
        literal = m.works(request.staff, d) if request.shift is None else m.on_shift(request.staff, d, request.shift)
        kind = "on" if request.on else "off"
        label = f"request_{kind}[nurse={request.staff},day={d},shift={request.shift or '*'}]"
        if rule.hard:
            m.hard(rule, m.model.add(literal == (1 if request.on else 0)), request.staff)
        else:
            m.penalise(rule, literal.Not() if request.on else literal, request.weight, request.staff, d, label)
