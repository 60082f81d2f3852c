from pathlib import Path

import pandas as pd
import pytest

from careshift.domain.errors import ForecastInputError
from careshift.forecast.frames import hour_of_week, read_series_csv, validate_frame


def _frame(values: list[float], start: str = "2024-01-01") -> pd.DataFrame:
    ds = pd.date_range(start, periods=len(values), freq="h")
    return pd.DataFrame({"unique_id": "ed", "ds": ds, "y": values})


def test_a_clean_frame_comes_back_sorted() -> None:
    frame = _frame([1, 2, 3, 4]).iloc[::-1]
    out = validate_frame(frame)
    assert list(out["y"]) == [1, 2, 3, 4]


def test_wrong_columns_are_named_with_the_fix() -> None:
    frame = _frame([1, 2]).rename(columns={"y": "arrivals"})
    with pytest.raises(ForecastInputError, match=r"missing column\(s\) \['y'\].*--target-col"):
        validate_frame(frame)


def test_negative_counts_name_their_rows() -> None:
    frame = _frame([1, -1, 2, -3])
    with pytest.raises(ForecastInputError, match=r"negative count at row\(s\) 1, 3.*cannot be negative") as info:
        validate_frame(frame, source="arrivals.csv")
    assert info.value.source == "arrivals.csv"
    assert info.value.location == "row 1"


def test_duplicates_name_their_rows_and_the_fix() -> None:
    frame = pd.concat([_frame([1, 2, 3]), _frame([5])], ignore_index=True)
    with pytest.raises(ForecastInputError, match=r"duplicate period .* at row\(s\) 0, 3.*keep one row"):
        validate_frame(frame)


def test_gaps_name_the_missing_period_and_the_neighbouring_rows() -> None:
    frame = _frame([1, 2, 3, 4, 5]).drop(index=2)
    with pytest.raises(ForecastInputError, match=r"1 missing period.*2024-01-01 02:00.*between row 1 and row 3.*y=0"):
        validate_frame(frame, freq="1h")


def test_missing_target_values_are_refused() -> None:
    frame = _frame([1, float("nan"), 2])
    with pytest.raises(ForecastInputError, match=r"'y' is missing or not a number at row\(s\) 1"):
        validate_frame(frame)


def test_monthly_gaps_are_found_with_a_calendar_frequency() -> None:
    ds = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"])
    frame = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2.0, 3.0]})
    with pytest.raises(ForecastInputError, match="2024-03-01"):
        validate_frame(frame, freq="MS")


def test_csv_errors_point_at_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "ed.csv"
    path.write_text("when,count\n2024-01-01 00:00,3\n2024-01-01 01:00,-2\n")
    with pytest.raises(ForecastInputError, match=r"ed.csv:row 3: negative count at row\(s\) 3"):
        read_series_csv(path, time_col="when", target_col="count")


def test_csv_with_a_wrong_column_lists_the_columns_it_has(tmp_path: Path) -> None:
    path = tmp_path / "ed.csv"
    path.write_text("when,count\n2024-01-01 00:00,3\n")
    with pytest.raises(ForecastInputError, match=r"\['arrivals'\] not in the file; it has \['when', 'count'\]"):
        read_series_csv(path, time_col="when", target_col="arrivals")


def test_offset_aware_and_utc_times_get_local_hour_of_week(tmp_path: Path) -> None:
    aware = tmp_path / "aware.csv"
    aware.write_text("t,y\n2024-01-01T06:00:00-06:00,1\n2024-01-01T07:00:00-06:00,2\n")
    utc = tmp_path / "utc.csv"
    utc.write_text("t,y\n2024-01-01T12:00:00Z,1\n2024-01-01T13:00:00Z,2\n")
    naive = tmp_path / "naive.csv"
    naive.write_text("t,y\n2024-01-01 06:00,1\n2024-01-01 07:00,2\n")
    for path in (aware, utc, naive):
        frame = read_series_csv(path, time_col="t", target_col="y", tz="America/Chicago")
        # Monday 2024-01-01 06:00 local is hour 6 of the week
        assert list(hour_of_week(frame["ds"])) == [6, 7], path.name


def test_mixed_naive_and_aware_times_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("t,y\n2024-01-01T06:00:00-06:00,1\n2024-01-01 07:00,2\n")
    with pytest.raises(ForecastInputError, match=r"mixed naive and offset-aware timestamps \(naive at row\(s\) 3\)"):
        read_series_csv(path, time_col="t", target_col="y")
