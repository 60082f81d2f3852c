"""The ``triggers:`` section of a policy pack: per-unit thresholds for event-driven repair.

```yaml
triggers:
  defaults:                     # every unit without its own entry
    census_rise_patients: 4     # census up by 4 patients ...
    census_rise_percent: 20     # ... or by 20 % of a census of at least census_min_patients
    census_min_patients: 5
    census_window_minutes: 120  # ... within 2 hours
    ed_arrivals_per_hour: 10    # more than 10 emergency arrivals in an hour
    repair_days: 2              # repair the event's day and the next day
  units:
    4W: {census_rise_patients: 6}
    ED: {ed_arrivals_per_hour: 15, census_rise_patients: null}   # null switches a test off
```

Keys override key by key: a unit entry over ``defaults``, a pack over the pack it extends.
A missing section keeps the built-in defaults (:class:`careshift.domain.triggers.UnitTriggers`).
A wrong key or value is a ``PolicyError`` naming the file, line and the nearest valid key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from careshift.domain.triggers import TriggerPolicy, UnitTriggers
from careshift.policy._yaml import Entry, Map, Node, Scalar, Source, suggestion

SECTION_KEYS = ("defaults", "units")
SWITCHABLE = ("census_rise_patients", "census_rise_percent", "ed_arrivals_per_hour")
THRESHOLD_KEYS = (*SWITCHABLE, "census_min_patients", "census_window_minutes", "repair_days")
LIMITS: dict[str, tuple[float, float]] = {
    "census_rise_patients": (1, 1000),
    "census_rise_percent": (1, 1000),
    "census_min_patients": (0, 1000),
    "census_window_minutes": (15, 7 * 24 * 60),
    "ed_arrivals_per_hour": (0, 10000),
    "repair_days": (1, 28),
}

Layer = dict[str, Any]
"""Threshold keys a pack sets, as written (``census_window_minutes``, ``None`` for off)."""

Settings = dict[str, Layer]
"""``""`` → the defaults layer, a unit id → that unit's layer."""


def read_triggers(entry: Entry, inherited: Mapping[str, Layer], src: Source) -> Settings:
    """The ``triggers:`` section over the ``inherited`` layers (the parent pack's)."""
    section = _map(entry.value, entry.line, "'triggers' must be a mapping with 'defaults' and/or 'units'", src)
    _check(section, SECTION_KEYS, "triggers", src)
    settings: Settings = {name: dict(layer) for name, layer in inherited.items()}
    defaults = section.get("defaults")
    if defaults is not None:
        layer = _map(defaults.value, defaults.line, "'triggers.defaults' must be a mapping of thresholds", src)
        settings.setdefault("", {}).update(_layer(layer, "triggers.defaults", src))
    units = section.get("units")
    if units is not None:
        by_unit = _map(units.value, units.line, "'triggers.units' must map unit ids to thresholds", src)
        for unit in by_unit.entries:
            where = f"triggers.units.{unit.key}"
            layer = _map(unit.value, unit.line, f"'{where}' must be a mapping of thresholds", src)
            settings.setdefault(unit.key, {}).update(_layer(layer, where, src))
    return settings


def resolve(settings: Mapping[str, Layer]) -> TriggerPolicy:
    """The thresholds the layers give: defaults first, each unit's keys over them."""
    defaults = _apply(UnitTriggers(), settings.get("", {}))
    units = {unit: _apply(defaults, layer) for unit, layer in settings.items() if unit}
    return TriggerPolicy(defaults, units)


def _apply(base: UnitTriggers, layer: Layer) -> UnitTriggers:
    values = dict(layer)
    if "census_window_minutes" in values:
        values["census_window"] = timedelta(minutes=values.pop("census_window_minutes"))
    return replace(base, **values)


def _layer(node: Map, where: str, src: Source) -> Layer:
    _check(node, THRESHOLD_KEYS, where, src)
    layer: Layer = {}
    for entry in node.entries:
        value = entry.value.value if isinstance(entry.value, Scalar) else entry.value
        low, high = LIMITS[entry.key]
        if value is None and entry.key in SWITCHABLE:
            layer[entry.key] = None
            continue
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        whole = entry.key != "census_rise_percent"
        if not numeric or (whole and not isinstance(value, int)) or not low <= value <= high:  # type: ignore[operator]
            kind = "a whole number" if whole else "a number"
            off = " (or null to switch it off)" if entry.key in SWITCHABLE else ""
            raise src.error(entry.line, f"{where}.{entry.key} must be {kind} from {low:g} to {high:g}{off}")
        layer[entry.key] = float(value) if not whole else value  # type: ignore[arg-type]
    return layer


def _map(node: Node, line: int, refusal: str, src: Source) -> Map:
    if isinstance(node, Scalar) and node.value is None:
        return Map(node.line, ())
    if not isinstance(node, Map):
        raise src.error(line, refusal)
    return node


def _check(node: Map, valid: tuple[str, ...], what: str, src: Source) -> None:
    for entry in node.entries:
        if entry.key not in valid:
            raise src.error(entry.line, f"unknown key {entry.key!r} in {what}; {suggestion(entry.key, valid)}")
