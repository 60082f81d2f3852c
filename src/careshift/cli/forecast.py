"""`careshift forecast` commands: rolling-origin backtest and prediction of quantiles.

pandas, numpy and lightgbm come with the optional ``forecast`` extra and are imported inside
the commands, so the rest of the CLI starts without them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from careshift.domain.errors import ForecastInputError

if TYPE_CHECKING:
    from datetime import datetime

    from careshift.forecast.backtest import ForecastModel
    from careshift.forecast.models import Forecast
    from careshift.forecast.series import Series

forecast_app = typer.Typer(help="Probabilistic demand forecasts: backtest a series, predict quantiles.")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_MINUTES = {"m": 1, "min": 1, "h": 60, "d": 1440, "w": 10080}


def duration_minutes(text: str, what: str) -> int:
    """``"12h"``, ``"2d"``, ``"15m"``, ``"1w"`` → minutes."""
    match = _DURATION.match(text)
    if not match:
        raise ForecastInputError(f"{what}: cannot read duration {text!r}; write e.g. 12h, 2d, 15m or 1w")
    return int(round(float(match.group(1)) * _MINUTES[match.group(2).lower()]))


MODEL_NAMES = ("gbm", "qgbm", "mstl", "autoets", "baselines")
_MODEL_ALIASES = {
    "climatology": "baselines",
    "count_gbm": "gbm",
    "ets": "autoets",
    "quantile_gbm": "qgbm",
}


def parse_models(text: str) -> list[str]:
    """``"gbm,climatology,mstl"`` → ``["gbm", "baselines", "mstl"]`` (aliases resolved, order kept)."""
    chosen: list[str] = []
    for part in text.split(","):
        name = _MODEL_ALIASES.get(part.strip().lower(), part.strip().lower())
        if name not in MODEL_NAMES:
            raise ForecastInputError(
                f"--models: unknown model {part.strip()!r}; "
                f"choose from {', '.join(MODEL_NAMES)} (climatology = baselines)"
            )
        if name not in chosen:
            chosen.append(name)
    if not [name for name in chosen if name != "baselines"]:
        raise ForecastInputError("--models needs at least one of gbm, qgbm, mstl, autoets besides the baselines")
    return chosen


def _steps(text: str, what: str, step_minutes: int) -> int:
    minutes = duration_minutes(text, what)
    if minutes % step_minutes:
        raise ForecastInputError(f"{what} {text} is not a whole number of {step_minutes}-minute periods")
    return max(1, minutes // step_minutes)


SeriesOpt = Annotated[Path, typer.Option("--series", help="CSV file with one row per period.")]
TimeOpt = Annotated[str, typer.Option("--time-col", help="Column with the period start.")]
TargetOpt = Annotated[str, typer.Option("--target-col", help="Column with the count to forecast.")]
TzOpt = Annotated[
    str | None, typer.Option("--tz", help="IANA zone of the unit; offset-aware times are converted to it.")
]
QuantOpt = Annotated[str, typer.Option("--quantiles", help="Levels as start:stop:step or a comma list.")]
ExogOpt = Annotated[list[str] | None, typer.Option("--exog", help="Exogenous column known in advance (repeat).")]
CountryOpt = Annotated[str | None, typer.Option("--country", help="Holiday calendar (ISO code, e.g. US).")]
SubdivOpt = Annotated[str | None, typer.Option("--subdiv", help="Holiday subdivision (e.g. IA).")]
RoundsOpt = Annotated[int, typer.Option("--rounds", help="Boosting rounds of the model.")]


@forecast_app.command("backtest")
def backtest_command(
    series: SeriesOpt,
    time_col: TimeOpt,
    target_col: TargetOpt,
    tz: TzOpt = None,
    test_start: Annotated[
        str | None, typer.Option("--test-start", help="First test period (a date or time, local clock).")
    ] = None,
    test_fraction: Annotated[
        float | None, typer.Option("--test-fraction", help="Share of periods at the end to test on.")
    ] = None,
    origin_every: Annotated[str, typer.Option("--origin-every", help="Time between forecast origins.")] = "12h",
    horizon: Annotated[str, typer.Option("--horizon", help="How far each origin looks ahead.")] = "48h",
    quantiles: QuantOpt = "0.05:0.95:0.05",
    refit_every: Annotated[str, typer.Option("--refit-every", help="How often the model is refitted.")] = "30d",
    trailing_window: Annotated[
        str, typer.Option("--trailing-window", help="Window of the trailing hour-of-week quantile baseline.")
    ] = "365d",
    exog: ExogOpt = None,
    country: CountryOpt = None,
    subdiv: SubdivOpt = None,
    rounds: RoundsOpt = 500,
    models: Annotated[
        str,
        typer.Option(
            "--models",
            help="Models to backtest and select from: gbm, qgbm, mstl, autoets, baselines (alias climatology). "
            "qgbm (LightGBM quantile regression, one booster per level) and mstl/autoets (statsforecast, "
            "fitted on the last --fit-weeks) are opt-in: slower on long series.",
        ),
    ] = "gbm,baselines",
    fit_weeks: Annotated[
        int, typer.Option("--fit-weeks", help="Trailing weeks the statsforecast models are fitted on.")
    ] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Run a CSV series through the rolling-origin protocol; print the metrics of each model
    and baseline (MAE, RMSE, pinball, CRPS, coverage and width at 50/80/95 %) and the model
    selected by backtest for this series."""
    import pandas as pd

    from careshift.forecast.backtest import Protocol, run_backtest, select_model
    from careshift.forecast.frames import read_series_csv
    from careshift.forecast.metrics import parse_grid, scores_table
    from careshift.forecast.models import CountGBM, GBMConfig
    from careshift.forecast.quantile_gbm import QuantileConfig, QuantileGBM
    from careshift.forecast.series import series_from_frame
    from careshift.forecast.statsforecast_models import StatsConfig, StatsForecastModel

    if (test_start is None) == (test_fraction is None):
        raise ForecastInputError("give exactly one of --test-start DATE or --test-fraction F")
    chosen = parse_models(models)
    if fit_weeks < 2:
        raise ForecastInputError(f"--fit-weeks must be at least 2 (MSTL needs two weekly cycles), got {fit_weeks}")
    columns = list(exog or [])
    frame = read_series_csv(series, time_col=time_col, target_col=target_col, tz=tz, exog_cols=columns)
    data = series_from_frame(frame, exog=columns, country=country, subdiv=subdiv)
    if test_fraction is not None:
        if not 0 < test_fraction < 1:
            raise ForecastInputError(f"--test-fraction must be between 0 and 1, got {test_fraction}")
        start = int(round(data.n * (1 - test_fraction)))
    else:
        stamp = pd.Timestamp(test_start)
        if getattr(data.ds.dt, "tz", None) is not None and stamp.tzinfo is None:
            stamp = stamp.tz_localize(data.ds.dt.tz)
        start = int(pd.DatetimeIndex(data.ds).searchsorted(stamp))
    step = data.step_minutes
    grid = parse_grid(quantiles)
    protocol = Protocol(
        test_start=start,
        every=_steps(origin_every, "--origin-every", step),
        horizon=_steps(horizon, "--horizon", step),
        refit_every=_steps(refit_every, "--refit-every", step),
        grid=grid,
    )
    window = _steps(trailing_window, "--trailing-window", step)
    config = GBMConfig(
        horizon=protocol.horizon, num_rounds=rounds, use_exog=bool(columns), warmup_hours=min(672, start // 4)
    )
    factories: dict[str, Callable[[], ForecastModel]] = {}
    for name in chosen:
        if name == "gbm":
            factories["count_gbm"] = lambda: CountGBM(config)
        elif name == "qgbm":
            # cheaper boosters than the count model's: one is trained per quantile level
            qconfig = QuantileConfig(replace(config, num_rounds=min(rounds, 200), threads=2))
            factories["quantile_gbm"] = partial(QuantileGBM, qconfig)
        elif name in ("mstl", "autoets"):
            stats = StatsConfig(kind="mstl" if name == "mstl" else "autoets", fit_weeks=fit_weeks)
            factories[name] = partial(StatsForecastModel, stats)
    if "mstl" in factories or "autoets" in factories:
        typer.echo(
            "statsforecast models: fitted on the last "
            f"{fit_weeks} weeks at every refit and run forward from each origin "
            "(about 10 s per model for a year of 12-hourly origins on hourly data)",
            err=True,
        )
    (main_name, main_factory), *others = factories.items()
    result = run_backtest(
        data,
        protocol,
        main_factory,
        trailing_window=window if window <= start else None,
        candidates=dict(others),
    )
    rows = result.scores(main_name, with_baselines="baselines" in chosen)
    if as_json:
        payload = {
            "series": str(series),
            "test_start": str(data.ds.iloc[start]),
            "targets": len(result.y),
            "origin_every_periods": protocol.every,
            "horizon_periods": protocol.horizon,
            "quantiles": list(grid),
            "models": [row.as_dict() for row in rows],
            "fit_seconds": {name: round(value, 2) for name, value in result.fit_seconds.items()},
            "selected": select_model(rows),
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(f"{series}: {len(result.y)} targets from {data.ds.iloc[start]}")
        typer.echo(scores_table(rows))
        typer.echo(f"selected by backtest (lowest pinball with 80 % coverage in 0.7–0.9): {select_model(rows)}")


@forecast_app.command("predict")
def predict_command(
    series: SeriesOpt,
    time_col: TimeOpt,
    target_col: TargetOpt,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write the quantiles to.")],
    tz: TzOpt = None,
    horizon: Annotated[str, typer.Option("--horizon", help="How far to forecast after the last period.")] = "48h",
    quantiles: QuantOpt = "0.05:0.95:0.05",
    country: CountryOpt = None,
    subdiv: SubdivOpt = None,
    rounds: RoundsOpt = 500,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Also store the forecast for this unit in the database (served by the API)."),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL for --unit (default: $CARESHIFT_DATABASE_URL or SQLite)")
    ] = None,
    ratio: Annotated[
        list[str] | None,
        typer.Option("--ratio", help="With --unit: also store staff needed, SKILL:PATIENTS_PER_STAFF (repeat)."),
    ] = None,
) -> None:
    """Fit on the whole series and write mean, quantiles and 50/80/95 % intervals per period
    after its end (columns ``mean``, ``q0.05`` …, ``lo-80``, ``hi-80`` …). With ``--unit`` the
    run is also stored, with the data-quality gate's verdict, for ``GET /units/{unit}/forecasts``
    and for the next plans of the unit."""
    import pandas as pd

    from careshift.forecast.frames import read_series_csv
    from careshift.forecast.metrics import parse_grid
    from careshift.forecast.series import series_from_frame

    frame = read_series_csv(series, time_col=time_col, target_col=target_col, tz=tz)
    data = series_from_frame(frame, country=country, subdiv=subdiv)
    steps = _steps(horizon, "--horizon", data.step_minutes)
    grid = parse_grid(quantiles)
    starts, forecast, features = fit_and_predict(data, steps, grid, rounds=rounds)
    table = pd.DataFrame({"unique_id": data.unique_id, "ds": starts, "mean": forecast.mean})
    for index, level in enumerate(grid):
        table[f"q{level:g}"] = forecast.quantiles[:, index]
    for coverage, (lo, hi) in forecast.intervals.items():
        table[f"lo-{coverage}"] = lo
        table[f"hi-{coverage}"] = hi
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    typer.echo(f"wrote {len(table)} periods × {len(grid)} quantiles to {out}")
    if unit is not None:
        ratios = [parse_ratio(text) for text in ratio or ()]
        stored = store_run(unit, db, starts, forecast, grid, ratios, step=data.step_minutes, features=features)
        typer.echo(f"stored forecast {stored} for unit {unit} (GET /units/{unit}/forecasts)")


def fit_and_predict(
    data: Series, steps: int, grid: tuple[float, ...], *, rounds: int
) -> tuple[list[datetime], Forecast, str]:
    """Fit the count model on the whole of ``data`` and forecast the ``steps`` periods after
    its end: the period starts, the forecast, and the name of the feature set it used (what
    ``forecast predict`` writes and stores, and what ``careshift demo`` stores per unit)."""
    import numpy as np

    from careshift.forecast.models import CountGBM, GBMConfig

    config = GBMConfig(horizon=steps, num_rounds=rounds, warmup_hours=min(672, data.n // 4))
    model = CountGBM(config).fit(data)
    future = data.extended(steps)
    origin = np.full(steps, data.n - 1, dtype=np.int64)
    h = np.arange(1, steps + 1, dtype=np.int64)
    forecast = model.predict(future, origin, h, grid)
    starts = [stamp.to_pydatetime() for stamp in future.ds.iloc[data.n :]]
    windows = ",".join(map(str, config.window_hours))
    return starts, forecast, f"calendar+climatology+windows({windows})+holidays({data.country or '-'})"


def parse_ratio(text: str) -> tuple[str, float]:
    """``"RN:4"`` → ``("RN", 4.0)``: at most four patients per RN."""
    skill, _, per = text.partition(":")
    try:
        value = float(per)
    except ValueError:
        value = 0.0
    if not skill.strip() or value <= 0:
        raise ForecastInputError(f"--ratio {text!r}: write SKILL:PATIENTS_PER_STAFF with a positive number, e.g. RN:4")
    return skill.strip(), value


def store_run(
    unit: str,
    db: str | None,
    starts: list[datetime],
    forecast: Forecast,
    grid: tuple[float, ...],
    ratios: list[tuple[str, float]],
    *,
    step: int,
    features: str,
) -> str:
    """Store the prediction as a forecast run of ``unit`` with the gate's verdict; returns its id."""
    import uuid
    from datetime import UTC, datetime

    from careshift import __version__
    from careshift.adapters.store.decisions import SqlDecisionStore
    from careshift.service.forecasts import ForecastPoint, StoredForecast, staff_needed, store_forecast
    from careshift.settings import Settings

    if any(start.tzinfo is None for start in starts):
        raise ForecastInputError("--unit stores instants: give --tz (the unit's IANA zone) or offset-aware times")
    url = db or Settings().resolved_database_url()
    now = datetime.now(UTC)
    store = SqlDecisionStore(url)  # migrates: the forecast table may be new
    try:
        verdict, reason = _quality_verdict(url, unit, now)
        census = tuple(
            ForecastPoint(
                start=start,
                skill=None,
                mean=float(forecast.mean[i]),
                quantiles={level: float(forecast.quantiles[i, k]) for k, level in enumerate(grid)},
                intervals={c: (float(lo[i]), float(hi[i])) for c, (lo, hi) in forecast.intervals.items()},
            )
            for i, start in enumerate(starts)
        )
        points = census + tuple(p for skill, per in ratios for p in staff_needed(census, skill, per))
        run = StoredForecast(
            id=uuid.uuid4().hex,
            unit=unit,
            generated_at=now,
            model_version=f"count_gbm careshift {__version__}",
            feature_set=features,
            points=points,
            step_minutes=step,
            quality_verdict=verdict,
            quality_reason=reason,
        )
        store_forecast(store.unit_of_work, run, actor="careshift-cli", at=now)
    finally:
        store.close()
    return run.id


def _quality_verdict(url: str, unit: str, now: datetime) -> tuple[str, str]:
    """The data-quality gate's verdict for ``unit`` on the stored data; ``unknown`` when the
    database holds nothing for the gate to check (the series came from a file)."""
    from careshift.adapters.store.database import open_existing
    from careshift.adapters.store.imports import SqlReferenceData
    from careshift.service.gate import AssessedGate
    from careshift.service.quality import assess, load_snapshot

    events = open_existing(url)
    try:
        report = assess(load_snapshot(events, SqlReferenceData(events.engine), now), now)
    finally:
        events.close()
    if any(finding.check == "no_data" for finding in report.findings):
        return "unknown", "the database holds no staff, roster or census for the data-quality gate to check"
    verdict, why = AssessedGate(lambda _: report, lambda: now, lambda: [unit]).verdict(unit)
    warnings = len(report.findings)
    return verdict, why or (f"{warnings} finding(s); see careshift quality" if warnings else "")


def register(root: typer.Typer) -> None:
    """Add ``careshift forecast backtest|predict`` to the root app."""
    root.add_typer(forecast_app, name="forecast")
