"""Keyed hashes of patient and encounter ids: the shared
:class:`careshift.adapters.keyed_hash.KeyedHasher`, kept under its HL7 name for callers."""

from __future__ import annotations

from careshift.adapters.keyed_hash import KEY_ENV, MIN_KEY_BYTES, KeyedHasher

IdentifierHasher = KeyedHasher

__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "IdentifierHasher", "KeyedHasher"]
