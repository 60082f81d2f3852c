from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from careshift.adapters.fhir.auth import ASSERTION_TYPE, ClientRegistration, SmartBackendAuth
from careshift.adapters.fhir.errors import FhirAuthorisationError
from careshift.domain.errors import InputError
from tests.fhir_keys import jwt_parts, pem, private_key, registration

TOKEN_URL = "https://ehr.example/auth/token"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("algorithm", ["RS384", "ES384"])
def test_client_assertion_claims_and_signature(algorithm: str) -> None:
    reg, key = registration(TOKEN_URL, algorithm)  # type: ignore[arg-type]
    clock = FakeClock()
    auth = SmartBackendAuth(reg, clock=clock)
    first, second = auth.client_assertion(), auth.client_assertion()

    claims = jwt.decode(
        first, key.public_key(), algorithms=[algorithm], audience=TOKEN_URL, options={"verify_exp": False}
    )
    header, _ = jwt_parts(first)
    assert header["alg"] == algorithm and header["kid"] == reg.key_id
    assert claims["iss"] == claims["sub"] == reg.client_id
    assert 0 < claims["exp"] - int(clock.now.timestamp()) <= 300
    assert claims["jti"] != jwt_parts(second)[1]["jti"]


def test_token_request_shape() -> None:
    reg, _ = registration(TOKEN_URL, "ES384")
    request = SmartBackendAuth(reg).token_request()
    form = dict(httpx.QueryParams(request.content.decode()))
    assert request.method == "POST" and str(request.url) == TOKEN_URL
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == ASSERTION_TYPE
    assert form["scope"] == "system/*.read"


def test_assertion_lifetime_over_five_minutes_is_refused() -> None:
    reg, _ = registration(TOKEN_URL, "ES384")
    with pytest.raises(InputError, match="5 min"):
        SmartBackendAuth(reg, assertion_lifetime=timedelta(minutes=6))


def test_key_must_match_algorithm() -> None:
    ec_key = pem(private_key("ES384"))
    with pytest.raises(InputError, match="RS384 needs an RSA"):
        SmartBackendAuth(ClientRegistration("c", TOKEN_URL, ec_key, "RS384"))
    with pytest.raises(InputError, match="PEM"):
        SmartBackendAuth(ClientRegistration("c", TOKEN_URL, b"not a key", "ES384"))


def test_token_is_cached_until_the_refresh_margin() -> None:
    reg, _ = registration(TOKEN_URL, "ES384")
    clock = FakeClock()
    auth = SmartBackendAuth(reg, clock=clock, refresh_margin=timedelta(seconds=30))
    assert auth.cached_token() is None
    token = auth.accept(httpx.Response(200, json={"access_token": "t1", "expires_in": 300, "token_type": "bearer"}))
    assert token == "t1"
    clock.now += timedelta(seconds=269)
    assert auth.cached_token() == "t1"
    clock.now += timedelta(seconds=1)
    assert auth.cached_token() is None


def test_short_tokens_refresh_at_half_life() -> None:
    reg, _ = registration(TOKEN_URL, "ES384")
    clock = FakeClock()
    auth = SmartBackendAuth(reg, clock=clock)
    auth.accept(httpx.Response(200, json={"access_token": "t", "expires_in": 10}))
    clock.now += timedelta(seconds=4)
    assert auth.cached_token() == "t"
    clock.now += timedelta(seconds=1)
    assert auth.cached_token() is None
    auth.accept(httpx.Response(200, json={"access_token": "u", "expires_in": 10}))
    auth.invalidate()
    assert auth.cached_token() is None


def test_refused_client_names_client_and_fix() -> None:
    reg, _ = registration(TOKEN_URL, "RS384")
    auth = SmartBackendAuth(reg)
    refused = httpx.Response(401, json={"error": "invalid_client", "error_description": "jti replayed"})
    with pytest.raises(FhirAuthorisationError, match=r"careshift-test.*jti replayed.*public key") as info:
        auth.accept(refused)
    assert info.value.status == 401
    with pytest.raises(FhirAuthorisationError, match="access_token"):
        auth.accept(httpx.Response(200, json={"token_type": "bearer"}))
