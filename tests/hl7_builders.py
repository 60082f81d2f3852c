"""Tiny readable builders for HL7 v2 ADT messages used across unit, property and integration tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
KEY = b"test-key-0123456789abcdef"


def ts(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S") + moment.strftime("%z")


def adt(
    trigger: str,
    control_id: str,
    *,
    unit: str = "4W",
    prior: str = "",
    visit: str = "V1",
    patient: str = "MRN1",
    patient_class: str = "I",
    at: datetime | None = None,
    minutes: int = 0,
    charset: str = "",
    ack_modes: tuple[str, str] = ("", ""),
    name: str = "Doe^Jane",
    extra_groups: list[tuple[str, str, str]] | None = None,
    separator: str = "\r",
) -> bytes:
    """An ADT^``trigger`` message; ``extra_groups`` adds (patient, visit, unit) PID/PV1 pairs (A17)."""
    moment = at or T0 + timedelta(minutes=minutes)
    accept, application = ack_modes
    msh = (
        f"MSH|^~\\&|EPIC|GENHOSP|CARESHIFT|GENHOSP|{ts(moment + timedelta(seconds=30))}||ADT^{trigger}^ADT_A01|"
        f"{control_id}|P|2.5.1|||{accept}|{application}||{charset}"
    ).rstrip("|")
    segments = [msh, f"EVN|{trigger}|{ts(moment + timedelta(seconds=20))}||||{ts(moment)}"]
    groups = [(patient, visit, unit, prior)] + [(p, v, u, "") for p, v, u in extra_groups or []]
    for index, (mrn, visit_number, location, prior_location) in enumerate(groups, start=1):
        segments.append(f"PID|{index}||{mrn}^^^GENHOSP^MR||{name}||19700101|F")
        pv1 = ["PV1", "1", patient_class, f"{location}^101^A^GENHOSP" if location else "", "", "", ""]
        pv1[6] = f"{prior_location}^201^B^GENHOSP" if prior_location else ""
        pv1 += [""] * 12 + [f"{visit_number}^^^GENHOSP^VN"]
        segments.append("|".join(pv1))
    encoding = {"": "utf-8", "UNICODE UTF-8": "utf-8", "8859/1": "latin-1", "ASCII": "ascii"}[charset]
    return separator.join(segments).encode(encoding) + separator.encode()
