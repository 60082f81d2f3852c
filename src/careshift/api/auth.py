"""Bearer tokens: JWTs signed with an asymmetric key, carrying scopes and optional units.

Scopes: ``staffing.read``, ``staffing.decide``, ``staffing.approve``, ``staffing.admin``.
A token may be limited to units (claim ``units``); an absent claim means all units.
HMAC algorithms are never accepted (CDS Hooks forbids them, and a shared secret would let
any verifier mint tokens).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from careshift.domain.errors import CareshiftError, DomainError

SCOPES = ("staffing.read", "staffing.decide", "staffing.approve", "staffing.admin")
ALGORITHMS = ["ES256", "ES384", "RS256", "RS384"]
CLOCK_SKEW_SECONDS = 60


class AuthError(CareshiftError):
    """A token is missing, invalid, expired, or lacks the scope or unit for the request."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Principal:
    """Who is calling: subject, role, scopes and (optionally) the units they may act on."""

    subject: str
    role: str
    scopes: frozenset[str]
    units: frozenset[str] | None

    def require(self, scope: str, unit: str | None = None) -> None:
        if scope not in self.scopes and "staffing.admin" not in self.scopes:
            raise AuthError(f"token lacks scope {scope!r}; ask an administrator for a token with it", status=403)
        if unit is not None and self.units is not None and unit not in self.units:
            raise AuthError(f"token is limited to units {sorted(self.units)}; it cannot act on {unit!r}", status=403)


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    public_pem: bytes
    algorithm: str = "ES256"


def generate_keys() -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private_pem, public_pem)


def development_keys(directory: Path) -> KeyPair:
    """Load, or create on first use, the development key pair under ``directory``."""
    private_file, public_file = directory / "dev-jwt-private.pem", directory / "dev-jwt-public.pem"
    if private_file.exists() and public_file.exists():
        return KeyPair(private_file.read_bytes(), public_file.read_bytes())
    directory.mkdir(parents=True, exist_ok=True)
    pair = generate_keys()
    private_file.write_bytes(pair.private_pem)
    private_file.chmod(0o600)
    public_file.write_bytes(pair.public_pem)
    return pair


def mint(
    keys: KeyPair,
    *,
    subject: str,
    scopes: Iterable[str],
    now: datetime,
    role: str = "scheduler",
    units: Iterable[str] | None = None,
    minutes: int = 60,
    issuer: str = "careshift",
    audience: str = "careshift-api",
) -> str:
    """A signed token for ``subject`` with ``scopes`` (validated) valid for ``minutes``."""
    scope_set = sorted(set(scopes))
    unknown = [scope for scope in scope_set if scope not in SCOPES]
    if unknown:
        raise DomainError(f"unknown scope(s) {unknown}; valid scopes are {list(SCOPES)}")
    claims: dict[str, object] = {
        "sub": subject,
        "role": role,
        "scope": " ".join(scope_set),
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if units is not None:
        claims["units"] = sorted(set(units))
    return jwt.encode(claims, keys.private_pem, algorithm=keys.algorithm)


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    expires: int
    issued: int


@lru_cache(maxsize=4096)
def _verified(token: str, public_pem: bytes, issuer: str, audience: str) -> _Verified:
    """Signature, algorithm, issuer and audience of ``token``: what never changes for a token.

    Cached, because a console polls with the same token many times a minute and an ECDSA
    verification costs more than the read it guards; the time claims are checked on every
    request by ``authenticate``. Failures are not cached (the exception propagates).
    """
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise AuthError(f"algorithm {header.get('alg')!r} is not accepted; use one of {ALGORITHMS}")
        claims = jwt.decode(
            token,
            public_pem,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            # Time claims are checked by ``authenticate`` against the injected clock, not the library's.
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": ["exp", "sub", "iss", "aud"],
            },
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid bearer token: {exc}") from exc
    units = claims.get("units")
    principal = Principal(
        subject=str(claims["sub"]),
        role=str(claims.get("role", "")),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        units=None if units is None else frozenset(str(unit) for unit in units),
    )
    return _Verified(principal, int(claims["exp"]), int(claims.get("iat", 0)))


def authenticate(
    token: str,
    public_pem: bytes,
    *,
    now: datetime,
    issuer: str = "careshift",
    audience: str = "careshift-api",
) -> Principal:
    """Verify ``token`` and return its principal, or raise ``AuthError`` (401)."""
    verified = _verified(token, public_pem, issuer, audience)
    if verified.expires <= int(now.timestamp()):
        raise AuthError("bearer token has expired; request a new one")
    if verified.issued > int(now.timestamp()) + CLOCK_SKEW_SECONDS:
        raise AuthError("bearer token was issued in the future; check the issuer's clock")
    return verified.principal
