"""Reading a CSV file into rows with line numbers, without deciding anything about them.

Leading lines that start with ``#`` are comments; one of them may declare the contract:
``# contract: staff/1``. The first other line is the header. Every later record becomes a
:class:`CsvRow` carrying the physical line it starts on, so a quarantine entry can send the
operator to the right line of the right file. A record the CSV reader cannot split, or one
with bytes that are not UTF-8, becomes a :class:`CsvRow` with a ``problem``: it is
quarantined like any other bad row rather than failing the whole file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from careshift.domain.errors import DataContractError

_CONTRACT_COMMENT = re.compile(r"#\s*(?:careshift-)?contract\s*[:=]\s*([A-Za-z_]+)\s*/\s*v?([0-9A-Za-z._-]+)\s*$", re.I)
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class CsvRow:
    """One data record: ``line`` is its first physical line in the file (1-based), ``number``
    its position among data records (1 = the first record after the header)."""

    line: int
    number: int
    cells: Mapping[str, str]
    problem: str | None = None
    fix: str | None = None

    def content_hash(self, kind: str, columns: tuple[str, ...]) -> str:
        """A stable hash of the row's content: kind plus the trimmed cell of every contract column.

        File name, line number and column order do not enter it, so the same row in a
        re-sent file (or with its columns reordered) has the same hash.
        """
        payload = [kind] + [f"{name}={self.cells.get(name, '').strip()}" for name in sorted(columns)]
        if self.problem is not None:
            payload.append(f"!{self.problem}")
            payload.extend(f"{name}={value}" for name, value in sorted(self.cells.items()))
        encoded = json.dumps(payload, ensure_ascii=True).encode("ascii")
        return hashlib.sha256(encoded).hexdigest()[:32]


@dataclass(frozen=True)
class CsvDocument:
    """A decoded CSV file: its name, content hash, declared contract, header and rows."""

    name: str
    sha256: str
    declared_kind: str | None
    declared_version: str | None
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]


def printable(text: str) -> str:
    """``text`` with bytes that were not UTF-8 replaced, safe to store and print."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _physical_lines(text: str) -> Iterator[tuple[int, str]]:
    # Only CR, LF and CRLF end a CSV line; str.splitlines would also split on \x1c, \x85, ...
    matches = _LINE.finditer(text)
    yield from enumerate((match.group(0) for match in matches if match.group(0)), start=1)


def read_csv(data: bytes, name: str) -> CsvDocument:
    """Split ``data`` (the bytes of file ``name``) into header and rows.

    Raises :class:`DataContractError` only for problems of the whole file (no header, an
    unreadable or duplicated header); row problems travel with the row.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    # surrogateescape keeps undecodable bytes visible per row instead of failing the file.
    text = data.decode("utf-8-sig", errors="surrogateescape")
    lines = list(_physical_lines(text))
    declared: tuple[str, str] | None = None
    index = 0
    while index < len(lines) and (not lines[index][1].strip() or lines[index][1].lstrip().startswith("#")):
        match = _CONTRACT_COMMENT.match(lines[index][1].strip())
        if match:
            declared = (match.group(1).lower(), match.group(2))
        index += 1
    if index >= len(lines):
        raise DataContractError(
            "has no header row; write the column names on the first line after the comments",
            source=name,
            location="line 1",
        )
    header_line, header_text = lines[index]
    if _NOT_UTF8.search(header_text):
        raise DataContractError(
            "the header is not UTF-8 text; re-save the file as UTF-8", source=name, location=f"line {header_line}"
        )
    try:
        header = next(csv.reader([header_text]))
    except (csv.Error, StopIteration) as exc:
        raise DataContractError(
            f"the header cannot be read as CSV ({exc}); write plain comma-separated column names",
            source=name,
            location=f"line {header_line}",
        ) from exc
    columns = tuple(cell.strip().lower() for cell in header)
    duplicated = sorted({column for column in columns if columns.count(column) > 1})
    if duplicated or "" in columns:
        raise DataContractError(
            f"the header has empty or repeated column names ({', '.join(duplicated) or 'empty'}); "
            "give every column one unique name",
            source=name,
            location=f"line {header_line}",
        )
    rows = tuple(_rows(lines[index + 1 :], columns))
    kind, version = declared if declared else (None, None)
    return CsvDocument(name, sha256, kind, version, columns, rows)


def _rows(lines: list[tuple[int, str]], columns: tuple[str, ...]) -> Iterator[CsvRow]:
    """Data records with their starting line; a record may span lines inside quotes."""
    number = 0
    text_of = dict(lines)
    first_line: dict[int, int] = {}  # lines consumed so far -> physical line, for multi-line records

    def feed() -> Iterator[str]:
        for line_number, line in lines:
            first_line[len(first_line)] = line_number
            yield line

    reader = csv.reader(feed(), strict=True)
    while True:
        consumed_before = len(first_line)
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            line = first_line.get(consumed_before, first_line.get(len(first_line) - 1, 0))
            raw = {"_raw": printable(text_of.get(line, "").rstrip("\r\n"))}
            yield CsvRow(line, number, raw, problem=f"cannot be split into cells ({exc})", fix=_QUOTE_FIX)
            continue
        line = first_line.get(consumed_before, 0)
        if not cells or all(not cell.strip() for cell in cells):
            continue  # blank lines carry no data
        number += 1
        if any(_NOT_UTF8.search(cell) for cell in cells):
            safe = dict(zip(columns, (printable(cell) for cell in cells), strict=False))
            yield CsvRow(line, number, safe, problem="holds bytes that are not UTF-8", fix="re-save the file as UTF-8")
            continue
        if len(cells) != len(columns):
            safe = {f"cell{i + 1}": cell for i, cell in enumerate(cells)}
            yield CsvRow(
                line,
                number,
                safe,
                problem=f"has {len(cells)} cells but the header has {len(columns)}",
                fix=_QUOTE_FIX,
            )
            continue
        yield CsvRow(line, number, dict(zip(columns, cells, strict=True)))


_QUOTE_FIX = 'give every row one cell per header column; put "double quotes" around cells that hold commas or quotes'
