"""MLLP framing, fed byte by byte like a slow socket."""

from __future__ import annotations

from careshift.adapters.hl7v2.framing import END, START, MllpDecoder, frame


def test_frame_wraps_in_start_and_end_markers() -> None:
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\x0d"


def test_frames_split_across_reads_in_every_place() -> None:
    stream = frame(b"MSH|first") + b"\r\n" + frame(b"MSH|second\x1cstill") + frame(b"")
    for cut in range(len(stream) + 1):
        decoder = MllpDecoder()
        got = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        assert [block.payload for block in got] == [b"MSH|first", b"MSH|second\x1cstill", b""], cut


def test_one_byte_at_a_time() -> None:
    stream = frame(b"MSH|a\x1c") + frame(b"MSH|b")
    decoder = MllpDecoder()
    got = [block.payload for byte in stream for block in decoder.feed(bytes([byte]))]
    assert got == [b"MSH|a\x1c", b"MSH|b"]


def test_bytes_outside_frames_are_counted_and_dropped() -> None:
    decoder = MllpDecoder()
    got = decoder.feed(b"noise" + frame(b"MSH|1") + b"\n")
    assert [block.payload for block in got] == [b"MSH|1"]
    assert decoder.discarded == 6


def test_oversized_frame_keeps_its_head_and_reports_its_size() -> None:
    decoder = MllpDecoder(max_bytes=10)
    body = b"MSH|" + b"x" * 100
    (block,) = decoder.feed(START + body[:50]) + decoder.feed(body[50:] + END)
    assert block.truncated and block.size == len(body) and block.payload == body[:10]
    (small,) = decoder.feed(frame(b"MSH|ok"))
    assert not small.truncated and small.payload == b"MSH|ok"


def test_pending_counts_an_unfinished_frame() -> None:
    decoder = MllpDecoder()
    assert decoder.feed(START + b"MSH|half") == []
    assert decoder.pending == 8
