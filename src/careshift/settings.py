"""Settings from the environment (``CARESHIFT_*``), with defaults that are safe.

Development conveniences (locally generated signing keys, ``careshift token``) are refused
unless ``CARESHIFT_ENVIRONMENT=development``; ``make demo`` sets it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(user_data_dir("careshift", appauthor=False))


class Settings(BaseSettings):
    """Process settings. Read once in the composition root and passed down."""

    model_config = SettingsConfigDict(env_prefix="CARESHIFT_", extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    jwt_issuer: str = "careshift"
    jwt_audience: str = "careshift-api"
    jwt_public_key_file: Path | None = None
    jwt_private_key_file: Path | None = None
    token_minutes: int = 60
    # Write-back of approved changes (off unless a FHIR base URL is set). SMART backend
    # services authentication is used when a client id is set.
    fhir_base_url: str | None = None
    fhir_client_id: str | None = None
    fhir_token_url: str | None = None
    fhir_private_key_file: Path | None = None
    fhir_key_id: str | None = None
    fhir_algorithm: Literal["RS384", "ES384"] = "RS384"
    fhir_scope: str = "system/Schedule.read system/Schedule.write system/Slot.read system/Slot.write"
    writeback_every_seconds: float = 5.0
    read_cache_seconds: float = Field(default=2.0, ge=0)
    """How long a unit's current recommendation may be served from memory (``0`` = off). This
    process's own writes empty the cache at once; another replica's show within this time."""
    tracing: Literal["off", "console"] = "off"
    """OpenTelemetry traces (``CARESHIFT_TRACING``): ``console`` prints spans as JSON on stdout."""
    id_hash_key: SecretStr | None = None
    """Key of the HMAC that replaces patient and encounter ids (``CARESHIFT_ID_HASH_KEY``)."""

    @property
    def development(self) -> bool:
        return self.environment == "development"

    def resolved_database_url(self) -> str:
        """``database_url`` or a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'careshift.sqlite3'}"
