"""Any CSV row either imports or is quarantined with a reason and a fix; nothing escapes."""

from __future__ import annotations

import csv
import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careshift.adapters.csv.contracts import CONTRACTS
from careshift.adapters.csv.schema import FileKind
from tests.unit.csv_builders import run, seeded

PLAUSIBLE = {
    "unit_id": ["4W", "ICU", "5E"],
    "unit": ["4W", "ICU", "5E", ""],
    "staff_id": ["N1", "N2", "N9", "", "N 1"],
    "name": ["Ada", "", "x" * 250],
    "unit_type": ["icu", "med_surg", "ward"],
    "timezone": ["America/Los_Angeles", "UTC", "Mars/Olympus"],
    "beds": ["12", "-1", "1e3"],
    "roles": ["RN", "RN;CHARGE", "CHARGE", "RN;LPN", "rn", ""],
    "skills": ["icu", "icu;peds", "juggling", ""],
    "credentials": ["RN-CA:2027-06-30", "BLS", "rn:2027", "X:1900-01-01", "X:0001-01-01", ""],
    "contract_id": ["default", "", "full time"],
    "home_unit": ["4W", "9Z", ""],
    "float_units": ["ICU", "ICU;4W", "!!", ""],
    "seniority": ["3", "", "-4", "99"],
    "updated_at": ["2026-02-01T09:00:00-08:00", "2026-02-01T09:00", "2030-01-01T00:00:00Z", ""],
    "shift": ["D", "N", ""],
    "start": ["2026-03-02T07:00:00-08:00", "2026-03-02T19:00:00-08:00", "2026-03-02", "0001-01-01T00:30:00+01:00"],
    "end": [
        "2026-03-02T19:00:00-08:00",
        "2026-03-03T07:00:00-08:00",
        "2026-03-05T07:00:00-08:00",
        "0001-01-01T05:30+01:00",
    ],
    "skill": ["med_surg", "", "cooking"],
    "at": ["2026-03-01T03:00:00-08:00", "2027-03-01T03:00:00-08:00", "2026-02-30T03:00:00Z", "9999-12-31T23:59-01:00"],
    "patients": ["0", "24", "-3", "many", "99999999999"],
    "acuity_extra_staff": ["", "1", "-1"],
    "day": ["2026-03-03", "2026-13-03", "", "2019-01-01", "9999-12-31", "0001-01-01"],
    "reported_at": ["2026-03-01T03:10:00-08:00", "2026-03-01T03:10:00", ""],
    "reason": ["sick", "", "flu"],
}

cell_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


def cell(column: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(PLAUSIBLE[column]), cell_text)


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[FileKind, bytes]:
    contract = draw(st.sampled_from(sorted(CONTRACTS.values(), key=lambda c: c.id)))
    columns = [column.name for column in contract.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for _ in range(draw(st.integers(1, 6))):
        writer.writerow([draw(cell(column)) for column in columns])
    return contract.kind, f"# contract: {contract.id}\n{buffer.getvalue()}".encode()


def assert_every_row_accounted_for(kind: FileKind, data: bytes) -> None:
    stores = seeded()
    outcome = run(data, kind, stores, "fuzz.csv")
    assert outcome.imported + outcome.skipped + len(outcome.quarantined) == outcome.rows
    for row in outcome.quarantined:
        assert row.reason and "fix: " in row.reason and row.line >= 3
    again = run(data, kind, stores, "fuzz.csv")
    assert (again.imported, again.quarantined) == (0, ())


@settings(
    max_examples=int(os.environ.get("CSV_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(csv_files())
def test_any_well_formed_row_imports_or_is_quarantined_with_a_fix(file: tuple[FileKind, bytes]) -> None:
    assert_every_row_accounted_for(*file)


@settings(max_examples=int(os.environ.get("CSV_FUZZ_EXAMPLES", "100")), deadline=None)
@given(st.sampled_from(list(FileKind)), st.binary(max_size=300))
def test_arbitrary_bytes_after_a_valid_header_never_raise(kind: FileKind, body: bytes) -> None:
    contract = next(c for c in CONTRACTS.values() if c.kind is kind)
    header = f"# contract: {contract.id}\n{','.join(c.name for c in contract.columns)}\n".encode()
    assert_every_row_accounted_for(kind, header + body)
