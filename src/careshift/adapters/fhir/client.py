"""A small async FHIR R4 REST client: read, search with paging, retries, SMART tokens.

It returns raw JSON objects; :mod:`careshift.adapters.fhir.mapping` parses them into
``fhir.resources`` R4B models and checks them. Raw payloads are never logged (PHI).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from careshift.adapters.fhir.auth import SmartBackendAuth
from careshift.adapters.fhir.errors import FhirServerError
from careshift.adapters.fhir.mapping import PATIENT_LINKED
from careshift.adapters.fhir.retry import RetryPolicy, parse_retry_after
from careshift.domain.errors import DataContractError

log = logging.getLogger(__name__)

READABLE_TYPES = frozenset(
    {"Location", "Encounter", "Practitioner", "PractitionerRole", "Schedule", "Slot", "Appointment"}
)
"""The resource types careshift reads; everything else it has no business fetching."""

Sleep = Callable[[float], Awaitable[None]]
JsonObject = dict[str, Any]


class FhirClient:
    """Talks to one FHIR server at ``base_url`` (e.g. ``https://ehr.example/fhir/R4``).

    Every request goes through :meth:`send`: a bearer token from ``auth`` (fetched once,
    cached, refreshed before expiry, and once more if the server answers 401), and retries
    with exponential backoff on 408/429/5xx and network errors, honouring ``Retry-After``.
    ``sleep`` is injected so tests need not wait.
    """

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.AsyncClient,
        auth: SmartBackendAuth | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        page_size: int = 100,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._auth = auth
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._page_size = page_size
        self._token_lock = asyncio.Lock()

    # ------------------------------------------------------------------ reads

    async def read(self, resource_type: str, resource_id: str) -> JsonObject:
        """GET ``[base]/[type]/[id]``."""
        _check_type(resource_type)
        response = await self.send(httpx.Request("GET", self._url(f"{resource_type}/{resource_id}")))
        return _json_resource(response, resource_type, f"{resource_type}/{resource_id}")

    async def search(self, resource_type: str, params: Mapping[str, str] | None = None) -> AsyncIterator[JsonObject]:
        """All resources matching ``params``, following ``Bundle.link[relation=next]`` page by page.

        Only ``entry.search.mode == match`` resources of ``resource_type`` are yielded
        (``_include``\\ d ones are for the caller to fetch explicitly).
        """
        _check_type(resource_type)
        query = {"_count": str(self._page_size), **(params or {})}
        request: httpx.Request | None = httpx.Request("GET", self._url(resource_type), params=query)
        pages = 0
        while request is not None:
            response = await self.send(request)
            bundle = _json_resource(response, "Bundle", f"search {resource_type} page {pages + 1}")
            pages += 1
            for entry in bundle.get("entry") or []:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                mode = (entry.get("search") or {}).get("mode", "match") if isinstance(entry, dict) else "match"
                if isinstance(resource, dict) and resource.get("resourceType") == resource_type and mode == "match":
                    yield resource
            next_url = _next_link(bundle)
            request = None if next_url is None else httpx.Request("GET", self._same_origin(next_url))
        log.debug("searched %s: %d page(s)", resource_type, pages)

    # ------------------------------------------------------------------ transport

    async def send(self, request: httpx.Request, *, authenticated: bool = True) -> httpx.Response:
        """Send ``request`` with a bearer token and retries; return the first non-retryable
        response (any status the caller must interpret) or raise :class:`FhirServerError`."""
        response = await self._send_with_retries(request, authenticated=authenticated)
        if response.status_code == 401 and authenticated and self._auth is not None:
            # The server forgot or revoked our token before its stated expiry: get a new one, once.
            self._auth.invalidate()
            response = await self._send_with_retries(request, authenticated=True)
        if response.status_code >= 400:
            raise FhirServerError(
                f"{request.method} {_redact(request.url)} failed with HTTP {response.status_code}: "
                f"{_outcome_text(response)}",
                status=response.status_code,
            )
        return response

    @asynccontextmanager
    async def stream(self, url: str, *, authenticated: bool = True) -> AsyncIterator[httpx.Response]:
        """Stream a GET (for large NDJSON files): retries happen before the body is read.

        With ``authenticated=False`` (a manifest saying ``requiresAccessToken: false``, e.g.
        pre-signed storage URLs) no token is sent, so the URL may be on another host.
        """
        target = self._same_origin(url) if authenticated else url
        request = httpx.Request("GET", target, headers={"Accept": "application/fhir+ndjson"})
        for attempt in range(1, self._retry.max_attempts + 1):
            if authenticated:
                await self._authorise(request)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                await self._pause(request, attempt, None, f"network error {type(exc).__name__}")
                continue
            if response.status_code in self._retry.statuses or (response.status_code == 401 and attempt == 1):
                await response.aclose()
                if response.status_code == 401 and authenticated and self._auth is not None:
                    self._auth.invalidate()
                    continue
                await self._pause(request, attempt, response, f"HTTP {response.status_code}")
                continue
            try:
                if response.status_code >= 400:
                    await response.aread()
                    status = response.status_code
                    raise FhirServerError(
                        f"GET {_redact(request.url)} failed with HTTP {status}: {_outcome_text(response)}",
                        status=status,
                    )
                yield response
            finally:
                await response.aclose()
            return
        raise FhirServerError(
            f"GET {_redact(request.url)} still failing after {self._retry.max_attempts} attempts; try again later"
        )

    async def _send_with_retries(self, request: httpx.Request, *, authenticated: bool) -> httpx.Response:
        last: httpx.Response | None = None
        for attempt in range(1, self._retry.max_attempts + 1):
            if authenticated:
                await self._authorise(request)
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                await self._pause(request, attempt, None, f"network error {type(exc).__name__}")
                continue
            if response.status_code not in self._retry.statuses:
                return response
            last = response
            await self._pause(request, attempt, response, f"HTTP {response.status_code}")
        raise FhirServerError(
            f"{request.method} {_redact(request.url)} still failing after {self._retry.max_attempts} attempts"
            + (f" (last HTTP {last.status_code})" if last is not None else " (network errors)")
            + "; the server is overloaded or down, try again later",
            status=None if last is None else last.status_code,
        )

    async def _pause(self, request: httpx.Request, attempt: int, response: httpx.Response | None, why: str) -> None:
        if attempt >= self._retry.max_attempts:
            if response is None:
                raise FhirServerError(
                    f"{request.method} {_redact(request.url)} unreachable after {attempt} attempts ({why}); "
                    "check the base URL and network path to the FHIR server"
                )
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        delay = self._retry.delay(attempt, retry_after)
        log.info("retrying %s %s after %s in %.2fs", request.method, _redact(request.url), why, delay)
        await self._sleep(delay)

    async def _authorise(self, request: httpx.Request) -> None:
        if self._auth is None:
            return
        token = await self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"

    async def access_token(self) -> str:
        """The cached access token, fetching a new one (with retries) when it is due."""
        if self._auth is None:
            raise FhirServerError("this FHIR client has no SMART registration, so it has no access token")
        async with self._token_lock:
            token = self._auth.cached_token()
            if token is not None:
                return token
            response = await self._send_with_retries(self._auth.token_request(), authenticated=False)
            return self._auth.accept(response)

    async def sleep(self, seconds: float) -> None:
        """Wait with the injected sleep (polling loops share the client's notion of time)."""
        await self._sleep(seconds)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def _same_origin(self, url: str) -> str:
        """Refuse to send our bearer token to a host other than the FHIR server's."""
        base, other = urlsplit(self.base_url), urlsplit(url)
        if (base.scheme, base.netloc) != (other.scheme, other.netloc):
            raise DataContractError(
                f"server returned a link to {other.scheme}://{other.netloc}, not {base.scheme}://{base.netloc}; "
                "careshift will not send its token elsewhere. Fix the server's base URL configuration",
                source=self.base_url,
            )
        return url


def _check_type(resource_type: str) -> None:
    if resource_type not in READABLE_TYPES:
        raise DataContractError(
            f"careshift does not read {resource_type}; readable types are {', '.join(sorted(READABLE_TYPES))}",
            source="FHIR client",
        )


def _json_resource(response: httpx.Response, expected: str, what: str) -> JsonObject:
    try:
        body = response.json()
    except ValueError as exc:
        raise DataContractError("response is not JSON; is the base URL a FHIR endpoint?", source=what) from exc
    if not isinstance(body, dict) or body.get("resourceType") != expected:
        found = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise DataContractError(f"expected a {expected}, got {found}", source=what)
    return body


def _next_link(bundle: JsonObject) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and link.get("url"):
            return str(link["url"])
    return None


def _redact(url: httpx.URL) -> str:
    """The URL fit for logs and error messages: no query (search parameters may carry
    identifiers) and no id after a patient-linked resource type."""
    segments = url.path.split("/")
    for index in range(1, len(segments)):
        if segments[index - 1] in PATIENT_LINKED and segments[index]:
            segments[index] = "<id>"
    return f"{url.scheme}://{url.netloc.decode('ascii')}{'/'.join(segments)}"


def _outcome_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no OperationOutcome"
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        texts = [
            str((issue.get("details") or {}).get("text") or issue.get("diagnostics") or issue.get("code"))
            for issue in body.get("issue") or []
            if isinstance(issue, dict)
        ]
        return "; ".join(texts) or "OperationOutcome without issues"
    return "no OperationOutcome"
