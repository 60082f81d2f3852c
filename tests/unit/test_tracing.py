"""OpenTelemetry traces on the SDK's in-memory exporter: a server span per request with the
route template, use-case spans beneath it (repair → solve, auto-apply → decide, approve),
the write-back relay, the caller's trace continued, errors marked; nothing secret recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from careshift.api.app import create_app
from careshift.domain.recommendations import UnitMode
from careshift.service.memory import MemoryUnitOfWork
from careshift.service.writeback import relay
from careshift.telemetry import tracing
from tests.unit.service_builders import UNIT, ScriptedSolver, rig
from tests.unit.test_service_api import KEYS, ApiContext, MemoryAuditView, api, bearer
from tests.unit.test_service_usecases import after_call_out, repaired
from tests.unit.test_service_writeback import FlakyWriter
from tests.unit.test_service_writeback import approved as approved_rig


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    yield exporter
    tracing.use_provider(None)
    provider.shutdown()


def named(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


def parent_of(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def test_a_repair_request_is_a_server_span_over_repair_solve_and_auto_apply(spans: InMemorySpanExporter) -> None:
    r = rig(ScriptedSolver(repaired()), mode=UnitMode.AUTO)
    after_call_out(r)
    spans.clear()
    headers = bearer("staffing.read", "staffing.decide", units=[UNIT])
    assert api(r).post(f"/units/{UNIT}/repair", headers=headers).status_code == 200
    found = named(spans)
    server = found["POST /units/{unit}/repair"]
    assert server.kind is SpanKind.SERVER and server.parent is None
    assert server.attributes == {
        "http.request.method": "POST",
        "http.route": "/units/{unit}/repair",
        "http.response.status_code": 200,
    }
    repair, solve = found["careshift.repair"], found["careshift.solve"]
    assert parent_of(repair) == server.context.span_id and parent_of(solve) == repair.context.span_id
    assert solve.attributes is not None and repair.attributes is not None
    assert solve.attributes["careshift.solver.time_limit_s"] == 1.0
    assert solve.attributes["careshift.solver.status"] == "FEASIBLE"
    assert solve.attributes["careshift.solver.mode"] == "repair"
    assert repair.attributes["careshift.unit"] == UNIT and repair.attributes["careshift.unit_mode"] == "auto"
    assert repair.attributes["careshift.produced_by"] == "optimizer"
    auto = found["careshift.auto_apply"]
    assert parent_of(auto) == server.context.span_id and auto.attributes["careshift.auto.passes"] is True
    assert parent_of(found["careshift.decide"]) == auto.context.span_id
    assert parent_of(found["careshift.approve"]) == auto.context.span_id
    assert found["careshift.approve"].attributes["careshift.write_back"] is True
    assert {span.context.trace_id for span in spans.get_finished_spans()} == {server.context.trace_id}
    token = headers["Authorization"].split()[1]
    for span in spans.get_finished_spans():
        for value in (span.attributes or {}).values():
            assert token not in str(value) and "Bearer" not in str(value), span.name


def test_the_callers_trace_is_continued_and_a_failed_use_case_is_marked(spans: InMemorySpanExporter) -> None:
    r = rig(ScriptedSolver(repaired()), mode=UnitMode.OFF)
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {**bearer("staffing.decide"), "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    refused = api(r).post(f"/units/{UNIT}/plan", headers=headers)
    assert refused.status_code == 409
    found = named(spans)
    server = found["POST /units/{unit}/plan"]
    assert f"{server.context.trace_id:032x}" == trace_id and server.parent is not None
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 409
    plan = found["careshift.plan"]
    assert plan.status.status_code is StatusCode.ERROR
    assert [event.name for event in plan.events] == ["exception"]


def test_an_unmatched_path_keeps_the_method_as_its_name(spans: InMemorySpanExporter) -> None:
    client = api(rig(ScriptedSolver()))
    assert [span.name for span in spans.get_finished_spans()] == ["careshift.change_mode"]  # the rig's setup
    spans.clear()
    assert client.get("/no/such/path").status_code == 404
    (server,) = spans.get_finished_spans()
    assert server.name == "GET" and server.attributes == {
        "http.request.method": "GET",
        "http.response.status_code": 404,
    }


async def test_the_write_back_relay_is_one_span_with_its_counts(spans: InMemorySpanExporter) -> None:
    r = approved_rig()
    spans.clear()
    report = await relay(lambda: MemoryUnitOfWork(r.state), FlakyWriter(), r.clock)
    (span,) = spans.get_finished_spans()
    assert span.name == "careshift.writeback.relay" and span.attributes is not None
    assert span.attributes["careshift.sent"] == report.sent > 0 and span.attributes["careshift.failed"] == 0


def test_console_exporter_by_setting_and_off_by_default() -> None:
    try:
        provider = tracing.configure_tracing("console")
        assert provider is not None
        processors = provider._active_span_processor._span_processors  # noqa: SLF001
        assert [type(p) for p in processors] == [BatchSpanProcessor]
        assert tracing.tracer().start_span("x").is_recording()
        provider.shutdown()
        assert tracing.configure_tracing("off") is None
        assert not tracing.tracer().start_span("x").is_recording()
    finally:
        tracing.use_provider(None)


def test_with_tracing_off_requests_and_use_cases_make_no_spans(spans: InMemorySpanExporter) -> None:
    """Off (no provider of ours, none set by a host application): the request middleware and
    ``span`` step aside, and a use case's span takes attributes without recording them."""
    tracing.use_provider(None)
    assert not tracing.tracing_on()
    with tracing.span("careshift.decide", unit=UNIT) as current:
        current.set_attribute("careshift.outcome", "accepted")
        assert not current.is_recording()
    r = rig(ScriptedSolver(repaired()), mode=UnitMode.AUTO)
    after_call_out(r)
    headers = bearer("staffing.read", "staffing.decide", units=[UNIT])
    assert api(r).post(f"/units/{UNIT}/repair", headers=headers).status_code == 200
    assert spans.get_finished_spans() == ()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    tracing.use_provider(provider)
    assert tracing.tracing_on()
    with tracing.span("careshift.decide"):
        pass
    assert [s.name for s in spans.get_finished_spans()] == ["careshift.decide"]


def test_the_server_prints_spans_when_the_setting_says_console(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARESHIFT_TRACING", "console")
    r = rig(ScriptedSolver())
    context = ApiContext(public_key_pem=KEYS.public_pem, audit=MemoryAuditView(r.state))
    with TestClient(create_app(context)) as client:
        assert client.get("/health").status_code == 200
    printed = capsys.readouterr().out
    assert '"name": "GET /health"' in printed and '"http.route": "/health"' in printed
    assert not tracing.tracer().start_span("after").is_recording()  # stopped with the server
