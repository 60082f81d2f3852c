"""Write rules back out: as plain data, as YAML (a pack that loads to the same rules),
as canonical JSON, and as the policy version (a short content hash of that JSON).

The version depends only on what the rules mean and say once resolved: key order in
the YAML, comments, the order of rules, and which pack in an ``extends`` chain set a
value make no difference; any changed number, date, scope, citation or reason does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import yaml

from careshift.domain.rules import Rule
from careshift.policy.params import plain, spec_params

VERSION_LENGTH = 12
# Characters a YAML reader takes as line breaks or a byte-order mark: in a plain or
# single-quoted scalar they would come back changed, so such text is double-quoted,
# where the emitter escapes them (found by the round-trip property test: U+0085).
_NEEDS_ESCAPE = ("\x85", "\u2028", "\u2029", "\ufeff")


class _Dumper(yaml.SafeDumper):
    """Safe YAML dumper that keeps every string exactly."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(char in value for char in _NEEDS_ESCAPE):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """Every field of ``rule`` as plain data, in the order a pack file lists them."""
    return {
        "id": rule.id,
        "family": rule.family,
        "params": spec_params(rule.spec),
        "hard": rule.hard,
        "weight": rule.weight,
        "scope": {
            "units": plain(rule.scope.units),
            "roles": plain(rule.scope.roles),
            "contracts": plain(rule.scope.contracts),
            "staff": plain(rule.scope.staff),
        },
        "jurisdiction": rule.jurisdiction,
        "effective_from": rule.effective_from,
        "effective_to": rule.effective_to,
        "citation": rule.citation,
        "reason": rule.reason,
        "priority": rule.priority,
    }


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot hash {value!r}")


def canonical_json(rules: Iterable[Rule]) -> str:
    """The resolved rules as canonical JSON: sorted by id, sorted keys, no spaces."""
    data = [rule_to_dict(rule) for rule in sorted(rules, key=lambda rule: rule.id)]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def policy_version(rules: Iterable[Rule]) -> str:
    """The policy version of a set of rules: the first 12 hex digits of the SHA-256 of
    their canonical JSON (48 bits: collisions are not a concern at the scale of packs)."""
    return hashlib.sha256(canonical_json(rules).encode("utf-8")).hexdigest()[:VERSION_LENGTH]


def dump_yaml(
    rules: Iterable[Rule],
    *,
    pack_id: str,
    title: str,
    jurisdiction: str = "",
    description: str = "",
) -> str:
    """A self-contained pack (no ``extends``) whose rules load back equal to ``rules``."""
    document: dict[str, Any] = {"id": pack_id, "title": title}
    if jurisdiction:
        document["jurisdiction"] = jurisdiction
    if description:
        document["description"] = description
    document["rules"] = [rule_to_dict(rule) for rule in rules]
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
