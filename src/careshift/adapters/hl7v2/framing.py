"""MLLP framing, kept apart from HL7 parsing: ``0x0B`` + message + ``0x1C 0x0D``.

``MllpDecoder`` is fed whatever bytes the socket delivers and hands back complete frames.
Bytes outside a frame are counted and dropped (a sender's stray newline); a frame longer
than ``max_bytes`` is not buffered without bound: its head is kept (so the message can
still be acknowledged and quarantined) and the rest is counted until the frame ends.
"""

from __future__ import annotations

from dataclasses import dataclass

START = b"\x0b"
END = b"\x1c\x0d"


def frame(message: bytes) -> bytes:
    """``message`` wrapped in an MLLP block."""
    return START + message + END


@dataclass(frozen=True)
class Frame:
    """One MLLP block: ``payload`` (its first ``max_bytes`` when ``truncated``) and its full ``size``."""

    payload: bytes
    size: int
    truncated: bool = False


class MllpDecoder:
    """Incremental MLLP deframer: ``feed(data)`` returns the frames completed by ``data``."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.discarded = 0
        self._buffer = bytearray()
        self._in_frame = False
        self._held_fs = False
        self._size = 0

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame seen so far (0 between frames)."""
        return self._size if self._in_frame else 0

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        position, length = 0, len(data)
        while position < length:
            if not self._in_frame:
                start = data.find(START, position)
                if start < 0:
                    self.discarded += length - position
                    break
                self.discarded += start - position
                position = start + 1
                self._in_frame, self._size = True, 0
                self._buffer.clear()
                continue
            if self._held_fs:
                # The previous read ended on 0x1C: this read's first byte decides if it was the end.
                self._held_fs = False
                if data[position] == 0x0D:
                    position += 1
                    frames.append(self._finish())
                    continue
                self._append(b"\x1c")
            end = data.find(END, position)
            if end >= 0:
                self._append(data[position:end])
                position = end + len(END)
                frames.append(self._finish())
                continue
            chunk = data[position:]
            if chunk.endswith(b"\x1c"):
                chunk, self._held_fs = chunk[:-1], True
            self._append(chunk)
            break
        return frames

    def _append(self, chunk: bytes) -> None:
        room = self.max_bytes - len(self._buffer)
        if room > 0:
            self._buffer += chunk[:room]
        self._size += len(chunk)

    def _finish(self) -> Frame:
        result = Frame(bytes(self._buffer), self._size, self._size > self.max_bytes)
        self._buffer.clear()
        self._in_frame, self._size = False, 0
        return result
