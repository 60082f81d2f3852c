"""What changed between two sets of resolved rules: rules added, removed, and per
changed rule the fields that changed (``params.patients_per_nurse.med_surg: 5 → 4``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from careshift.domain.rules import Rule
from careshift.policy.serialise import rule_to_dict


@dataclass(frozen=True)
class FieldChange:
    """One field of one rule: its dotted path, and its value before and after."""

    path: str
    before: object
    after: object


@dataclass(frozen=True)
class RuleChange:
    """The fields that changed in one rule present on both sides."""

    rule_id: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class PolicyDiff:
    """Rules only in the second set, only in the first, and changed (all sorted by id)."""

    added: tuple[Rule, ...]
    removed: tuple[Rule, ...]
    changed: tuple[RuleChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


_MISSING = object()


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def diff_rules(before: Iterable[Rule], after: Iterable[Rule]) -> PolicyDiff:
    """Compare two rule sets by rule id. Rules are matched by id; a rule whose family
    changed shows as a change of ``family`` (and of its params)."""
    old = {rule.id: rule for rule in before}
    new = {rule.id: rule for rule in after}
    changed: list[RuleChange] = []
    for rule_id in sorted(old.keys() & new.keys()):
        left, right = _flatten(rule_to_dict(old[rule_id])), _flatten(rule_to_dict(new[rule_id]))
        fields = tuple(
            FieldChange(path, left.get(path), right.get(path))
            for path in sorted(left.keys() | right.keys())
            if left.get(path, _MISSING) != right.get(path, _MISSING)
        )
        if fields:
            changed.append(RuleChange(rule_id, fields))
    return PolicyDiff(
        added=tuple(new[rule_id] for rule_id in sorted(new.keys() - old.keys())),
        removed=tuple(old[rule_id] for rule_id in sorted(old.keys() - new.keys())),
        changed=tuple(changed),
    )
