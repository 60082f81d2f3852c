"""Line handling shared by the benchmark readers: numbered lines and located errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from careshift.domain.errors import BenchmarkFormatError


@dataclass(frozen=True)
class Line:
    """One line of a benchmark file, stripped, with its 1-based number."""

    number: int
    text: str


def read_lines(path: Path) -> list[Line]:
    """All lines of ``path`` (CRLF or LF), stripped of surrounding whitespace."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise BenchmarkFormatError("file not found; check the path", source=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkFormatError(f"cannot read the file ({exc}); it must be UTF-8 text", source=str(path)) from exc
    return [Line(number, text.strip()) for number, text in enumerate(raw.splitlines(), start=1)]


def fail(path: Path, line: Line | int | None, message: str) -> BenchmarkFormatError:
    """A ``BenchmarkFormatError`` naming ``path`` and the line (when known)."""
    number = line.number if isinstance(line, Line) else line
    return BenchmarkFormatError(message, source=str(path), location=f"line {number}" if number else None)


def to_int(path: Path, line: Line, field: str, what: str) -> int:
    """``field`` as an integer, or an error saying which value on which line is wrong."""
    try:
        return int(field.strip())
    except ValueError:
        raise fail(path, line, f"{what} must be an integer, got {field.strip()!r}") from None
