"""Request shapes and retry behaviour of FhirClient, against httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from careshift.adapters.fhir.auth import SmartBackendAuth
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.errors import FhirServerError
from careshift.adapters.fhir.retry import RetryPolicy, parse_retry_after
from careshift.domain.errors import DataContractError
from tests.fhir_keys import registration

BASE = "https://ehr.example/fhir"
TOKEN_URL = "https://ehr.example/auth/token"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A fake FHIR server: routes to ``handler``, answers the token endpoint, records all."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.tokens = 0
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == TOKEN_URL:
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"tok{self.tokens}", "expires_in": 300})
        return self.handler(request)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def client(self, *, attempts: int = 4) -> FhirClient:
        reg, _ = registration(TOKEN_URL, "ES384")
        return FhirClient(
            BASE,
            http=httpx.AsyncClient(transport=httpx.MockTransport(self)),
            auth=SmartBackendAuth(reg),
            retry=RetryPolicy(max_attempts=attempts, base_delay=0.1, jitter=lambda: 1.0),
            sleep=self.sleep,
            page_size=2,
        )

    def fhir_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) != TOKEN_URL]


def bundle(ids: list[str], next_url: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Location", "id": i}, "search": {"mode": "match"}} for i in ids],
        "link": [{"relation": "self", "url": f"{BASE}/Location"}],
    }
    if next_url:
        body["link"].append({"relation": "next", "url": next_url})
    return body


async def collect(client: FhirClient, resource_type: str = "Location") -> list[str]:
    return [resource["id"] async for resource in client.search(resource_type, {"name": "4 West"})]


async def test_search_follows_next_links_with_one_cached_token() -> None:
    pages = {
        None: bundle(["a", "b"], f"{BASE}/Location?page=2"),
        "2": bundle(["c", "d"], f"{BASE}/Location?page=3"),
        "3": bundle(["e"], None),
    }
    server = Recorder(lambda r: httpx.Response(200, json=pages[r.url.params.get("page")]))
    assert await collect(server.client()) == ["a", "b", "c", "d", "e"]
    first = server.fhir_requests()[0]
    assert first.url.params["_count"] == "2" and first.url.params["name"] == "4 West"
    assert all(r.headers["Authorization"] == "Bearer tok1" for r in server.fhir_requests())
    assert server.tokens == 1


async def test_429_is_retried_after_retry_after() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json=bundle(["a"], None))])
    server = Recorder(lambda r: next(answers))
    assert await collect(server.client()) == ["a"]
    assert server.sleeps == [3.0]


async def test_5xx_backs_off_exponentially_then_gives_up() -> None:
    server = Recorder(lambda r: httpx.Response(503))
    with pytest.raises(FhirServerError, match="still failing after 4 attempts") as info:
        await collect(server.client(attempts=4))
    assert info.value.status == 503
    assert server.sleeps == pytest.approx([0.1, 0.2, 0.4])
    assert len(server.fhir_requests()) == 4


async def test_network_errors_are_retried() -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json=bundle(["a"], None))

    server = Recorder(flaky)
    assert await collect(server.client()) == ["a"]
    assert len(server.sleeps) == 2


async def test_unreachable_server_is_a_service_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    server = Recorder(down)
    with pytest.raises(FhirServerError, match="unreachable after 4 attempts"):
        await collect(server.client())


async def test_401_refreshes_the_token_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok1":
            return httpx.Response(401)
        return httpx.Response(200, json=bundle(["a"], None))

    server = Recorder(handler)
    assert await collect(server.client()) == ["a"]
    assert server.tokens == 2


async def test_client_errors_are_not_retried_and_carry_the_outcome() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "details": {"text": "gone"}}],
    }
    server = Recorder(lambda r: httpx.Response(404, json=outcome))
    with pytest.raises(FhirServerError, match="HTTP 404: gone"):
        await server.client().read("Location", "x")
    assert len(server.fhir_requests()) == 1 and server.sleeps == []


async def test_next_link_to_another_host_is_refused() -> None:
    server = Recorder(lambda r: httpx.Response(200, json=bundle(["a"], "https://evil.example/fhir/Location?p=2")))
    with pytest.raises(DataContractError, match="will not send its token elsewhere"):
        await collect(server.client())


async def test_only_staffing_resource_types_are_read() -> None:
    server = Recorder(lambda r: httpx.Response(200))
    with pytest.raises(DataContractError, match="does not read Patient"):
        await collect(server.client(), "Patient")


async def test_error_messages_leave_out_the_query() -> None:
    server = Recorder(lambda r: httpx.Response(400))
    with pytest.raises(FhirServerError) as info:
        await collect(server.client())
    assert "4 West" not in str(info.value) and "4+West" not in str(info.value)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), (None, None), ("soon", None), ("Mon, 02 Mar 2026 12:00:10 GMT", 10.0)],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    from datetime import UTC, datetime

    assert parse_retry_after(header, datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == seconds


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_retry_after=60.0, jitter=lambda: 1.0)
    assert policy.delay(1, None) == 1.0
    assert policy.delay(3, None) == 4.0
    assert policy.delay(1, 7.0) == 7.0
    assert policy.delay(1, 3600.0) == 60.0


async def test_error_messages_hide_patient_linked_ids() -> None:
    server = Recorder(lambda r: httpx.Response(410))
    with pytest.raises(FhirServerError) as info:
        await server.client().read("Encounter", "enc-secret-42")
    assert "enc-secret-42" not in str(info.value) and "Encounter/<id>" in str(info.value)
