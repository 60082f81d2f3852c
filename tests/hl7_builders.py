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


def adt_stream(count: int, seed: int = 1, units: tuple[str, ...] = ("4W", "5E", "ICU", "ED")) -> list[bytes]:
    """``count`` plausible ADT messages for many visits, interleaved, with cancellations and updates.

    Each visit runs A01 → (A02 → maybe A12) → A03 → maybe A13, or A01 → A11, or A04/A08/A21/A22;
    visits interleave so occurrence times are not in send order. Control ids are unique.
    """
    import random

    rng = random.Random(seed)
    stories: list[list[tuple[str, dict[str, object]]]] = []
    total = 0
    visit = 0
    while total < count:
        visit += 1
        start = rng.randrange(0, 6 * 60)
        unit = rng.choice(units)
        other = rng.choice([u for u in units if u != unit])
        ident: dict[str, object] = {"visit": f"V{visit}", "patient": f"MRN{visit}"}
        choice = rng.random()
        if choice < 0.1:
            story = [("A01", {"unit": unit, "minutes": start}), ("A11", {"unit": unit, "minutes": start + 5})]
        elif choice < 0.2:
            story = [
                ("A04", {"unit": "ED", "patient_class": "E", "minutes": start}),
                ("A08", {"unit": "ED", "minutes": start + 3}),
            ]
        elif choice < 0.3:
            story = [
                ("A01", {"unit": unit, "minutes": start}),
                ("A21", {"unit": unit, "minutes": start + 30}),
                ("A22", {"unit": unit, "minutes": start + 90}),
            ]
        else:
            story = [("A01", {"unit": unit, "minutes": start})]
            moment = start
            if rng.random() < 0.6:
                moment += rng.randrange(10, 120)
                story.append(("A02", {"unit": other, "prior": unit, "minutes": moment}))
                if rng.random() < 0.2:
                    moment += 7
                    story.append(("A12", {"unit": other, "minutes": moment}))
                    other = unit
                unit = other
            moment += rng.randrange(30, 600)
            story.append(("A03", {"unit": unit, "minutes": moment}))
            if rng.random() < 0.1:
                story.append(("A13", {"unit": unit, "minutes": moment + 9}))
        stories.append([(trigger, {**ident, **fields}) for trigger, fields in story])
        total += len(story)
    messages: list[bytes] = []
    cursors = [0] * len(stories)
    live = list(range(len(stories)))
    while live and len(messages) < count:
        index = rng.choice(live[:8])  # interleave a few visits at a time
        trigger, fields = stories[index][cursors[index]]
        messages.append(adt(trigger, f"C{len(messages):06d}", **fields))  # type: ignore[arg-type]
        cursors[index] += 1
        if cursors[index] == len(stories[index]):
            live.remove(index)
    return messages


def siu_callout(
    control_id: str,
    staff: str | list[str],
    *,
    unit: str = "4W",
    shift: str = "N",
    start: datetime | None = None,
    at: datetime | None = None,
    reason: str = "SICK",
    status: str = "Cancelled",
    drop: tuple[str, ...] = (),
) -> bytes:
    """An SIU^S15 (a shift booking cancelled: a call-out) for ``staff`` (one AIP each).

    ``drop`` removes segments (``"AIL"``) or empties fields (``"AIP-3"``, ``"AIP-6"``) to
    build the malformed variants the ACK tests need.
    """
    moment = at or T0
    begins = start or T0.replace(hour=19)
    people = [staff] if isinstance(staff, str) else staff
    segments = [
        f"MSH|^~\\&|WFM|GENHOSP|CARESHIFT|GENHOSP|{ts(moment)}||SIU^S15^SIU_S12|{control_id}|P|2.5.1",
        "|".join(
            [
                "SCH",
                f"{control_id}-B",
                "",
                "",
                "",
                "",
                f"{reason}^Sick call",
                "",
                f"{shift}^Shift",
                "",
                "",
                f"^^^{ts(begins)}",
            ]
        ),
        "TQ1|1||||||" + ts(begins),
    ]
    for index, person in enumerate(people, start=1):
        ident = "" if "AIP-3" in drop else f"{person}^Nurse^Pat"
        begin = "" if "AIP-6" in drop else ts(begins)
        segments.append(f"AIP|{index}||{ident}|RN^Registered nurse||{begin}||||||{status}")
    if "AIL" not in drop:
        segments.append(f"AIL|1||{unit}^^^GENHOSP")
    if "SCH" in drop:
        segments = [s for s in segments if not s.startswith("SCH")]
    if "TIMES" in drop:
        segments = [s for s in segments if not s.startswith(("TQ1", "SCH"))]
        segments.insert(1, "|".join(["SCH", f"{control_id}-B", "", "", "", "", reason, "", shift]))
    return "\r".join(segments).encode() + b"\r"
