"""Keyed hashes that replace patient and encounter identifiers at the adapter boundary.

A keyed hash (HMAC-SHA256) is stable for a given key, so a later message about the same
encounter (a discharge, a cancellation) finds the events of the first one, but it cannot be
reversed or recomputed without the key, unlike a plain hash of a guessable MRN.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from careshift.domain.errors import DomainError


@dataclass(frozen=True)
class KeyedHasher:
    """HMAC-SHA256 of ``(namespace, identifier)`` under a secret ``key``.

    ``namespace`` keeps ids of different kinds or systems apart (``Encounter`` 12 and
    ``Patient`` 12 hash differently). The result is 32 hex characters (128 bits), enough to
    make collisions between a hospital's encounters negligible.
    """

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise DomainError(
                "the pseudonymisation key must be at least 16 bytes; generate one with `openssl rand -hex 32`"
            )

    def __call__(self, namespace: str, identifier: str) -> str:
        message = f"{namespace}\x1f{identifier}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]
