"""An append-only, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so changing,
removing or reordering any entry breaks every later link; ``verify`` names the first
broken entry. Storage sits behind ``AuditStore``; ``MemoryAuditStore`` is the in-process one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from careshift.domain.time import require_aware

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One state change or schedule-changing API call: who, in which scope, did what."""

    seq: int
    at: datetime
    actor: str
    scope: str
    action: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str

    def canonical(self) -> bytes:
        return canonical_bytes(self.seq, self.at, self.actor, self.scope, self.action, self.payload, self.prev_hash)


def canonical_bytes(
    seq: int, at: datetime, actor: str, scope: str, action: str, payload: Mapping[str, Any], prev_hash: str
) -> bytes:
    """The exact bytes an entry's hash covers: sorted-key JSON, with ``at`` in ISO 8601 at the
    offset it was given (not converted to UTC), so a store must keep that text as written."""
    body = {
        "seq": seq,
        "at": require_aware(at, "audit time").isoformat(),
        "actor": actor,
        "scope": scope,
        "action": action,
        "payload": payload,
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


class AuditStore(Protocol):
    def append(self, entry: AuditEntry) -> None: ...

    def entries(self) -> Iterable[AuditEntry]: ...

    def last(self) -> AuditEntry | None: ...


@dataclass
class MemoryAuditStore:
    """Audit entries in a list (tests, the embedded demo)."""

    items: list[AuditEntry] = field(default_factory=list)

    def append(self, entry: AuditEntry) -> None:
        self.items.append(entry)

    def entries(self) -> Iterable[AuditEntry]:
        return list(self.items)

    def last(self) -> AuditEntry | None:
        return self.items[-1] if self.items else None


def record(
    store: AuditStore, *, at: datetime, actor: str, scope: str, action: str, payload: Mapping[str, Any]
) -> AuditEntry:
    """Append one entry chained to the store's last entry and return it."""
    last = store.last()
    seq = 0 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    digest = hashlib.sha256(canonical_bytes(seq, at, actor, scope, action, payload, prev)).hexdigest()
    entry = AuditEntry(seq, at, actor, scope, action, dict(payload), prev, digest)
    store.append(entry)
    return entry


@dataclass(frozen=True)
class ChainReport:
    """Result of ``verify``: ``ok`` or the first broken entry and why."""

    entries: int
    ok: bool
    broken_at: int | None = None
    problem: str = ""


def verify(entries: Iterable[AuditEntry]) -> ChainReport:
    """Recompute every link; report the first entry whose content or link was altered."""
    prev = GENESIS
    count = 0
    for expected_seq, entry in enumerate(entries):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, False, entry.seq, f"sequence gap: expected {expected_seq}, found {entry.seq}")
        if entry.prev_hash != prev:
            return ChainReport(count, False, entry.seq, "link to the previous entry does not match (entry removed?)")
        if hashlib.sha256(entry.canonical()).hexdigest() != entry.hash:
            return ChainReport(count, False, entry.seq, "content does not match its hash (entry altered)")
        prev = entry.hash
    return ChainReport(count, True)
