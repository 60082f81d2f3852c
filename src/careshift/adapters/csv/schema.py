"""The building blocks of a CSV data contract: typed columns, problems, and a row reader.

A *data contract* (see :mod:`careshift.adapters.csv.contracts`) is a schema — which columns,
of which type, required or not, from which enumeration — plus semantic rules that look at a
whole row (end after start, unit known, ...). This module holds the schema half: it turns
the text of one cell into a typed value or into a :class:`Problem` that says what is wrong
and how to fix it. Nothing here raises on bad input: a bad cell is a problem, never an
exception, so one bad row can be quarantined while its neighbours are imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from careshift.domain.time import Horizon
from careshift.domain.workforce import Credential

LIST_SEPARATOR = ";"
"""Separates the items of a list cell (roles, skills, credentials, float units)."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
_CREDENTIAL_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
_MAX_TEXT = 200
MIN_YEAR, MAX_YEAR = 1900, 2200


class FileKind(StrEnum):
    """The kinds of CSV file careshift accepts."""

    UNITS = "units"
    STAFF = "staff"
    ROSTER = "roster"
    CENSUS = "census"
    CALLOUTS = "callouts"


class ColumnType(StrEnum):
    """How the text of a cell is read."""

    ID = "id"
    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "datetime"
    CODE = "code"
    CODE_LIST = "code list"
    ID_LIST = "id list"
    CREDENTIALS = "credentials"
    TIMEZONE = "timezone"


_HOW_TO_WRITE: dict[ColumnType, str] = {
    ColumnType.ID: "letters, digits and . _ : / - (at most 64 characters), e.g. N0042",
    ColumnType.TEXT: f"plain text of at most {_MAX_TEXT} characters",
    ColumnType.INTEGER: "a whole number, e.g. 12",
    ColumnType.DATE: "an ISO date YYYY-MM-DD, e.g. 2026-03-02",
    ColumnType.DATETIME: "an ISO 8601 date-time with its UTC offset, e.g. 2026-03-02T07:00:00-08:00",
    ColumnType.CODE: "one code from the contract's list",
    ColumnType.CODE_LIST: f"codes from the contract's list separated by '{LIST_SEPARATOR}'",
    ColumnType.ID_LIST: f"ids separated by '{LIST_SEPARATOR}', e.g. 4W{LIST_SEPARATOR}5E",
    ColumnType.CREDENTIALS: (
        f"CODE or CODE:YYYY-MM-DD (last valid day) separated by '{LIST_SEPARATOR}', "
        f"e.g. RN-CA:2027-06-30{LIST_SEPARATOR}BLS"
    ),
    ColumnType.TIMEZONE: "an IANA timezone name, e.g. America/Los_Angeles",
}


@dataclass(frozen=True)
class Column:
    """One column of a contract.

    ``choices`` is the enumeration for ``CODE``/``CODE_LIST`` columns; ``minimum`` and
    ``maximum`` bound ``INTEGER`` columns (inclusive).
    """

    name: str
    type: ColumnType
    required: bool = True
    choices: frozenset[str] = frozenset()
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""
    max_length: int | None = None

    @property
    def how_to_write(self) -> str:
        """One phrase telling an operator how to fill this column."""
        if self.choices:
            listed = ", ".join(sorted(self.choices))
            if self.type is ColumnType.CODE_LIST:
                return f"codes from {{{listed}}} separated by '{LIST_SEPARATOR}'"
            return f"one of {listed}"
        return _HOW_TO_WRITE[self.type]


@dataclass(frozen=True)
class Problem:
    """What is wrong with a row (``column`` is ``None`` for row-level rules) and how to fix it."""

    message: str
    fix: str
    column: str | None = None
    rule: str | None = None

    def __str__(self) -> str:
        where = f"column {self.column}: " if self.column else ""
        return f"{where}{self.message}; fix: {self.fix}"


@dataclass(frozen=True)
class ImportContext:
    """What semantic rules may consult besides the row itself.

    ``now`` is the injected clock. ``horizon`` bounds the dates a file may mention.
    ``known_units`` / ``known_staff`` are the registries a row's references are checked
    against; ``None`` means the caller has no registry of that kind (the rule then says
    nothing, and the ADR explains why the CLI always passes one).
    """

    now: datetime
    horizon: Horizon
    known_units: frozenset[str] | None = None
    known_staff: frozenset[str] | None = None
    clock_skew: timedelta = timedelta(minutes=5)


R = TypeVar("R")


@dataclass(frozen=True)
class SemanticRule(Generic[R]):
    """A rule over a whole typed row: ``check`` returns a :class:`Problem` or ``None``."""

    name: str
    description: str
    check: Callable[[R, ImportContext], Problem | None]


class RowReader:
    """Reads typed values out of one row's cells, collecting problems instead of raising.

    Each getter returns ``None`` (or an empty collection) when the cell is missing or bad,
    after recording a :class:`Problem`; a builder checks :attr:`ok` before making a record.
    """

    def __init__(self, columns: Mapping[str, Column], cells: Mapping[str, str]) -> None:
        self._columns = columns
        self._cells = cells
        self.problems: list[Problem] = []

    @property
    def ok(self) -> bool:
        return not self.problems

    def _column(self, name: str, *types: ColumnType) -> Column:
        column = self._columns[name]
        if column.type not in types:  # a contract wired to the wrong getter: a programming error
            raise TypeError(f"column {name} is {column.type}, read as {types}")
        return column

    def _bad(self, column: Column, text: str, why: str) -> None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        self.problems.append(Problem(f"{shown!r} {why}", f"write {column.how_to_write}", column=column.name))

    def _text(self, column: Column) -> str | None:
        text = self._cells.get(column.name, "").strip()
        if not text:
            if column.required:
                self.problems.append(
                    Problem("is empty but required", f"write {column.how_to_write}", column=column.name)
                )
            return None
        return text

    def identifier(self, name: str) -> str | None:
        column = self._column(name, ColumnType.ID)
        text = self._text(column)
        if text is None:
            return None
        if not _ID.fullmatch(text):
            self._bad(column, text, "is not a valid id")
            return None
        if column.max_length is not None and len(text) > column.max_length:
            self._bad(column, text, f"is longer than {column.max_length} characters")
            return None
        return text

    def text(self, name: str) -> str | None:
        column = self._column(name, ColumnType.TEXT)
        text = self._text(column)
        if text is None:
            return None
        if len(text) > _MAX_TEXT or any(ord(char) < 32 for char in text):
            self._bad(column, text, "is too long or holds control characters")
            return None
        return text

    def integer(self, name: str) -> int | None:
        column = self._column(name, ColumnType.INTEGER)
        text = self._text(column)
        if text is None:
            return None
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            self._bad(column, text, "is not a whole number")
            return None
        value = int(text)
        if column.minimum is not None and value < column.minimum:
            self.problems.append(
                Problem(
                    f"{value} is below the minimum {column.minimum}",
                    f"write a number >= {column.minimum}",
                    column=name,
                )
            )
            return None
        if column.maximum is not None and value > column.maximum:
            self.problems.append(
                Problem(
                    f"{value} is above the maximum {column.maximum}",
                    f"write a number <= {column.maximum}",
                    column=name,
                )
            )
            return None
        return value

    def day(self, name: str) -> date | None:
        column = self._column(name, ColumnType.DATE)
        text = self._text(column)
        if text is None:
            return None
        return self._parse_date(column, text)

    def _parse_date(self, column: Column, text: str) -> date | None:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            self._bad(column, text, "is not a date")
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            self._bad(column, text, "is not a calendar date")
            return None
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            self._bad(column, text, f"is outside the years {MIN_YEAR}..{MAX_YEAR}")
            return None
        return value

    def instant(self, name: str) -> datetime | None:
        column = self._column(name, ColumnType.DATETIME)
        text = self._text(column)
        if text is None:
            return None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ][0-9:.,]+([+-]\d{2}:?\d{2}(:?\d{2})?|Z)?", text):
            self._bad(column, text, "is not an ISO 8601 date-time")
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            self._bad(column, text, "is not a valid date-time")
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            self._bad(column, text, "has no UTC offset, so it cannot be placed on the unit's clock")
            return None
        # Bounded so that converting to UTC (and adding a day) can never overflow.
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            self._bad(column, text, f"is outside the years {MIN_YEAR}..{MAX_YEAR}")
            return None
        return value

    def code(self, name: str) -> str | None:
        column = self._column(name, ColumnType.CODE)
        text = self._text(column)
        if text is None:
            return None
        if text not in column.choices:
            self._bad(column, text, "is not a known code")
            return None
        return text

    def codes(self, name: str) -> frozenset[str]:
        column = self._column(name, ColumnType.CODE_LIST)
        text = self._text(column)
        if text is None:
            return frozenset()
        items = [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
        unknown = [item for item in items if item not in column.choices]
        if unknown:
            self._bad(column, LIST_SEPARATOR.join(unknown), "holds unknown codes")
            return frozenset()
        if column.required and not items:
            self._bad(column, text, "names no code")
        return frozenset(items)

    def identifiers(self, name: str) -> frozenset[str]:
        column = self._column(name, ColumnType.ID_LIST)
        text = self._text(column)
        if text is None:
            return frozenset()
        items = [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
        bad = [item for item in items if not _ID.fullmatch(item)]
        if bad:
            self._bad(column, LIST_SEPARATOR.join(bad), "holds invalid ids")
            return frozenset()
        return frozenset(items)

    def credentials(self, name: str) -> tuple[Credential, ...]:
        column = self._column(name, ColumnType.CREDENTIALS)
        text = self._text(column)
        if text is None:
            return ()
        found: dict[str, Credential] = {}
        for item in (part.strip() for part in text.split(LIST_SEPARATOR)):
            if not item:
                continue
            code, _, expiry = item.partition(":")
            code = code.strip()
            if not _CREDENTIAL_CODE.fullmatch(code):
                self._bad(column, item, "does not start with a credential code in capitals")
                return ()
            expires: date | None = None
            if expiry.strip():
                expires = self._parse_date(column, expiry.strip())
                if expires is None:
                    return ()
            if code in found:
                self._bad(column, item, "repeats a credential code")
                return ()
            found[code] = Credential(code, expires)
        return tuple(sorted(found.values(), key=lambda credential: credential.code))

    def timezone(self, name: str) -> str | None:
        column = self._column(name, ColumnType.TIMEZONE)
        text = self._text(column)
        if text is None:
            return None
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self._bad(column, text, "is not an IANA timezone")
            return None
        return text


@dataclass(frozen=True)
class DataContract(Generic[R]):
    """A versioned contract for one kind of file.

    ``build`` reads a typed record from a row (``None`` when a cell is bad; the reader then
    holds the problems); ``rules`` are the semantic rules run on every built record;
    ``key`` is the record's natural key (two rows with the same key in one file conflict);
    ``default_horizon`` is (days back, days ahead) of ``now`` that dates may fall in when the
    caller gives no horizon.
    """

    kind: FileKind
    version: str
    columns: tuple[Column, ...]
    build: Callable[[RowReader], R | None]
    rules: tuple[SemanticRule[R], ...]
    key: Callable[[R], str]
    default_horizon: tuple[int, int]
    description: str = ""
    by_name: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {column.name: column for column in self.columns})

    @property
    def id(self) -> str:
        """``kind/version``, the form written in a file's header comment."""
        return f"{self.kind.value}/{self.version}"

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def read(self, cells: Mapping[str, str], context: ImportContext) -> tuple[R | None, tuple[Problem, ...]]:
        """The typed record of one row, or the problems that keep it out (never raises)."""
        reader = RowReader(self.by_name, cells)
        record = self.build(reader)
        if record is None or not reader.ok:
            return None, tuple(reader.problems) or (
                Problem("the row could not be read", "check every cell against the contract"),
            )
        problems = tuple(
            replace(problem, rule=rule.name)
            for rule in self.rules
            if (problem := rule.check(record, context)) is not None
        )
        return (None, problems) if problems else (record, ())

    def horizon_for(self, now: datetime) -> Horizon:
        """The default horizon for this contract around ``now``."""
        back, ahead = self.default_horizon
        start = now.date() - timedelta(days=back)
        return Horizon(start, back + ahead + 1)


AnyContract = DataContract[Any]
