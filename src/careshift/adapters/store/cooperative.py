"""PostgreSQL connections that wait for the server on the asyncio event loop when asked to.

The API runs its writes (decisions, approvals) one at a time on its event loop thread, each in
a greenlet (``service.commits.SerialWriter`` with ``on_loop``; SQLAlchemy's ``greenlet_spawn``).
Their code stays synchronous; only where psycopg would block on the socket does the greenlet
hand control back to the loop, which serves other requests until the server answers. Writes on
a thread of their own cost about a third more CPU per decision: every round trip released the
interpreter lock, and the writer thread then queued for it behind the busy event loop.

A connection made here behaves exactly like psycopg's own everywhere else: outside such a
greenlet (background threads, the command line) it blocks as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg import waiting
from psycopg.abc import PQGen
from sqlalchemy.util.concurrency import await_, greenlet_spawn, in_greenlet

_WAIT_INTERVAL = 0.1  # psycopg's own
RV = TypeVar("RV")


class CooperativeConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits yield to the event loop inside ``greenlet_spawn``."""

    def wait(self, gen: PQGen[RV], interval: float = _WAIT_INTERVAL, timeout: float | None = None) -> RV:
        if in_greenlet():
            return await_(waiting.wait_async(gen, self.pgconn.socket, interval=interval, timeout=timeout))
        return super().wait(gen, interval, timeout)


def cooperative_connect(_dialect: Any, _record: Any, arguments: list[Any], options: dict[str, Any]) -> Any:
    """SQLAlchemy ``do_connect`` listener: make the engine's connections cooperative. Inside a
    write on the loop, the connect itself (DNS, TCP, authentication: psycopg's connect does not
    go through ``wait``) runs on a worker thread, so a database restart never stalls the loop."""
    if in_greenlet():
        return await_(asyncio.to_thread(CooperativeConnection.connect, *arguments, **options))
    return CooperativeConnection.connect(*arguments, **options)


async def run_cooperatively(function: Callable[..., RV], *args: Any) -> RV:
    """Run ``function(*args)`` on this event loop in a greenlet: the database waits of its
    cooperative connections yield to the loop (``service.commits.Cooperative``)."""
    return await greenlet_spawn(function, *args)
