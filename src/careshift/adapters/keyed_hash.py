"""Keyed hashes that replace patient and encounter identifiers at the adapter boundary.

One implementation for every adapter (HL7 v2, FHIR, CSV), so the same encounter gets the
same token whichever feed reports it. HMAC-SHA256 with a secret key: the same identifier
always maps to the same token (so a cancellation or a discharge finds the admission it
belongs to), but without the key nobody can test a guessed medical record number against
the token, unlike a plain hash. The key comes from settings (``CARESHIFT_ID_HASH_KEY``, at
least 16 bytes) and is never stored beside the data.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from careshift.domain.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from careshift.settings import Settings

KEY_ENV = "CARESHIFT_ID_HASH_KEY"
MIN_KEY_BYTES = 16

FHIR_KINDS = {"Encounter": "enc", "Patient": "pat"}
"""FHIR resource types whose ids are the identifiers HL7 hashes as ``enc`` / ``pat``."""


@dataclass(frozen=True)
class KeyedHasher:
    """Turns raw identifiers into ``<kind>:<32 hex chars>`` tokens (128 bits of HMAC-SHA256).

    ``kind`` keeps identifiers of different kinds apart (encounter ``12`` and patient ``12``
    hash differently); HL7 v2 passes ``enc``/``pat`` with the id and its assigning
    authority. Called as ``hasher(resource_type, id)`` (the FHIR mapping's signature), an
    Encounter or Patient id hashes exactly like an HL7 visit number or patient id without an
    assigning authority, so both feeds agree on the token of the same encounter.
    """

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_BYTES:
            raise ServiceUnavailableError(
                f"the identifier hash key has {len(self.key)} bytes; use at least {MIN_KEY_BYTES} random bytes "
                f"(e.g. `export {KEY_ENV}=$(openssl rand -hex 32)`)"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyedHasher:
        """The hasher keyed by ``settings.id_hash_key``; refuses to run without one."""
        value = settings.id_hash_key.get_secret_value() if settings.id_hash_key is not None else ""
        if not value:
            raise ServiceUnavailableError(
                f"{KEY_ENV} is not set: patient and encounter ids must be hashed with a secret key; "
                f"set it to a random value (e.g. `export {KEY_ENV}=$(openssl rand -hex 32)`) and keep it stable"
            )
        return cls(value.encode())

    @classmethod
    def from_env(cls) -> KeyedHasher:
        """The hasher keyed by ``$CARESHIFT_ID_HASH_KEY`` (read through :class:`Settings`)."""
        from careshift.settings import Settings

        return cls.from_settings(Settings())

    def token(self, kind: str, *parts: str) -> str:
        """A stable keyed token for the identifier made of ``parts`` (e.g. id and assigning authority)."""
        message = "\x1f".join((kind, *parts)).encode()
        return f"{kind}:{hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]}"

    def __call__(self, resource_type: str, identifier: str) -> str:
        """The token of a FHIR resource id; Encounter and Patient match HL7's ``enc``/``pat``
        tokens of the same id (with an empty assigning authority, as PV1-19.4/PID-3.4 give
        when the sender leaves them out)."""
        kind = FHIR_KINDS.get(resource_type)
        if kind is None:
            return self.token(resource_type, identifier)
        return self.token(kind, identifier, "")
