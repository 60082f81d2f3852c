import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from careshift.cli import app
from careshift.cli.forecast import duration_minutes
from careshift.domain.errors import ForecastInputError
from tests.unit.forecast_helpers import poisson_frame

runner = CliRunner()


@pytest.fixture
def arrivals_csv(tmp_path: Path) -> Path:
    frame, _ = poisson_frame(weeks=8)
    path = tmp_path / "arrivals.csv"
    # offset-aware local times, as an integration engine would send them
    stamps = frame["ds"].dt.tz_localize("UTC").dt.tz_convert("America/Chicago")
    pd.DataFrame({"when": stamps.map(lambda t: t.isoformat()), "patients": frame["y"].astype(int)}).to_csv(
        path, index=False
    )
    return path


def test_backtest_prints_metrics_for_our_model_and_each_baseline_as_json(arrivals_csv: Path) -> None:
    args = ["forecast", "backtest", "--series", str(arrivals_csv), "--time-col", "when", "--target-col", "patients"]
    args += ["--tz", "America/Chicago", "--test-fraction", "0.15", "--origin-every", "12h", "--horizon", "24h"]
    args += ["--trailing-window", "4w", "--rounds", "30", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    models = {row["model"]: row for row in payload["models"]}
    assert set(models) == {
        "count_gbm",
        "seasonal_naive",
        "last4_same_hour",
        "climatology_static",
        "climatology_last_672",
    }
    for row in models.values():
        for key in ("mae", "rmse", "pinball", "coverage_50", "coverage_80", "coverage_95", "width_80"):
            assert row[key] >= 0
    assert len(payload["quantiles"]) == 19
    assert payload["selected"] in models


def test_backtest_table_with_a_test_start_date(arrivals_csv: Path) -> None:
    args = ["forecast", "backtest", "--series", str(arrivals_csv), "--time-col", "when", "--target-col", "patients"]
    args += ["--tz", "America/Chicago", "--test-start", "2024-02-19", "--horizon", "12h", "--rounds", "20"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "| count_gbm |" in result.output and "| climatology_static |" in result.output


def test_predict_writes_quantiles_and_intervals(arrivals_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred.csv"
    args = ["forecast", "predict", "--series", str(arrivals_csv), "--time-col", "when", "--target-col", "patients"]
    args += ["--tz", "America/Chicago", "--horizon", "24h", "--rounds", "20", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 24
    quantiles = table[[c for c in table.columns if c.startswith("q")]].to_numpy()
    assert (quantiles[:, 1:] >= quantiles[:, :-1]).all()
    assert (table["lo-80"] <= table["hi-80"]).all()


def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("when,patients\n2024-01-01 00:00,3\n2024-01-01 01:00,-1\n")
    args = ["forecast", "backtest", "--series", str(path), "--time-col", "when", "--target-col", "patients"]
    result = runner.invoke(app, [*args, "--test-fraction", "0.5"])
    assert isinstance(result.exception, ForecastInputError)
    assert "row 3" in str(result.exception)
    both = runner.invoke(app, [*args, "--test-fraction", "0.5", "--test-start", "2024-01-01"])
    assert "exactly one of --test-start" in str(both.exception)
    with pytest.raises(ForecastInputError, match="12h, 2d"):
        duration_minutes("twelve hours", "--horizon")
    assert duration_minutes("2d", "x") == 2880


def test_the_cli_starts_without_the_forecast_extra_imported() -> None:
    code = (
        "import sys; import careshift.cli.forecast; "
        "heavy = [m for m in ('pandas', 'numpy', 'lightgbm', 'statsforecast', 'matplotlib') if m in sys.modules]; "
        "print(heavy)"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(src)}
    )
    assert output.stdout.strip() == "[]"


def test_backtest_with_statsforecast_models_selects_among_them(arrivals_csv: Path) -> None:
    args = ["forecast", "backtest", "--series", str(arrivals_csv), "--time-col", "when", "--target-col", "patients"]
    args += ["--tz", "America/Chicago", "--test-fraction", "0.1", "--origin-every", "12h", "--horizon", "24h"]
    args += ["--refit-every", "7d", "--models", "autoets,climatology", "--fit-weeks", "3", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    models = {row["model"]: row for row in payload["models"]}
    assert "autoets" in models and "climatology_static" in models and "count_gbm" not in models
    calibrated = [row for row in models.values() if 0.7 <= row["coverage_80"] <= 0.9] or list(models.values())
    assert payload["selected"] == min(calibrated, key=lambda row: row["pinball"])["model"]
    assert set(payload["fit_seconds"]) == {"autoets"}


def test_unknown_model_name_lists_the_choices(arrivals_csv: Path) -> None:
    args = ["forecast", "backtest", "--series", str(arrivals_csv), "--time-col", "when", "--target-col", "patients"]
    result = runner.invoke(app, [*args, "--test-fraction", "0.1", "--models", "gbm,prophet"])
    assert isinstance(result.exception, ForecastInputError)
    assert "'prophet'" in str(result.exception) and "mstl" in str(result.exception)
