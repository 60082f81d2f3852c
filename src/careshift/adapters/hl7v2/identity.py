"""Former home of the HL7 identifier hasher, kept only so code written against it on other
branches still imports: use :class:`careshift.adapters.keyed_hash.KeyedHasher`, the one
keyed hasher of every adapter."""

from __future__ import annotations

from careshift.adapters.keyed_hash import KEY_ENV, MIN_KEY_BYTES, KeyedHasher

IdentifierHasher = KeyedHasher

__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "IdentifierHasher"]
