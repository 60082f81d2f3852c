"""MLLP ingest throughput into SQLite and PostgreSQL, beside python-hl7's raw parse rate,
plus the full SIGKILL-and-resend run.

    nice -n 10 /work/venv/bin/python benchmarks/bench_ingest.py [--messages 2000] [--sigkill 10000]

The listener runs as a real subprocess (``careshift ingest mllp``) on a real socket and
acknowledges each message only after it is committed (SQLite: WAL, synchronous=FULL;
PostgreSQL: default synchronous_commit=on). ``window=1`` is send-and-wait, so the ACK
latency is the full round trip; ``window=8`` keeps eight messages in flight.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import hl7  # noqa: E402
from tests.hl7_builders import adt_stream  # noqa: E402
from tests.integration.mllp_support import ListenerProcess, Sender, sigkill_run  # noqa: E402
from tests.integration.store_support import postgres_base_url, postgres_schema_url  # noqa: E402

from benchmarks.report import write_section  # noqa: E402


def parse_rate(messages: list[bytes], seconds: float = 2.0) -> float:
    """python-hl7 alone: decode + ``hl7.parse`` per message, messages per second."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for raw in messages:
            hl7.parse(raw.decode("utf-8"))
        done += len(messages)
    return done / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
    else:
        with postgres_schema_url() as url:
            yield url


def stream_rate(kind: str, messages: list[bytes], window: int) -> dict[str, float]:
    control_ids = [f"C{index:06d}" for index in range(len(messages))]
    with database(kind) as url:
        listener = ListenerProcess(url)
        listener.start()
        try:
            sender = Sender(lambda: listener.port, window=window)
            started = time.perf_counter()
            codes = sender.stream(messages, control_ids, lambda _: None)
            elapsed = time.perf_counter() - started
        finally:
            listener.stop()
    if set(codes) != {"AA"}:
        raise SystemExit(f"{kind}: unexpected ACK codes {sorted(set(codes))}")
    return {
        "rate": len(messages) / elapsed,
        "p50": percentile(sender.latencies, 0.50) * 1000,
        "p99": percentile(sender.latencies, 0.99) * 1000,
        "mean": statistics.fmean(sender.latencies) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000, help="messages per throughput run")
    parser.add_argument("--sigkill", type=int, default=10000, help="messages in the SIGKILL run (0: skip)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update docs/benchmarks.md")
    args = parser.parse_args()

    messages = adt_stream(args.messages, seed=5)
    backends = ["sqlite"]
    if not args.no_postgres:
        if postgres_base_url() is None:
            raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432 (or pass --no-postgres)")
        backends.append("postgresql")

    rows = []
    parse_rates = []
    for kind in backends:
        for window in (1, 8):
            # The machine is shared: measure the raw parse rate beside each run so the ratio compares like with like.
            raw_rate = parse_rate(messages[:500], seconds=1.5)
            parse_rates.append(raw_rate)
            result = stream_rate(kind, messages, window)
            print(kind, window, f"parse {raw_rate:.0f}/s", {k: round(v, 2) for k, v in result.items()}, flush=True)
            rows.append(
                f"| {kind} | {window} | {len(messages)} | {result['rate']:.0f} | {result['p50']:.1f} | "
                f"{result['p99']:.1f} | {raw_rate:.0f} | {result['rate'] / raw_rate:.3f} |"
            )

    kill_rows = []
    if args.sigkill:
        for kind in backends:
            with database(kind) as url:
                outcome = sigkill_run(url, args.sigkill)
            ok = (
                outcome.exactly_once
                and outcome.log_matches_reference
                and outcome.census_matches_replay
                and outcome.census_matches_reference
                and outcome.codes == ["AA"] * outcome.count
                and outcome.committed_at_kill >= outcome.acked_at_kill
            )
            print(kind, "sigkill", outcome.count, "ok" if ok else "FAILED", f"{outcome.seconds:.0f}s", flush=True)
            kill_rows.append(
                f"| {kind} | {outcome.count} | {outcome.acked_at_kill} | {outcome.committed_at_kill} | "
                f"{outcome.resent} | {len(outcome.ledger)} | {'yes' if outcome.exactly_once else 'NO'} | "
                f"{'yes' if outcome.census_matches_replay and outcome.census_matches_reference else 'NO'} | "
                f"{outcome.seconds:.0f} |"
            )
            if not ok:
                raise SystemExit(f"{kind}: the SIGKILL run broke an invariant: {outcome}")

    body = "\n".join(
        [
            "python-hl7 raw parse rate (decode + `hl7.parse` of the same messages, in-process, measured just "
            f"before each run): median **{statistics.median(parse_rates):.0f} msg/s**.",
            "",
            "| store | window | messages | ingest msg/s | ACK p50 ms | ACK p99 ms | raw parse msg/s "
            "| ingest / raw parse |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Each ACK is sent after the message's events and its MSH-10 ledger entry are committed "
            "(SQLite WAL with `synchronous=FULL`; PostgreSQL `synchronous_commit=on`). Frames read together "
            "share one transaction (group commit). window 1 = send-and-wait (latency = full round trip); "
            "window 8 = eight messages in flight on one connection. The listener is a separate process; "
            "the machine is shared, so absolute figures move with its load.",
        ]
    )
    if kill_rows:
        body += "\n\n" + "\n".join(
            [
                "SIGKILL run: the listener is killed with SIGKILL after half the ACKs, restarted, and the "
                "sender resends everything unacknowledged (window 8).",
                "",
                "| store | messages | acked at kill | committed at kill | resent | ledger rows | exactly once | "
                "census = replay | seconds |",
                "|---|---|---|---|---|---|---|---|---|",
                *kill_rows,
            ]
        )
    print(body)
    if not args.no_write:
        write_section("ingest", "HL7 v2 MLLP ingest", body)


if __name__ == "__main__":
    main()
