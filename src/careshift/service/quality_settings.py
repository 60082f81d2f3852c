"""Settings of the data-quality gate, read from the environment (``CARESHIFT_QUALITY_*``).

=====================================  =======  =============================================
variable                               default  meaning
=====================================  =======  =============================================
CARESHIFT_QUALITY_STALE_STAFF_DAYS     90       a staff record older than this warns
CARESHIFT_QUALITY_CENSUS_MAX_AGE_MIN   120      a unit's latest census older than this warns
CARESHIFT_QUALITY_CENSUS_BLOCK_AGE_MIN 720      ... and older than this blocks
CARESHIFT_QUALITY_KNOWN_ROLES          RN,LPN,  role codes the ratio rules count
                                       CNA,
                                       CHARGE
CARESHIFT_QUALITY_WARN_AT              1        warnings that make the verdict ``warn``
CARESHIFT_QUALITY_BLOCK_AT             1        blocking findings that make it ``block``
CARESHIFT_QUALITY_ESCALATE_WARNINGS    50       warnings that make it ``block`` (0: never)
=====================================  =======  =============================================
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from careshift.domain.errors import InputError
from careshift.service.quality import DEFAULT_ROLES, QualityThresholds


class QualitySettings(BaseSettings):
    """The gate's thresholds; values outside their range are refused at start-up."""

    model_config = SettingsConfigDict(env_prefix="CARESHIFT_QUALITY_", frozen=True)

    stale_staff_days: int = Field(default=90, ge=1, le=3650)
    census_max_age_min: int = Field(default=120, ge=1)
    census_block_age_min: int = Field(default=720, ge=1)
    known_roles: str = ",".join(sorted(DEFAULT_ROLES))
    warn_at: int = Field(default=1, ge=1)
    block_at: int = Field(default=1, ge=1)
    escalate_warnings: int = Field(default=50, ge=0)

    @field_validator("known_roles")
    @classmethod
    def _roles_listed(cls, value: str) -> str:
        if not [code for code in value.split(",") if code.strip()]:
            raise ValueError("list at least one role code, e.g. RN,LPN,CNA,CHARGE")
        return value

    def thresholds(self) -> QualityThresholds:
        """The domain-side thresholds these settings describe."""
        if self.census_block_age_min < self.census_max_age_min:
            raise InputError(
                f"census block age ({self.census_block_age_min} min) is below the warn age "
                f"({self.census_max_age_min} min); set CARESHIFT_QUALITY_CENSUS_BLOCK_AGE_MIN >= the warn age",
                source="environment",
            )
        return QualityThresholds(
            stale_staff_days=self.stale_staff_days,
            census_max_age=timedelta(minutes=self.census_max_age_min),
            census_block_age=timedelta(minutes=self.census_block_age_min),
            known_roles=frozenset(code.strip() for code in self.known_roles.split(",") if code.strip()),
            warn_at=self.warn_at,
            block_at=self.block_at,
            escalate_warnings=self.escalate_warnings or None,
        )


def load_thresholds() -> QualityThresholds:
    """Thresholds from the environment, or an :class:`InputError` naming the bad variable."""
    try:
        return QualitySettings().thresholds()
    except ValidationError as exc:
        problems = "; ".join(
            f"CARESHIFT_QUALITY_{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise InputError(f"invalid quality settings: {problems}", source="environment") from exc
