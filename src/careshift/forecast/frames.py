"""Long frames of demand history: one row per series and period.

The layout follows the statsforecast convention: ``unique_id`` names the series (a unit, a
department), ``ds`` is the period start and ``y`` the count in it; any further column is an
exogenous regressor (temperature, a holiday flag) known for the future too.

``ds`` is either *naive local wall-clock* (each row a clock slot, as many EHR extracts give
it; a daylight-saving day then still has 24 hourly rows) or timezone-aware on the unit's
clock. Calendar features (hour of week, month, holidays) always come from the local clock.

Every check raises :class:`~careshift.domain.errors.ForecastInputError` naming the offending
rows (file line numbers when the frame came from a CSV) and saying how to fix them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from careshift.domain.errors import ForecastInputError

REQUIRED = ("unique_id", "ds", "y")
_SHOW = 5  # rows named in one message; the count says how many more


def _rows(labels: Sequence[Any]) -> str:
    shown = ", ".join(str(label) for label in list(labels)[:_SHOW])
    more = len(labels) - _SHOW
    return f"{shown} (and {more} more)" if more > 0 else shown


def infer_freq(ds: pd.Series) -> pd.Timedelta:
    """The most common step between consecutive timestamps (ties: the smallest)."""
    steps = ds.sort_values().diff().dropna()
    if steps.empty:
        return pd.Timedelta(hours=1)
    counts = steps.value_counts()
    top = counts[counts == counts.max()].index.min()
    return pd.Timedelta(top)


def validate_frame(
    frame: pd.DataFrame,
    *,
    source: str | None = None,
    freq: str | pd.Timedelta | pd.DateOffset | None = None,
    allow_negative: bool = False,
) -> pd.DataFrame:
    """Check a long frame and return it sorted by ``unique_id`` then ``ds``.

    Refuses (``ForecastInputError``): missing columns, unparseable or missing timestamps,
    non-numeric or missing targets, negative counts (unless ``allow_negative``), duplicate
    ``(unique_id, ds)`` rows, and gaps or off-grid timestamps at ``freq`` (inferred per
    series when not given; monthly data may pass ``freq="MS"``).
    """
    missing = [col for col in REQUIRED if col not in frame.columns]
    if missing:
        raise ForecastInputError(
            f"missing column(s) {missing}; found {list(frame.columns)}. A forecast frame needs "
            "'unique_id' (series name), 'ds' (period start) and 'y' (count): rename the columns, "
            "or with the CLI pass --time-col and --target-col",
            source=source,
        )
    out = frame.copy()
    if not pd.api.types.is_datetime64_any_dtype(out["ds"]):
        parsed = pd.to_datetime(out["ds"], errors="coerce")
        bad = out.index[parsed.isna()]
        if len(bad):
            raise ForecastInputError(
                f"'ds' is not a timestamp at row(s) {_rows(bad)}; write ISO times such as 2024-03-01 07:00",
                source=source,
                location=f"row {bad[0]}",
            )
        out["ds"] = parsed
    na_ds = out.index[out["ds"].isna()]
    if len(na_ds):
        raise ForecastInputError(
            f"'ds' is empty at row(s) {_rows(na_ds)}; every row needs its period start",
            source=source,
            location=f"row {na_ds[0]}",
        )
    values = pd.to_numeric(out["y"], errors="coerce")
    bad_y = out.index[values.isna()]
    if len(bad_y):
        raise ForecastInputError(
            f"'y' is missing or not a number at row(s) {_rows(bad_y)}; give a count for every period "
            "(0 when nothing happened) or drop the series",
            source=source,
            location=f"row {bad_y[0]}",
        )
    out["y"] = values.astype(float)
    if not allow_negative:
        negative = out.index[out["y"] < 0]
        if len(negative):
            raise ForecastInputError(
                f"negative count at row(s) {_rows(negative)}; arrivals and census cannot be negative: "
                "fix the extract (a reversal booked as -1?) or net it out before forecasting",
                source=source,
                location=f"row {negative[0]}",
            )
    out["unique_id"] = out["unique_id"].astype(str)
    dup_mask = out.duplicated(subset=["unique_id", "ds"], keep=False)
    if dup_mask.any():
        dups = out.index[dup_mask]
        first = out.loc[dups[0]]
        raise ForecastInputError(
            f"duplicate period {first['ds']} for series {first['unique_id']!r} at row(s) {_rows(dups)}; "
            "keep one row per series and period (sum counts that belong together; with naive local "
            "times a daylight-saving fall-back hour appears twice: give offset-aware times instead)",
            source=source,
            location=f"row {dups[0]}",
        )
    out = out.sort_values(["unique_id", "ds"], kind="stable")
    for uid, group in out.groupby("unique_id", sort=False):
        _check_regular(group, str(uid), source, freq)
    return out


def _check_regular(
    group: pd.DataFrame, uid: str, source: str | None, freq: str | pd.Timedelta | pd.DateOffset | None
) -> None:
    ds = group["ds"]
    if len(ds) < 2:
        return
    if isinstance(freq, str) and not freq[:1].isdigit() and freq.upper().endswith(("MS", "M", "W", "D")):
        expected = pd.date_range(ds.iloc[0], ds.iloc[-1], freq=freq)
        missing = expected.difference(pd.DatetimeIndex(ds))
        extra = pd.DatetimeIndex(ds).difference(expected)
        step_text = freq
    else:
        step = pd.Timedelta(freq) if freq is not None else infer_freq(ds)
        expected = pd.date_range(ds.iloc[0], ds.iloc[-1], freq=step)
        missing = expected.difference(pd.DatetimeIndex(ds))
        extra = pd.DatetimeIndex(ds).difference(expected)
        step_text = str(step)
    if len(extra):
        rows = group.index[ds.isin(extra)]
        raise ForecastInputError(
            f"series {uid!r}: timestamp(s) off the {step_text} grid at row(s) {_rows(rows)} "
            f"(first {extra[0]}); resample to one row per period starting at {ds.iloc[0]}",
            source=source,
            location=f"row {rows[0]}",
        )
    if len(missing):
        before = group.index[ds < missing[0]]
        after = group.index[ds > missing[0]]
        where = f"between row {before[-1]} and row {after[0]}" if len(before) and len(after) else ""
        raise ForecastInputError(
            f"series {uid!r}: {len(missing)} missing period(s) at {step_text} steps, first {missing[0]} {where}; "
            "add a row with y=0 for each period with no arrivals (or y from another source if the feed was down)",
            source=source,
            location=f"row {after[0]}" if len(after) else None,
        )


def read_series_csv(
    path: str | Path,
    *,
    time_col: str,
    target_col: str,
    tz: str | None = None,
    id_col: str | None = None,
    exog_cols: Sequence[str] = (),
    freq: str | None = None,
) -> pd.DataFrame:
    """Load a CSV into a validated long frame.

    Timestamps may be naive local (taken as wall-clock slots on the unit's clock),
    offset-aware, or UTC (``Z``); aware times are converted to ``tz`` so that hour of week
    is local. Row labels are the file's line numbers, so errors point at the line to fix.
    """
    source = str(path)
    try:
        raw = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ForecastInputError(f"cannot read CSV: {exc}", source=source) from exc
    wanted = [time_col, target_col, *exog_cols] + ([id_col] if id_col else [])
    absent = [col for col in wanted if col not in raw.columns]
    if absent:
        raise ForecastInputError(
            f"column(s) {absent} not in the file; it has {list(raw.columns)}: pass the right --time-col/--target-col",
            source=source,
            location="line 1",
        )
    raw.index = raw.index + 2  # header is line 1
    frame = pd.DataFrame(
        {
            "unique_id": raw[id_col].astype(str) if id_col else Path(path).stem,
            "ds": parse_timestamps(raw[time_col], tz=tz, source=source),
            "y": raw[target_col],
        },
        index=raw.index,
    )
    for col in exog_cols:
        frame[col] = pd.to_numeric(raw[col], errors="coerce")
    return validate_frame(frame, source=source, freq=freq)


def parse_timestamps(values: pd.Series, *, tz: str | None, source: str | None = None) -> pd.Series:
    """Parse timestamps: naive stays naive (local clock slots); aware goes to ``tz`` (or UTC)."""
    text = values.astype(str).str.strip()
    aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if aware.any() and not aware.all():
        rows = values.index[~aware]
        raise ForecastInputError(
            f"mixed naive and offset-aware timestamps (naive at row(s) {_rows(rows)}); "
            "write all times the same way, preferably with their UTC offset",
            source=source,
            location=f"row {rows[0]}",
        )
    parsed = pd.to_datetime(text, errors="coerce", utc=bool(aware.any()))
    bad = values.index[parsed.isna()]
    if len(bad):
        raise ForecastInputError(
            f"unreadable timestamp at row(s) {_rows(bad)} (e.g. {values.loc[bad[0]]!r}); use ISO 8601",
            source=source,
            location=f"row {bad[0]}",
        )
    if aware.any():
        try:
            parsed = parsed.dt.tz_convert(tz or "UTC")
        except Exception as exc:  # pandas raises several types for an unknown zone
            raise ForecastInputError(f"unknown timezone {tz!r}; use an IANA name such as America/Chicago") from exc
    return parsed


def local_clock(ds: pd.Series) -> pd.Series:
    """Wall-clock times: aware timestamps lose their zone after conversion, naive ones stay."""
    if getattr(ds.dt, "tz", None) is not None:
        return ds.dt.tz_localize(None)
    return ds


def hour_of_week(ds: pd.Series) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Local hour of week, Monday 00:00 = 0 … Sunday 23:00 = 167."""
    local = local_clock(ds)
    return np.asarray(local.dt.dayofweek.to_numpy() * 24 + local.dt.hour.to_numpy(), dtype=np.int64)


def single_series(frame: pd.DataFrame, unique_id: str | None = None) -> pd.DataFrame:
    """The rows of one series (the only one when ``unique_id`` is None), index reset."""
    ids = frame["unique_id"].unique()
    if unique_id is None:
        if len(ids) != 1:
            raise ForecastInputError(f"expected one series, found {len(ids)}; pass the unique_id to use")
        unique_id = str(ids[0])
    part = frame[frame["unique_id"] == unique_id]
    if part.empty:
        raise ForecastInputError(f"no series {unique_id!r}; the frame has {list(ids)[:_SHOW]}")
    return part.reset_index(drop=True)
