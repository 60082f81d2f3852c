from datetime import UTC, datetime, timedelta

import jwt
import pytest

from careshift.api.auth import AuthError, authenticate, generate_keys, mint
from careshift.domain.errors import DomainError

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
KEYS = generate_keys()


def test_round_trip_carries_scopes_and_units() -> None:
    token = mint(KEYS, subject="alice", scopes=["staffing.read", "staffing.decide"], units=["4W"], now=NOW)
    principal = authenticate(token, KEYS.public_pem, now=NOW + timedelta(minutes=1))
    assert principal.subject == "alice"
    assert principal.scopes == {"staffing.read", "staffing.decide"}
    assert principal.units == {"4W"}
    principal.require("staffing.decide", unit="4W")


def test_missing_scope_and_other_unit_are_refused_with_403() -> None:
    principal = authenticate(
        mint(KEYS, subject="bob", scopes=["staffing.read"], units=["4W"], now=NOW), KEYS.public_pem, now=NOW
    )
    with pytest.raises(AuthError, match="lacks scope") as missing:
        principal.require("staffing.approve")
    assert missing.value.status == 403
    with pytest.raises(AuthError, match="limited to units"):
        principal.require("staffing.read", unit="ICU")


def test_expired_token_is_refused() -> None:
    token = mint(KEYS, subject="carol", scopes=["staffing.read"], now=NOW, minutes=5)
    with pytest.raises(AuthError, match="expired"):
        authenticate(token, KEYS.public_pem, now=NOW + timedelta(minutes=6))


def test_token_signed_by_another_key_is_refused() -> None:
    token = mint(generate_keys(), subject="eve", scopes=["staffing.admin"], now=NOW)
    with pytest.raises(AuthError, match="invalid"):
        authenticate(token, KEYS.public_pem, now=NOW)


def test_hmac_tokens_are_refused() -> None:
    forged = jwt.encode(
        {"sub": "eve", "scope": "staffing.admin", "iss": "careshift", "aud": "careshift-api", "exp": 4e9},
        "secret" * 6,
        algorithm="HS256",
    )
    with pytest.raises(AuthError, match="not accepted"):
        authenticate(forged, KEYS.public_pem, now=NOW)


def test_unknown_scope_cannot_be_minted() -> None:
    with pytest.raises(DomainError, match="unknown scope"):
        mint(KEYS, subject="x", scopes=["staffing.everything"], now=NOW)
