"""Loopback load on the decision API: reading a unit's current recommendation and
submitting a decision, at 50 concurrent clients.

    nice -n 10 /work/venv/bin/python benchmarks/bench_service_api.py [--clients 50] [--requests 2000] [--db URL]

The API runs as its own process (uvicorn, one worker) over a SQLite file by default (WAL
with group commit: every decision is on disk before its response, ADR 0012), with the sample unit 4W
after two call-outs and its repair recommendation. Reads: ``GET
/units/4W/recommendations/current``. Writes: ``POST /recommendations/{id}/decisions`` with
a coded *defer* (a deferred recommendation may be decided again, so every request is a
real decision: a decision row, a version bump of the recommendation and an audit entry,
in one transaction). Latency is measured by the clients, end to end over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

UNIT = "4W"


def serve(db: str, port: int) -> None:
    """The server side (run in a subprocess): sample unit, two call-outs, one repair, serve."""
    from datetime import date

    import uvicorn

    from careshift.api.app import create_app
    from careshift.api.auth import development_keys
    from careshift.api.deps import ApiContext
    from careshift.domain.recommendations import UnitMode
    from careshift.domain.schedule import Schedule
    from careshift.service.bootstrap import build_services
    from careshift.service.messages import ChangeUnitMode, RepairAfterCallOut
    from careshift.service.sample import first_night, sample_planning
    from careshift.settings import Settings

    planning = sample_planning((UNIT,), date.today(), days=7)
    for gone in first_night(planning.inputs[UNIT].current or Schedule(())):
        planning.call_out(UNIT, gone.staff, gone.day)
    services = build_services(planning, database_url=db, time_limit=3.0)
    services.bus.handle(ChangeUnitMode(UNIT, UnitMode.RECOMMEND, actor="bench"))
    services.bus.handle(RepairAfterCallOut(UNIT, actor="bench"))
    keys = development_keys(Settings().data_dir)
    context = ApiContext(
        public_key_pem=keys.public_pem,
        audit=services.audit,
        service=services.service,
        bus=services.bus,
        writes_on_loop=services.writes_on_loop,
        on_shutdown=[services.close],  # uvicorn re-raises SIGTERM: code after run() never runs
    )
    uvicorn.run(
        create_app(context),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=120,
        loop=os.environ.get("BENCH_UVICORN_LOOP", "auto"),
        http=os.environ.get("BENCH_UVICORN_HTTP", "auto"),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def load(
    base: str, token: str, clients: int, total: int, method: str, path: str, body: object | None
) -> tuple[list[float], int, float]:
    """``clients`` keep-alive connections, each sending its share of ``total`` requests back to back.

    The client is a few lines of asyncio on raw HTTP/1.1 rather than httpx: on this 2-core
    machine the client shares the CPU with the server, and httpx spends several milliseconds of
    CPU per request, which measured the client more than the API (wrk or k6 would do the same
    job in C or Go; neither is a dependency of this project).
    """
    host, port = base.removeprefix("http://").split(":")
    payload = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode()
    request = head + payload
    latencies: list[float] = []
    errors = 0
    per_client = total // clients

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for _ in range(per_client):
                started = time.perf_counter()
                writer.write(request)
                await writer.drain()
                status, length = await read_head(reader)
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += status >= 300
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


async def read_head(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Status and Content-Length of one response (the API always sends a length)."""
    lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:"))
    return status, length


@contextmanager
def fresh_schema(url: str | None) -> Iterator[str | None]:
    """On PostgreSQL, a new empty schema for this run (dropped afterwards), so every run starts
    from the same state: ``url`` with its ``search_path`` set to that schema."""
    if url is None or not url.startswith("postgresql"):
        yield url
        return
    from sqlalchemy import create_engine, text

    schema = f"careshift_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per scenario, spread over the clients")
    parser.add_argument(
        "--db", help="database URL (default: a fresh SQLite file; on PostgreSQL a fresh schema per run)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if args.serve:
        serve(args.db, args.port)
        return

    import httpx

    from careshift.api.auth import development_keys, mint

    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory() as tmp, fresh_schema(args.db) as schema_db:
        env = {**os.environ, "CARESHIFT_ENVIRONMENT": "development", "CARESHIFT_DATA_DIR": tmp}
        db = schema_db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--db", db, "--port", str(port)], env=env, cwd=ROOT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the API did not start")
                time.sleep(0.2)
            keys = development_keys(Path(tmp))
            token = mint(
                keys, subject="bench", scopes=["staffing.read", "staffing.decide"], now=datetime.now(UTC), minutes=120
            )
            current = httpx.get(
                f"{base}/units/{UNIT}/recommendations/current", headers={"Authorization": f"Bearer {token}"}
            ).json()
            if "id" not in current:
                raise SystemExit(f"the server has no current recommendation: {current}")
            rec_id = current["id"]
            rows = []
            defer = {"outcome": "deferred", "reason_code": "context.need-more-info", "comment": "bench"}
            for name, method, path, body in (
                ("read current recommendation", "GET", f"/units/{UNIT}/recommendations/current", None),
                ("submit a decision (defer)", "POST", f"/recommendations/{rec_id}/decisions", defer),
            ):
                asyncio.run(load(base, token, args.clients, args.clients * 2, method, path, body))  # warm-up
                latencies, errors, wall = asyncio.run(
                    load(base, token, args.clients, args.requests, method, path, body)
                )
                p50, p95, p99 = statistics.median(latencies), percentile(latencies, 95), percentile(latencies, 99)
                rows.append(
                    f"| {name} | {len(latencies)} | {args.clients} | {p50:.1f} | {p95:.1f} | {p99:.1f} | "
                    f"{len(latencies) / wall:.0f} | {errors} |"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    kind = "sqlite" if not args.db else args.db.split("://")[0].split("+")[0]
    database = {
        "sqlite": "SQLite file (WAL, group commit: fdatasync before every response)",
        "postgresql": "PostgreSQL on loopback, a fresh schema per run (group commit: a synchronous flush "
        "of the WAL before every response)",
    }.get(kind, kind)
    table = "\n".join(
        [
            f"Database: {database}; "
            "one uvicorn worker (uvloop, httptools); clients are asyncio tasks on keep-alive HTTP/1.1 "
            "connections on the same machine. "
            f"Load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores (shared machine). Targets: p95 < 100 ms read, < 200 ms decision.",
            "",
            "| scenario | requests | concurrent clients | p50 ms | p95 ms | p99 ms | req/s | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    if not args.no_write:
        from benchmarks.report import write_section

        title = f"Decision API on loopback ({args.clients} concurrent clients, {kind})"
        write_section(f"service-api-{kind}", title, table)


if __name__ == "__main__":
    main()
