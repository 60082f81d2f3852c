"""Policy YAML round-trips: any rules → YAML → rules is the identity, and the version
(content hash) survives the trip."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from careshift.domain.errors import DomainError
from careshift.domain.rules import CATALOGUE, Rule, RuleSpec, Scope
from careshift.domain.workforce import UnitType
from careshift.policy import dump_yaml, load_text, policy_version
from careshift.policy.params import param_types

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=8)


def values(hint: object) -> st.SearchStrategy[object]:
    """A strategy for any value of a family parameter's type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [arg for arg in args if arg is not type(None)]
        return st.none() | values(inner)
    if origin is frozenset:
        return st.frozensets(values(args[0]), max_size=4)
    if origin is tuple:
        return st.tuples(*(values(arg) for arg in args))
    if origin in (Mapping, dict):
        return st.dictionaries(NAMES, values(args[1]), max_size=4)  # type: ignore[arg-type]
    strategies: dict[object, st.SearchStrategy[object]] = {
        int: st.integers(-(10**9), 10**9),
        float: st.floats(allow_nan=False, allow_infinity=False),
        str: TEXT,
        bool: st.booleans(),
    }
    return strategies[hint]


# Parameters with a closed vocabulary or a range (policy files refuse anything else)
VALID: dict[tuple[str, str], st.SearchStrategy[object]] = {
    ("interval_cover", "level"): st.sampled_from(["floor", "target"]),
    ("fair_share", "kind"): st.sampled_from(["nights", "weekends", "holidays"]),
    ("nurse_to_patient_ratio", "patients_per_nurse"): st.dictionaries(
        st.sampled_from([unit_type.value for unit_type in UnitType]), st.integers(1, 100), max_size=4
    ),
}


@st.composite
def specs(draw: st.DrawFn) -> RuleSpec:
    spec_class = draw(st.sampled_from(sorted(CATALOGUE.values(), key=lambda cls: cls.family)))
    params = {
        name: draw(VALID.get((spec_class.family, name), values(hint))) for name, hint in param_types(spec_class).items()
    }
    try:
        return spec_class(**params)
    except DomainError:
        reject()


REASONS = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="{}"), max_size=6),
        st.sampled_from(["{rule}", "{staff}", "{day}", "{amount}", "{detail}", "{{", "}}"]),
    ),
    max_size=5,
).map("".join)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    first, second = draw(st.none() | st.dates()), draw(st.none() | st.dates())
    if first and second and second < first:
        first, second = second, first
    return Rule(
        id=draw(NAMES.filter(str.strip)),
        spec=draw(specs()),
        hard=draw(st.booleans()),
        weight=draw(st.integers(0, 10**6)),
        scope=Scope(*(draw(st.frozensets(NAMES, max_size=3)) for _ in range(4))),
        jurisdiction=draw(TEXT),
        effective_from=first,
        effective_to=second,
        citation=draw(TEXT),
        reason=draw(REASONS),
        priority=draw(st.integers(-1000, 1000)),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(rules(), max_size=5, unique_by=lambda rule: rule.id))
def test_rules_to_yaml_to_rules_is_the_identity(original: list[Rule]) -> None:
    text = dump_yaml(original, pack_id="prop", title="Property pack", jurisdiction="ZZ")
    loaded = load_text(text, source="prop.yaml")
    assert list(loaded.rules) == original
    for before, after in zip(original, loaded.rules, strict=True):
        assert type(after.spec) is type(before.spec)
        for field in dataclasses.fields(before.spec):  # type: ignore[arg-type]
            assert type(getattr(after.spec, field.name)) is type(getattr(before.spec, field.name))
    assert loaded.version == policy_version(original)


@settings(max_examples=25, deadline=None)
@given(st.lists(rules(), min_size=2, max_size=5, unique_by=lambda rule: rule.id), st.randoms())
def test_version_ignores_the_order_of_rules(original: list[Rule], random: typing.Any) -> None:
    shuffled = list(original)
    random.shuffle(shuffled)
    assert policy_version(shuffled) == policy_version(original)


def test_a_date_outside_the_strategy_still_round_trips() -> None:
    rule = Rule("r", next(iter(CATALOGUE.values()))(), effective_from=date(1, 1, 1), effective_to=date(9999, 12, 31))
    assert list(load_text(dump_yaml([rule], pack_id="d", title="D")).rules) == [rule]
