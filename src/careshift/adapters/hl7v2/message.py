"""Reading an HL7 v2 message from bytes: character set from MSH-18, delimiters from MSH-1/2.

Errors are ``Hl7Error``: they carry the ACK code the sender should get (``AR`` when the
header itself is unusable, ``AE`` when the content is), the HL7 table 0357 error code and
the segment/field location. Messages never repeat field *values*, which may be PHI.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import hl7

from careshift.domain.errors import DataContractError

# HL7 table 0357 (message error condition codes) that we use.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT_CODE = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION_ID = "203"
APPLICATION_INTERNAL_ERROR = "207"

# MSH-18 character set names (HL7 table 0211) to Python codecs.
CHARSETS = {
    "": "utf-8",
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "ISO IR100": "iso8859-1",
    "ISO IR101": "iso8859-2",
    "ISO IR109": "iso8859-3",
    "ISO IR110": "iso8859-4",
    "ISO IR144": "iso8859-5",
    "ISO IR127": "iso8859-6",
    "ISO IR126": "iso8859-7",
    "ISO IR138": "iso8859-8",
    "ISO IR148": "iso8859-9",
    "ISO IR192": "utf-8",
    "8859/1": "iso8859-1",
    "8859/2": "iso8859-2",
    "8859/3": "iso8859-3",
    "8859/4": "iso8859-4",
    "8859/5": "iso8859-5",
    "8859/6": "iso8859-6",
    "8859/7": "iso8859-7",
    "8859/8": "iso8859-8",
    "8859/9": "iso8859-9",
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
    "UNICODE": "utf-8",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
    "BIG-5": "big5",
    "ISO IR87": "iso2022_jp",
}


class Hl7Error(DataContractError):
    """An HL7 message we cannot accept. ``ack`` is ``AR`` (reject) or ``AE`` (error)."""

    def __init__(self, message: str, *, ack: str, code: str, location: str, control_id: str = "") -> None:
        super().__init__(message, source="hl7v2", location=location)
        self.ack = ack
        self.code = code
        self.control_id = control_id


@dataclass(frozen=True)
class Header:
    """What we can read of MSH from raw bytes, before decoding the whole message."""

    field_separator: str
    fields: tuple[str, ...]

    def get(self, number: int) -> str:
        """MSH-``number`` as text ("" when absent); MSH-1 is the field separator."""
        if number == 1:
            return self.field_separator
        index = number - 1
        return self.fields[index] if index < len(self.fields) else ""

    def component(self, number: int, component: int) -> str:
        encoding = self.get(2)
        separator = encoding[0] if encoding else "^"
        parts = self.get(number).split(separator)
        return parts[component - 1] if component - 1 < len(parts) else ""

    @property
    def control_id(self) -> str:
        return self.get(10)

    @property
    def reply_id(self) -> str:
        """MSH-10 as an ACK may echo it in MSA-2: "" when it is over MSA-2's 199 characters or
        not decodable, because a clipped or mangled id would acknowledge a message never sent."""
        value = self.control_id
        return value if len(value) <= 199 and "\ufffd" not in value else ""


_SEGMENT_BREAK = re.compile(rb"\r\n|\n|\r")
_TEXT_BREAK = re.compile(r"\r\n|\n|\r")


def read_header(raw: bytes) -> Header:
    """Find MSH in ``raw`` (ASCII-compatible charsets) and split its fields; ``AR`` if impossible."""
    body = raw.lstrip(b"\r\n\t \x00")
    first = _SEGMENT_BREAK.split(body, maxsplit=1)[0]
    if not first.startswith(b"MSH") or len(first) < 8:
        raise Hl7Error(
            "the message does not start with an MSH segment; send one HL7 v2 message per MLLP frame",
            ack="AR",
            code=SEGMENT_SEQUENCE_ERROR,
            location="MSH",
        )
    separator = first[3:4]
    if separator.isalnum() or separator in b" \r\n\x0b\x1c":
        raise Hl7Error(
            "MSH-1 field separator is a letter, digit or blank; use '|'",
            ack="AR",
            code=DATA_TYPE_ERROR,
            location="MSH-1",
        )
    parts = first.split(separator)
    fields = tuple(part.decode("ascii", errors="replace") for part in parts)
    header = Header(separator.decode("ascii", errors="replace"), fields)
    encoding_chars = header.get(2)
    if (
        not 2 <= len(encoding_chars) <= 5
        or len(set(encoding_chars + header.field_separator)) != len(encoding_chars) + 1
        or any(char.isalnum() or char in " \ufffd" for char in encoding_chars)
    ):
        raise Hl7Error(
            "MSH-2 encoding characters are missing, repeated or alphanumeric; use '^~\\&'",
            ack="AR",
            code=DATA_TYPE_ERROR,
            location="MSH-2",
            control_id=header.reply_id,
        )
    return header


def codec_for(header: Header) -> str:
    """The Python codec for MSH-18 (first repetition); ``AR`` for a character set we do not know."""
    declared = header.get(18).split(header.get(2)[1:2] or "~")[0].strip().upper()
    name = CHARSETS.get(declared)
    if name is None:
        raise Hl7Error(
            "MSH-18 names a character set we do not support; send UNICODE UTF-8, ASCII or an 8859/n set",
            ack="AR",
            code=TABLE_VALUE_NOT_FOUND,
            location="MSH-18",
            control_id=header.reply_id,
        )
    return codecs.lookup(name).name


class Hl7Message:
    """A decoded, parsed message with 1-based field access that never raises on absent fields."""

    def __init__(self, raw: bytes, header: Header, codec: str) -> None:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise Hl7Error(
                f"bytes {exc.start}-{exc.end} are not valid {codec} as MSH-18 declares; "
                "fix MSH-18 or the sender's encoding",
                ack="AE",
                code=DATA_TYPE_ERROR,
                location="MSH-18",
                control_id=header.reply_id,
            ) from exc
        self.codec = codec
        self.header = header
        normalised = _TEXT_BREAK.sub("\r", text)
        try:
            self._parsed: Any = hl7.parse(normalised.strip("\r\n\t \x00"))
        except Exception as exc:  # python-hl7 raises several types on malformed input
            raise Hl7Error(
                f"the message cannot be parsed ({type(exc).__name__}); check the segment and field delimiters",
                ack="AR",
                code=DATA_TYPE_ERROR,
                location="MSH",
                control_id=header.reply_id,
            ) from exc
        self.segment_ids = tuple(str(segment[0]) if len(segment) else "" for segment in self._parsed)

    def segments(self, name: str) -> list[Any]:
        return [segment for segment, sid in zip(self._parsed, self.segment_ids, strict=True) if sid == name]

    def value(self, segment: Any, field: int, component: int = 1, repetition: int = 1) -> str:
        """Segment field ``field``, component ``component`` (unescaped), or "" when absent."""
        try:
            return str(segment.extract_field(1, field, repetition, component, 1))
        except (IndexError, AttributeError, TypeError, ValueError, KeyError):
            return ""

    def first(self, name: str, field: int, component: int = 1) -> str:
        found = self.segments(name)
        return self.value(found[0], field, component) if found else ""


_TS = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$")


def parse_timestamp(value: str, location: str, default_zone: tzinfo, control_id: str = "") -> datetime:
    """An HL7 DTM (at least minute precision) as an aware instant; naive values get ``default_zone``."""
    match = _TS.match(value.strip())
    if not match:
        raise Hl7Error(
            f"{location} is not an HL7 timestamp with at least minutes (YYYYMMDDHHMM[SS[.S]][+ZZZZ])",
            ack="AE",
            code=DATA_TYPE_ERROR,
            location=location,
            control_id=control_id,
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    zone: tzinfo = default_zone
    if offset:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[3:5])
        if hours > 14 or minutes > 59:
            raise Hl7Error(
                f"{location} has an impossible UTC offset",
                ack="AE",
                code=DATA_TYPE_ERROR,
                location=location,
                control_id=control_id,
            )
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=zone,
        )
    except ValueError as exc:
        raise Hl7Error(
            f"{location} is not a real date or time",
            ack="AE",
            code=DATA_TYPE_ERROR,
            location=location,
            control_id=control_id,
        ) from exc
