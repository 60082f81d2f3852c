"""SMART Backend Services authorisation: ``client_credentials`` with a ``private_key_jwt``
client assertion (RS384 or ES384), and an access token cached until shortly before it expires.

This module decides (what to send, whether the cached token is still good); the HTTP round
trip is done by :class:`careshift.adapters.fhir.client.FhirClient`, which owns retries.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from careshift.adapters.fhir.errors import FhirAuthorisationError
from careshift.domain.errors import InputError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
"""SMART Backend Services: the assertion's ``exp`` is at most five minutes in the future."""

Algorithm = Literal["RS384", "ES384"]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ClientRegistration:
    """What the EHR knows about careshift as a backend client.

    ``private_key_pem`` is the PEM of an RSA (≥ 2048 bit, for RS384) or P-384 EC (for ES384)
    key whose public half (JWKS) is registered with the EHR under ``client_id``; ``key_id``
    is that JWK's ``kid``.
    """

    client_id: str
    token_url: str
    private_key_pem: bytes = field(repr=False)
    algorithm: Algorithm = "RS384"
    key_id: str | None = None
    scope: str = "system/*.read"


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: datetime
    scope: str


class SmartBackendAuth:
    """Builds client assertions and caches the access token they buy.

    ``assertion_lifetime`` (≤ 5 min) sets the assertion's ``exp``; every assertion gets a
    fresh random ``jti`` because servers reject replays. The token is reused until
    ``refresh_margin`` before its expiry (never more than half its lifetime), so a request
    does not leave with a token that dies in flight.
    """

    def __init__(
        self,
        registration: ClientRegistration,
        *,
        clock: Clock = utc_now,
        assertion_lifetime: timedelta = timedelta(minutes=4),
        refresh_margin: timedelta = timedelta(seconds=30),
    ) -> None:
        if assertion_lifetime > MAX_ASSERTION_LIFETIME or assertion_lifetime <= timedelta(0):
            raise InputError(
                f"assertion lifetime {assertion_lifetime} is outside (0, 5 min]; SMART servers reject longer ones",
                source="SMART client registration",
            )
        self.registration = registration
        self._key = _load_signing_key(registration)
        self._clock = clock
        self._assertion_lifetime = assertion_lifetime
        self._refresh_margin = refresh_margin
        self._token: AccessToken | None = None
        self._refresh_after: datetime | None = None

    def client_assertion(self) -> str:
        """A signed JWT saying "I am ``client_id``" to the token endpoint (``aud``)."""
        now = self._clock()
        claims: dict[str, Any] = {
            "iss": self.registration.client_id,
            "sub": self.registration.client_id,
            "aud": self.registration.token_url,
            "iat": int(now.timestamp()),
            "exp": int((now + self._assertion_lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        headers: dict[str, Any] = {"typ": "JWT"}
        if self.registration.key_id:
            headers["kid"] = self.registration.key_id
        return jwt.encode(claims, self._key, algorithm=self.registration.algorithm, headers=headers)

    def token_request(self) -> httpx.Request:
        """The POST to the token endpoint, with a freshly signed assertion."""
        form = {
            "grant_type": "client_credentials",
            "scope": self.registration.scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(),
        }
        return httpx.Request(
            "POST",
            self.registration.token_url,
            data=form,
            headers={"Accept": "application/json"},
        )

    def cached_token(self) -> str | None:
        """The cached access token if it is still good for a request, else ``None``."""
        if self._token is None or self._refresh_after is None or self._clock() >= self._refresh_after:
            return None
        return self._token.value

    def accept(self, response: httpx.Response) -> str:
        """Read the token endpoint's answer; cache and return the access token."""
        url = self.registration.token_url
        if response.status_code != 200:
            detail = _oauth_error(response)
            raise FhirAuthorisationError(
                f"token endpoint {url} refused client {self.registration.client_id} "
                f"(HTTP {response.status_code}: {detail}); check the client id, that the registered "
                f"public key matches our {self.registration.algorithm} private key, and the clock",
                status=response.status_code,
            )
        try:
            body = response.json()
            value = str(body["access_token"])
            lifetime = timedelta(seconds=float(body.get("expires_in", 300)))
        except (ValueError, KeyError, TypeError) as exc:
            raise FhirAuthorisationError(
                f"token endpoint {url} answered 200 without a usable access_token/expires_in; "
                "it does not follow SMART Backend Services",
                status=200,
            ) from exc
        now = self._clock()
        margin = min(self._refresh_margin, lifetime / 2)
        self._token = AccessToken(value=value, expires_at=now + lifetime, scope=str(body.get("scope", "")))
        self._refresh_after = now + lifetime - margin
        return value

    def invalidate(self) -> None:
        """Forget the cached token (the server said 401: it was revoked or expired early)."""
        self._token = None
        self._refresh_after = None


def _load_signing_key(registration: ClientRegistration) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    where = f"SMART client {registration.client_id}"
    try:
        key = load_pem_private_key(registration.private_key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(
            "private key is not an unencrypted PEM private key; export it with `openssl pkey -in key.pem`",
            source=where,
        ) from exc
    if registration.algorithm == "RS384":
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
            raise InputError("RS384 needs an RSA private key of at least 2048 bits", source=where)
        return key
    if registration.algorithm == "ES384":
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
            raise InputError("ES384 needs an EC private key on curve P-384 (secp384r1)", source=where)
        return key
    raise InputError(f"algorithm {registration.algorithm!r} is not RS384 or ES384", source=where)


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no OAuth error body"
    if isinstance(body, dict):
        return " - ".join(str(body[k]) for k in ("error", "error_description") if k in body) or "no OAuth error"
    return "no OAuth error"
