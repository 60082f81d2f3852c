"""Rule-family parameters: read them from YAML against the family's dataclass fields, and
write them back as plain data (for YAML, the content hash and diffs).

The family dataclasses in ``careshift.domain.rules`` are the schema: a parameter is valid
when it names a field of the family's spec and its value fits the field's annotation.
Supported annotations are the ones the families use: ``int``, ``float``, ``str``,
``bool``, ``X | None``, ``frozenset[X]``, ``tuple[X, Y]`` and ``Mapping[str, X]``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date

from careshift.domain.rules import RuleSpec
from careshift.domain.workforce import UnitType
from careshift.policy._yaml import Entry, Map, Node, Scalar, Seq, Source, suggestion

VOCABULARY: dict[tuple[str, str], tuple[str, ...]] = {
    ("nurse_to_patient_ratio", "patients_per_nurse"): tuple(unit_type.value for unit_type in UnitType),
    ("fair_share", "kind"): ("nights", "weekends", "holidays"),
    ("interval_cover", "level"): ("floor", "target"),
}
"""Closed sets of words some parameters take (as mapping keys or as the value itself).
A misspelt unit type would otherwise make a ratio silently bind nothing."""

_TYPES: dict[str, dict[str, object]] = {}


def param_types(spec_class: type[RuleSpec]) -> dict[str, object]:
    """The family's parameter names and their resolved type annotations, in field order."""
    found = _TYPES.get(spec_class.family)
    if found is None:
        hints = typing.get_type_hints(spec_class)
        fields = dataclasses.fields(spec_class)  # type: ignore[arg-type]
        found = _TYPES[spec_class.family] = {item.name: hints[item.name] for item in fields}
    return found


def describe(hint: object) -> str:
    """A reader's name for a parameter type, used in error messages."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is int:
        return "a whole number"
    if hint is float:
        return "a number"
    if hint is str:
        return "text"
    if hint is bool:
        return "true or false"
    if origin in (types.UnionType, typing.Union):
        inner = [describe(arg) for arg in args if arg is not type(None)]
        return " or ".join(inner) + " (or null)"
    if origin is frozenset:
        return f"a list of {describe(args[0])}"
    if origin is tuple:
        return "a list of " + ", ".join(describe(arg) for arg in args)
    if origin in (Mapping, dict, typing.Mapping):
        return f"a mapping of {describe(args[0])} to {describe(args[1])}"
    return str(hint)


def read_value(node: Node, hint: object, what: str, src: Source) -> object:
    """``node`` as a value of type ``hint``; a ``PolicyError`` at the node's line otherwise."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)

    def wrong() -> Exception:
        shown = node.value if isinstance(node, Scalar) else ("a list" if isinstance(node, Seq) else "a mapping")
        return src.error(node.line, f"{what} must be {describe(hint)}, got {shown!r}")

    if origin in (types.UnionType, typing.Union):
        if isinstance(node, Scalar) and node.value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return read_value(node, inner, what, src)
    if origin is frozenset:
        if not isinstance(node, Seq):
            raise wrong()
        return frozenset(read_value(item, args[0], f"{what} item", src) for item in node.items)
    if origin is tuple:
        if not isinstance(node, Seq) or len(node.items) != len(args):
            raise wrong()
        return tuple(read_value(item, arg, f"{what} item", src) for item, arg in zip(node.items, args, strict=True))
    if origin in (Mapping, dict, typing.Mapping):
        if not isinstance(node, Map):
            raise wrong()
        return {
            str(read_value(Scalar(entry.line, entry.key), args[0], f"{what} key", src)): read_value(
                entry.value, args[1], f"{what}.{entry.key}", src
            )
            for entry in node.entries
        }
    if not isinstance(node, Scalar):
        raise wrong()
    value = node.value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise wrong()
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise wrong()
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise wrong()
    if hint is str:
        if isinstance(value, str):
            return value
        raise wrong()
    raise src.error(node.line, f"{what}: parameters of type {hint} cannot be set from a policy file")


def read_params(params: Map, spec_class: type[RuleSpec], rule_id: str, src: Source) -> dict[str, object]:
    """The ``params:`` mapping of a rule, checked against ``spec_class``'s fields."""
    valid = param_types(spec_class)
    values: dict[str, object] = {}
    for entry in params.entries:
        if entry.key not in valid:
            if valid:
                hint = suggestion(entry.key, valid)
            else:
                hint = f"family {spec_class.family!r} takes no params; remove 'params'"
            raise src.error(
                entry.line,
                f"rule {rule_id!r}: unknown parameter {entry.key!r} for family {spec_class.family!r}; {hint}",
            )
        values[entry.key] = read_value(entry.value, valid[entry.key], f"rule {rule_id!r} param {entry.key}", src)
        words = VOCABULARY.get((spec_class.family, entry.key))
        if words is not None:
            _check_words(entry, words, rule_id, src)
    return values


def _check_words(entry: Entry, words: tuple[str, ...], rule_id: str, src: Source) -> None:
    """Refuse a word outside the parameter's vocabulary, at its line, with the nearest word."""
    if isinstance(entry.value, Map):
        found = [(item.key, item.line) for item in entry.value.entries]
    elif isinstance(entry.value, Scalar):
        found = [(str(entry.value.value), entry.value.line)]
    else:
        return
    for word, line in found:
        if word not in words:
            raise src.error(line, f"rule {rule_id!r} param {entry.key}: unknown {word!r}; {suggestion(word, words)}")


def plain(value: object) -> object:
    """``value`` as YAML/JSON-friendly data: sets become sorted lists, tuples lists,
    mappings plain dicts with sorted keys. Dates stay dates (the caller decides)."""
    if isinstance(value, frozenset | set):
        items = [plain(item) for item in value]
        return sorted(items, key=repr)
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): plain(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, bool | int | float | str | date) or value is None:
        return value
    raise TypeError(f"cannot write {value!r} to a policy file")


def spec_params(spec: RuleSpec) -> dict[str, object]:
    """Every parameter of ``spec`` as plain data, in field order."""
    return {field.name: plain(getattr(spec, field.name)) for field in dataclasses.fields(spec)}  # type: ignore[arg-type]
