"""HL7 acknowledgements: MSH (sender and receiver swapped) + MSA + ERR when something failed.

Original mode answers AA / AE / AR. When the sender fills MSH-15 or MSH-16 (enhanced
mode) we answer with the commit acknowledgement CA / CE / CR, and MSH-15 decides whether
one is sent at all (AL always, NE never, ER only on error, SU only on success). We send
no separate application acknowledgement: a message is fully processed once committed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from careshift.adapters.hl7v2.message import Header

ORIGINAL_TO_ENHANCED = {"AA": "CA", "AE": "CE", "AR": "CR"}
_LOCATION = re.compile(r"^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?(?:-(\d+))?")
"""``PV1-3``, or ``AIP[2]-3`` for the second AIP segment: ERR-2 is segment^sequence^field."""
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def escape(text: str) -> str:
    """``text`` with the standard delimiters escaped and line breaks removed."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return " ".join(text.split())


def is_enhanced(header: Header | None) -> bool:
    """True when MSH-15 or MSH-16 is filled (enhanced acknowledgement mode)."""
    return header is not None and bool(header.get(15) or header.get(16))


def should_answer(header: Header | None, code: str) -> bool:
    """Whether MSH-15 asks for a commit acknowledgement with this outcome (original mode: always)."""
    if not is_enhanced(header):
        return True
    assert header is not None
    condition = header.component(15, 1).upper() or "AL"
    success = code == "AA"
    return condition == "AL" or (condition == "ER" and not success) or (condition == "SU" and success)


def build_ack(
    header: Header | None,
    code: str,
    *,
    control_id: str,
    ack_id: str,
    now: datetime | None = None,
    error_code: str = "",
    text: str = "",
    location: str = "",
) -> str:
    """The acknowledgement for a message with ``header`` (``None`` when MSH was unreadable).

    ``code`` is the original-mode code (AA/AE/AR); it becomes CA/CE/CR in enhanced mode.
    """
    now = now or datetime.now(UTC)
    sent = escape(control_id)
    if is_enhanced(header):
        code = ORIGINAL_TO_ENHANCED[code]

    def take(number: int, component: int = 1) -> str:
        return escape(header.component(number, component)) if header is not None else ""

    trigger = take(9, 2)
    version = take(12) or "2.5"
    charset = escape(header.get(18).split("~")[0]) if header is not None else ""
    msh = [
        "MSH",
        "^~\\&",
        take(5),
        take(6),
        take(3),
        take(4),
        now.strftime("%Y%m%d%H%M%S") + now.strftime("%z"),
        "",
        f"ACK^{trigger}^ACK" if trigger else "ACK",
        escape(ack_id),
        take(11) or "P",
        version,
        "",
        "",
        "NE" if is_enhanced(header) else "",
        "NE" if is_enhanced(header) else "",
        "",
        charset,
    ]
    segments = ["|".join(msh).rstrip("|"), "|".join(["MSA", code, sent, escape(text)[:80]]).rstrip("|")]
    if error_code:
        match = _LOCATION.match(location)
        where = ""
        if match:
            segment, sequence, field = match.groups()
            where = segment + (f"^{sequence or 1}^{field}" if field else "")
        segments.append(f"ERR||{where}|{error_code}^{escape(text)[:200]}^HL70357|E")
    return "\r".join(segments) + "\r"
