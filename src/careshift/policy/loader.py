"""Load policy packs: YAML files of rules, validated at load, chained with ``extends``.

A pack is a mapping with ``id``, ``title``, optional ``jurisdiction``, ``description``,
``extends`` (a parent pack's id or file), ``effective_from``/``effective_to`` and
``rules``. Each rule entry has ``id``, ``family`` (a key of ``CATALOGUE``), ``params``
(the family's dataclass fields), ``hard``/``weight``, ``scope`` (``units``, ``roles``,
``contracts``, ``staff``), ``jurisdiction``, ``effective_from``/``effective_to``,
``citation``, ``reason`` and ``priority``. An optional ``triggers`` section sets the
per-unit thresholds of event-driven repair (:mod:`careshift.policy.triggers`).

Inheritance: the parent is resolved first; an entry whose ``id`` names a parent rule
overrides only the keys it gives (``params`` and ``scope`` key by key, and a mapping
parameter such as ``patients_per_nurse`` entry by entry), and
``disabled: true`` removes the parent rule. A new rule takes the pack's
``jurisdiction`` and effective dates unless it gives its own. An entry that gives
``weight`` without ``hard`` is soft; ``hard: true`` with a ``weight`` keeps the rule hard
and records the weight for when a diagnosis relaxes it.

Every mistake raises ``PolicyError`` naming the file and line, with the nearest valid
key where there is one.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from careshift.domain.errors import DomainError, PolicyError
from careshift.domain.rules import CATALOGUE, Rule, RuleSpec, Scope
from careshift.domain.time import Horizon
from careshift.domain.triggers import TriggerPolicy
from careshift.policy._yaml import Entry, Map, Node, Scalar, Seq, Source, suggestion
from careshift.policy.params import read_params
from careshift.policy.serialise import policy_version
from careshift.policy.triggers import read_triggers, resolve

PACK_KEYS = (
    "id",
    "title",
    "jurisdiction",
    "description",
    "extends",
    "effective_from",
    "effective_to",
    "rules",
    "triggers",
)
RULE_KEYS = (
    "id",
    "family",
    "params",
    "hard",
    "weight",
    "scope",
    "jurisdiction",
    "effective_from",
    "effective_to",
    "citation",
    "reason",
    "priority",
    "disabled",
)
SCOPE_KEYS = ("units", "roles", "contracts", "staff")
PACKS_DIR = Path(__file__).with_name("packs")
_PACK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class PolicyPack:
    """A resolved policy pack: its own metadata and the rules after every ``extends``.

    ``lineage`` lists pack ids from the root of the chain to this pack; ``origins`` maps
    each rule id to the packs that defined or changed it, in that order.
    """

    id: str
    title: str
    rules: tuple[Rule, ...]
    jurisdiction: str = ""
    description: str = ""
    source: str = ""
    lineage: tuple[str, ...] = ()
    effective_from: date | None = None
    effective_to: date | None = None
    origins: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    trigger_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    """The ``triggers`` keys as written, by unit (``""`` for the defaults), after ``extends``."""

    @property
    def triggers(self) -> TriggerPolicy:
        """The per-unit thresholds of event-driven repair (built-in defaults without a section)."""
        return resolve({unit: dict(layer) for unit, layer in self.trigger_settings.items()})

    @property
    def version(self) -> str:
        """The policy version: a short content hash of the resolved rules."""
        return policy_version(self.rules)

    def rule(self, rule_id: str) -> Rule:
        """The resolved rule ``rule_id``; a ``PolicyError`` with the nearest id otherwise."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise PolicyError(
            f"pack {self.id!r} has no rule {rule_id!r}; {suggestion(rule_id, (r.id for r in self.rules))}",
            source=self.source or None,
        )

    def rules_on(self, day: date) -> tuple[Rule, ...]:
        """The rules in effect on ``day``."""
        return tuple(rule for rule in self.rules if rule.in_effect(day))

    def rules_for(self, horizon: Horizon) -> tuple[Rule, ...]:
        """The rules in effect on at least one day of ``horizon`` (what a problem over it needs)."""
        last = horizon.days[-1]
        return tuple(
            rule
            for rule in self.rules
            if (rule.effective_from is None or rule.effective_from <= last)
            and (rule.effective_to is None or horizon.start <= rule.effective_to)
        )


def bundled_packs() -> dict[str, Path]:
    """The packs shipped with careshift, by id (the file name is the id)."""
    return {path.stem: path for path in sorted(PACKS_DIR.glob("*.yaml"))}


def load_pack(ref: str | Path) -> PolicyPack:
    """Load a pack from a file path or a bundled pack id, resolving its ``extends`` chain."""
    path = Path(ref)
    if path.is_file():
        return _load_file(path, ())
    bundled = bundled_packs()
    if isinstance(ref, str) and ref in bundled:
        return _load_file(bundled[ref], ())
    raise PolicyError(
        f"no policy file or bundled pack named {str(ref)!r}; {suggestion(str(ref), bundled)}",
        source=str(ref),
    )


def load_text(text: str, source: str = "<string>", base_dir: Path | None = None) -> PolicyPack:
    """Load a pack from YAML text; ``extends`` by file resolves against ``base_dir``."""
    return _load(text, Source(source), base_dir or Path.cwd(), (source,))


def _load_file(path: Path, stack: tuple[str, ...]) -> PolicyPack:
    key = str(path.resolve())
    src = Source(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise src.error(None, f"cannot read the policy file: {exc}") from exc
    return _load(text, src, path.parent, (*stack, key))


def _load(text: str, src: Source, base_dir: Path, stack: tuple[str, ...]) -> PolicyPack:
    root = src.parse(text)
    if not isinstance(root, Map):
        raise src.error(root.line, "a policy pack is a mapping with 'id', 'title' and 'rules'")
    _check_keys(root, PACK_KEYS, "pack", src)
    pack_id = _text(_required(root, "id", "pack", src), "pack id", src)
    if not _PACK_ID.match(pack_id):
        raise src.error(
            _required(root, "id", "pack", src).line,
            f"pack id {pack_id!r} must be lower-case letters, digits, '.', '_' or '-'",
        )
    title = _text(_required(root, "title", "pack", src), "pack title", src)
    jurisdiction = _optional_text(root, "jurisdiction", "", src)
    description = _optional_text(root, "description", "", src)
    effective_from = _optional_date(root, "effective_from", None, src)
    effective_to = _optional_date(root, "effective_to", None, src)
    if effective_from and effective_to and effective_to < effective_from:
        raise src.error(_line(root, "effective_to"), "pack effective_to is before effective_from")

    parent: PolicyPack | None = None
    extends = root.get("extends")
    if extends is not None:
        parent = _load_parent(extends, src, base_dir, stack)

    rules: dict[str, Rule] = {rule.id: rule for rule in parent.rules} if parent else {}
    origins: dict[str, tuple[str, ...]] = dict(parent.origins) if parent else {}
    defaults = _Defaults(jurisdiction, effective_from, effective_to)
    rules_entry = root.get("rules")
    if rules_entry is not None:
        node = rules_entry.value
        if isinstance(node, Scalar) and node.value is None:
            node = Seq(node.line, ())
        if not isinstance(node, Seq):
            raise src.error(rules_entry.line, "'rules' must be a list of rule mappings (each starting with '- id:')")
        own: dict[str, int] = {}
        for item in node.items:
            _apply_entry(item, rules, origins, own, defaults, pack_id, src)

    inherited = {unit: dict(layer) for unit, layer in parent.trigger_settings.items()} if parent else {}
    triggers_entry = root.get("triggers")
    trigger_settings = read_triggers(triggers_entry, inherited, src) if triggers_entry is not None else inherited

    return PolicyPack(
        id=pack_id,
        title=title,
        rules=tuple(rules.values()),
        jurisdiction=jurisdiction,
        description=description,
        source=src.name,
        lineage=(*(parent.lineage if parent else ()), pack_id),
        effective_from=effective_from,
        effective_to=effective_to,
        origins=MappingProxyType({rule_id: origins[rule_id] for rule_id in rules}),
        trigger_settings=MappingProxyType(trigger_settings),
    )


def _load_parent(entry: Entry, src: Source, base_dir: Path, stack: tuple[str, ...]) -> PolicyPack:
    ref = _text(entry.value, "extends", src)
    as_path = ref.endswith((".yaml", ".yml")) or "/" in ref
    candidates: list[Path] = []
    if as_path:
        candidates.append(base_dir / ref)
    else:
        candidates.append(base_dir / f"{ref}.yaml")
        bundled = bundled_packs()
        if ref in bundled:
            candidates.append(bundled[ref])
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None:
        if as_path:
            raise src.error(entry.line, f"extends {ref!r}: no such file (paths are relative to {base_dir})")
        raise src.error(
            entry.line,
            f"extends {ref!r}: no pack with that id beside this file or bundled; {suggestion(ref, bundled_packs())}",
        )
    key = str(path.resolve())
    if key in stack:
        chain = " -> ".join(Path(item).name for item in (*stack[stack.index(key) :], key))
        raise src.error(entry.line, f"extends cycle: {chain}; a pack cannot extend itself, directly or not")
    parent = _load_file(path, stack)
    if not as_path and parent.id != ref:
        raise src.error(entry.line, f"extends {ref!r} found {path}, whose id is {parent.id!r}; make them agree")
    return parent


@dataclass(frozen=True)
class _Defaults:
    jurisdiction: str
    effective_from: date | None
    effective_to: date | None


def _apply_entry(
    node: Node,
    rules: dict[str, Rule],
    origins: dict[str, tuple[str, ...]],
    own: dict[str, int],
    defaults: _Defaults,
    pack_id: str,
    src: Source,
) -> None:
    """Add, override or disable one rule according to one ``rules:`` entry."""
    if not isinstance(node, Map):
        raise src.error(node.line, "each rule is a mapping starting with '- id: ...'")
    _check_keys(node, RULE_KEYS, "rule", src)
    rule_id = _text(_required(node, "id", "rule", src), "rule id", src)
    if not rule_id.strip():
        raise src.error(node.line, "rule id must not be blank")
    if rule_id in own:
        raise src.error(node.line, f"rule {rule_id!r} is defined twice in this pack (first on line {own[rule_id]})")
    own[rule_id] = node.line
    where = f"rule {rule_id!r}"

    disabled = node.get("disabled")
    if disabled is not None and _bool(disabled.value, f"{where} disabled", src):
        if rule_id not in rules:
            raise src.error(
                disabled.line,
                f"{where} is disabled but no parent pack defines it; {suggestion(rule_id, rules)}",
            )
        others = [key for key in node.keys() if key not in ("id", "disabled")]
        if others:
            raise src.error(_line(node, others[0]), f"{where} is disabled; remove {others[0]!r} or the 'disabled' key")
        del rules[rule_id]
        del origins[rule_id]
        return

    old = rules.get(rule_id)
    family_entry = node.get("family")
    if old is None:
        if family_entry is None:
            raise src.error(
                node.line,
                f"{where} needs a 'family' (no parent pack defines this id); one of the families in the catalogue",
            )
        family = _text(family_entry.value, f"{where} family", src)
        spec_class = CATALOGUE.get(family)
        if spec_class is None:
            raise src.error(family_entry.line, f"{where}: unknown family {family!r}; {suggestion(family, CATALOGUE)}")
    else:
        spec_class = type(old.spec)
        if family_entry is not None:
            family = _text(family_entry.value, f"{where} family", src)
            if family != old.family:
                raise src.error(
                    family_entry.line,
                    f"{where} overrides a {old.family!r} rule with family {family!r}; "
                    "give the new rule its own id, and disable the old one if needed",
                )

    params: dict[str, object] = {}
    params_entry = node.get("params")
    if params_entry is not None:
        params_node = _mapping(params_entry, f"{where}: 'params' must be a mapping of parameter: value", src)
        params = read_params(params_node, spec_class, rule_id, src)

    if old is not None:
        for key, value in params.items():
            inherited = getattr(old.spec, key)
            if isinstance(inherited, Mapping) and isinstance(value, dict):
                # a unit pack tightening one unit type's ratio keeps the others
                params[key] = {**inherited, **value}
    try:
        spec: RuleSpec = dataclasses.replace(cast(Any, old.spec), **params) if old else spec_class(**params)
    except DomainError as exc:  # the family refused a value (an unknown level, a ratio of 0)
        raise src.error(params_entry.line if params_entry else node.line, f"{where}: {exc}") from exc
    try:
        rule = _rule_fields(node, rule_id, spec, old, defaults, src)
    except DomainError as exc:
        raise src.error(node.line, f"{where}: {exc}") from exc
    rules[rule_id] = rule
    origins[rule_id] = (*origins.get(rule_id, ()), pack_id)


def _rule_fields(node: Map, rule_id: str, spec: RuleSpec, old: Rule | None, defaults: _Defaults, src: Source) -> Rule:
    where = f"rule {rule_id!r}"
    hard_entry, weight_entry = node.get("hard"), node.get("weight")
    weight = old.weight if old else 1
    if weight_entry is not None:
        weight = _int(weight_entry.value, f"{where} weight", src)
        if weight < 0:
            raise src.error(weight_entry.line, f"{where} weight must be 0 or more, got {weight}")
    if hard_entry is not None:
        hard = _bool(hard_entry.value, f"{where} hard", src)
    elif weight_entry is not None:
        hard = False  # giving a weight and no level means "soft, with this weight"
    else:
        hard = old.hard if old else True

    scope = old.scope if old else Scope()
    scope_entry = node.get("scope")
    if scope_entry is not None:
        scope_node = _mapping(scope_entry, f"{where}: 'scope' must be a mapping with {', '.join(SCOPE_KEYS)}", src)
        _check_keys(scope_node, SCOPE_KEYS, f"{where} scope", src)
        changes = {entry.key: _text_set(entry.value, f"{where} scope {entry.key}", src) for entry in scope_node.entries}
        scope = dataclasses.replace(scope, **changes)

    def inherited_text(key: str, default: str) -> str:
        return _optional_text(node, key, getattr(old, key) if old else default, src)

    effective_from = _optional_date(node, "effective_from", old.effective_from if old else defaults.effective_from, src)
    effective_to = _optional_date(node, "effective_to", old.effective_to if old else defaults.effective_to, src)
    if effective_from and effective_to and effective_to < effective_from:
        raise src.error(
            _line(node, "effective_to") or _line(node, "effective_from") or node.line,
            f"{where}: effective_to {effective_to} is before effective_from {effective_from}",
        )
    priority_entry = node.get("priority")
    priority = old.priority if old else 100
    if priority_entry is not None:
        priority = _int(priority_entry.value, f"{where} priority", src)
    reason = inherited_text("reason", "")
    _check_reason(reason, where, _line(node, "reason") or node.line, src)
    return Rule(
        id=rule_id,
        spec=spec,
        hard=hard,
        weight=weight,
        scope=scope,
        jurisdiction=inherited_text("jurisdiction", defaults.jurisdiction),
        effective_from=effective_from,
        effective_to=effective_to,
        citation=inherited_text("citation", ""),
        reason=reason,
        priority=priority,
    )


_REASON_FIELDS = ("rule", "staff", "day", "amount", "detail")


def _check_reason(template: str, where: str, line: int, src: Source) -> None:
    """Refuse a reason template that ``Rule.reason_text`` could not fill."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        message = f"{where} reason template is malformed ({exc}); write '{{{{' for a literal brace"
        raise src.error(line, message) from exc
    for name in names:
        if name not in _REASON_FIELDS:
            raise src.error(
                line,
                f"{where} reason uses {{{name}}}; {suggestion(name, _REASON_FIELDS)} "
                f"(fields: {', '.join('{' + f + '}' for f in _REASON_FIELDS)})",
            )


def _check_keys(node: Map, valid: tuple[str, ...], what: str, src: Source) -> None:
    for entry in node.entries:
        if entry.key not in valid:
            raise src.error(entry.line, f"unknown key {entry.key!r} in {what}; {suggestion(entry.key, valid)}")


def _required(node: Map, key: str, what: str, src: Source) -> Node:
    entry = node.get(key)
    if entry is None:
        raise src.error(node.line, f"{what} is missing {key!r}")
    return entry.value


def _line(node: Map, key: str) -> int | None:
    entry = node.get(key)
    return entry.line if entry else None


def _text(node: Node, what: str, src: Source) -> str:
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return node.value
    if isinstance(node, Scalar) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return str(node.value)  # an id written as 2026 reads as text
    raise src.error(node.line, f"{what} must be text")


def _optional_text(node: Map, key: str, default: str, src: Source) -> str:
    entry = node.get(key)
    if entry is None:
        return default
    if isinstance(entry.value, Scalar) and entry.value.value is None:
        return ""
    return _text(entry.value, key, src)


def _mapping(entry: Entry, refusal: str, src: Source) -> Map:
    """The mapping under ``entry`` (an empty one for a bare ``key:``), else ``refusal`` at its line."""
    node = entry.value
    if isinstance(node, Scalar) and node.value is None:
        return Map(node.line, ())
    if not isinstance(node, Map):
        raise src.error(entry.line, refusal)
    return node


def _text_set(node: Node, what: str, src: Source) -> frozenset[str]:
    if isinstance(node, Scalar) and node.value is None:
        return frozenset()
    if not isinstance(node, Seq):
        raise src.error(node.line, f"{what} must be a list, e.g. [4W, 5E]")
    return frozenset(_text(item, f"{what} item", src) for item in node.items)


def _bool(node: Node, what: str, src: Source) -> bool:
    if isinstance(node, Scalar) and isinstance(node.value, bool):
        return node.value
    raise src.error(node.line, f"{what} must be true or false")


def _int(node: Node, what: str, src: Source) -> int:
    if isinstance(node, Scalar) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    raise src.error(node.line, f"{what} must be a whole number")


def _optional_date(node: Map, key: str, default: date | None, src: Source) -> date | None:
    entry = node.get(key)
    if entry is None:
        return default
    value = entry.value
    if isinstance(value, Scalar):
        raw = value.value
        if raw is None:
            return None
        if isinstance(raw, datetime):
            raise src.error(value.line, f"{key} must be a date (YYYY-MM-DD), not a date and time")
        if isinstance(raw, date):
            return raw
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
    raise src.error(value.line, f"{key} must be a date written YYYY-MM-DD, e.g. 2026-06-01")
