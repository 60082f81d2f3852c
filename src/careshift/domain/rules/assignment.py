"""Who may be assigned at all: one shift a day, the right skill, a valid credential."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class OneShiftPerDay(RuleSpec):
    """At most one shift per staff per calendar day (INRC-II H1, Curtois hard 1).

    Amount: the number of extra assignments on a day. Usually hard.
    """

    family: ClassVar[str] = "one_shift_per_day"
    title: ClassVar[str] = "One shift per day"


@dataclass(frozen=True)
class SkillRequired(RuleSpec):
    """An assignment that covers a skill needs staff who have that skill (INRC-II H4).

    Amount: 1 per assignment whose ``skill`` is not in the staff's skills. Usually hard.
    """

    family: ClassVar[str] = "skill_required"
    title: ClassVar[str] = "Skill required"


@dataclass(frozen=True)
class CredentialRequired(RuleSpec):
    """Staff working on a unit in scope must hold every credential in ``credentials``,
    unexpired on the day worked (e.g. an RN licence; ACLS for ICU).

    Amount: 1 per assignment per missing or expired credential. Usually hard.
    """

    family: ClassVar[str] = "credential_required"
    title: ClassVar[str] = "Unexpired credential required"
    credentials: frozenset[str] = frozenset()
