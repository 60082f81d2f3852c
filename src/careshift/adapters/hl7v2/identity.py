"""Keyed hashes that replace patient and encounter identifiers at the adapter boundary.

HMAC-SHA256 with a secret key: the same identifier always maps to the same token (so a
cancellation can find the admission it cancels), but without the key nobody can test a
guessed medical record number against the token. The key comes from settings
(``CARESHIFT_ID_HASH_KEY``, at least 16 bytes) and is never stored beside the data.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from careshift.domain.errors import ServiceUnavailableError

KEY_ENV = "CARESHIFT_ID_HASH_KEY"
MIN_KEY_BYTES = 16


class IdentifierHasher:
    """Turns raw identifiers into ``<kind>:<32 hex chars>`` tokens."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ServiceUnavailableError(
                f"the identifier hash key has {len(key)} bytes; use at least {MIN_KEY_BYTES} random bytes "
                f"(e.g. `export {KEY_ENV}=$(openssl rand -hex 32)`)"
            )
        self._key = key

    @classmethod
    def from_env(cls) -> IdentifierHasher:
        """The hasher keyed by ``$CARESHIFT_ID_HASH_KEY``; refuses to run without one."""
        value = os.environ.get(KEY_ENV, "")
        if not value:
            raise ServiceUnavailableError(
                f"{KEY_ENV} is not set: patient and encounter ids must be hashed with a secret key; "
                f"set it to a random value (e.g. `export {KEY_ENV}=$(openssl rand -hex 32)`) and keep it stable"
            )
        return cls(value.encode())

    def token(self, kind: str, *parts: str) -> str:
        """A stable keyed token for the identifier made of ``parts`` (e.g. id and assigning authority)."""
        message = "\x1f".join((kind, *parts)).encode()
        return f"{kind}:{hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]}"
