"""The scheduler console in a real browser (Debian's Chromium driven by Playwright).

The API is the real ``careshift serve`` in a subprocess on a free loopback port, over a
temporary SQLite database seeded through the store the way the adapters feed it: the sample
unit's roster, then both nurses on tomorrow's night calling out. In the console an administrator switches the unit to
approve mode; a charge nurse (no approve scope) repairs, overrides the first recommendation
with a coded reason, repairs again and accepts the second; a nurse manager approves it.
The resulting state is asserted through the API: the decision log and the audit chain.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from careshift.adapters.store import open_store
from careshift.api.auth import KeyPair, development_keys, mint
from careshift.domain.events import StaffCalledOut
from careshift.service.ports import InboundMessage, RosterEntry
from careshift.service.sample import sample_planning
from tests.conftest import require_service

pytestmark = pytest.mark.services

CHROMIUM = Path("/usr/bin/chromium")
SRC = Path(__file__).resolve().parents[2] / "src"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UNIT = "4W"
TIMEOUT_MS = 60_000  # a repair solves in a worker process; on a busy 2-core machine that can take a while


@dataclass
class RunningApi:
    base_url: str
    keys: KeyPair
    night: date
    called_out: tuple[str, ...]

    def token(self, *scopes: str, subject: str, role: str) -> str:
        return mint(self.keys, subject=subject, role=role, scopes=scopes, now=datetime.now(UTC))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed(url: str, today: date) -> tuple[date, tuple[str, ...]]:
    """The sample unit's roster into the store, then both nurses on tomorrow's night call out
    (below its floor of one). Returns the night and who called out."""
    events = open_store(url)
    try:
        base = sample_planning((UNIT,), today, days=14)
        roster = base.inputs[UNIT].current or ()
        events.put_roster(
            RosterEntry("wfm", f"{a.staff}/{a.day}/{a.shift}", a.staff, a.day, a.shift, a.unit, a.skill) for a in roster
        )
        # Tomorrow is inside the horizon: the sample starts on this week's Monday and runs two weeks.
        night_day = today + timedelta(days=1)
        night = [a for a in roster if a.day == night_day and a.shift == "N"]
        assert len(night) == 2
        now = datetime.now(UTC)
        for n, gone in enumerate(night):
            event = StaffCalledOut(
                occurred_at=now,
                recorded_at=now,
                source_system="csv:callouts.csv",
                source_id=f"row-{n}",
                entity_id=gone.staff,
                unit=UNIT,
                day=gone.day,
                shift="N",
                reason="sick",
            )
            events.append([event], InboundMessage("csv:callouts.csv", f"file-{n}", "csv:callouts", now))
    finally:
        events.close()
    return night_day, tuple(a.staff for a in night)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[RunningApi]:
    """``careshift serve`` in a subprocess over a seeded SQLite file, in development mode
    with its key pair under ``tmp_path`` (the test mints tokens with the same keys)."""
    url = f"sqlite:///{tmp_path / 'careshift.db'}"
    night, called_out = seed(url, datetime.now(UTC).date())
    data_dir = tmp_path / "data"
    keys = development_keys(data_dir)
    port = free_port()
    env = {
        **os.environ,
        "CARESHIFT_ENVIRONMENT": "development",
        "CARESHIFT_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("CARESHIFT_FHIR_BASE_URL", None)
    # ``careshift serve`` itself (its function: the root CLI registers it when branches merge).
    launch = (
        "from careshift.cli.serve import serve; "
        f"serve(host='127.0.0.1', port={port}, db={url!r}, units={UNIT!r}, time_limit=5.0)"
    )
    command = [sys.executable, "-c", launch]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"careshift serve exited with {server.returncode}: {(tmp_path / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "careshift serve did not answer /health within 60 s"
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(0.2)  # returns early if the server dies
        yield RunningApi(base_url, keys, night, called_out)
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()


def test_console_override_accept_approve(api: RunningApi, tmp_path: Path) -> None:
    require_service("chromium", CHROMIUM.exists(), "apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    admin = api.token("staffing.admin", subject="root", role="administrator")
    charge = api.token("staffing.read", "staffing.decide", subject="bob", role="charge nurse")
    manager = api.token("staffing.read", "staffing.approve", subject="carol", role="nurse manager")
    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            outside: list[str] = []
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith((api.base_url, "data:")) else outside.append(request.url)
                ),
            )
            page.goto(f"{api.base_url}/console/")
            expect(page.get_by_role("heading", name="careshift scheduler console")).to_be_visible()

            def sign_in(token: str, who: str) -> None:
                page.get_by_label("Bearer token").fill(token)
                page.get_by_role("button", name="Use token").click()
                expect(page.locator("#whoami")).to_contain_text(f"Signed in as {who}")

            # A bad token: the API's problem details are shown readably.
            page.get_by_label("Bearer token").fill("not-a-token")
            page.get_by_role("button", name="Use token").click()
            problem = page.get_by_role("alert")
            expect(problem).to_contain_text("Unauthorized (401)")
            expect(problem).to_contain_text("invalid bearer token")

            # The administrator puts the unit in approve mode.
            sign_in(admin, "root")
            expect(page.locator("#problem")).to_be_hidden()
            page.get_by_label("Unit", exact=True).select_option(UNIT)
            expect(page.locator("#mode-now")).to_have_text("shadow")
            page.get_by_label("Change mode").select_option("approve")
            page.get_by_label("Reason for the mode change").fill("console pilot")
            page.get_by_role("button", name="Set mode").click()
            expect(page.locator("#mode-now")).to_have_text("approve")
            page.get_by_role("button", name="Forget token").click()
            expect(page.locator("#whoami")).to_have_text("Not signed in.")

            # The charge nurse sees the hole the call-outs left and the checker's reason.
            sign_in(charge, "bob")
            page.get_by_label("Unit", exact=True).select_option(UNIT)
            hole = page.locator(f'td[data-day="{api.night}"][data-shift="N"]')
            expect(hole).to_have_attribute("data-status", "below-floor")
            expect(hole).to_contain_text("0 / 1")
            expect(page.locator("#violations li.hard").first).to_contain_text("cover-floor")
            expect(page.get_by_role("button", name="Set mode")).to_be_disabled()

            # First repair: overridden with a coded reason.
            page.get_by_role("button", name="Repair now").click()
            first = page.locator("article.card.current")
            expect(first).to_be_visible()
            expect(first.locator(".produced")).to_have_text("optimiser")
            expect(first.locator(".reasons li").first).not_to_be_empty()
            expect(first.locator(".disruption")).to_contain_text("people affected")
            expect(first.locator(".auto-verdict")).to_contain_text(re.compile(r"risk \d\.\d\d · confidence \d\.\d\d: "))
            first_id = first.get_attribute("data-recommendation")
            assert first_id
            expect(first.get_by_role("button", name=f"Approve recommendation {first_id}")).to_be_disabled()
            first.get_by_role("button", name=f"Override recommendation {first_id}").click()
            reason = first.get_by_label("Reason")
            expect(reason).to_be_focused()
            reason.select_option("preference.staff-declined")
            first.get_by_label("Comment").fill("RN declined the extra night")
            first.get_by_role("button", name="Submit override").click()
            overridden = page.locator(f'article[data-recommendation="{first_id}"]')
            expect(overridden).to_have_attribute("data-status", "overridden")

            # Second repair: accepted; the charge nurse cannot approve it.
            page.get_by_role("button", name="Repair now").click()
            second = page.locator("article.card.current")
            expect(second).to_be_visible()
            second_id = second.get_attribute("data-recommendation")
            assert second_id and second_id != first_id
            second.get_by_role("button", name=f"Accept recommendation {second_id}").click()
            accepted = page.locator(f'article[data-recommendation="{second_id}"]')
            expect(accepted).to_have_attribute("data-status", "accepted")
            expect(accepted.get_by_role("button", name=f"Approve recommendation {second_id}")).to_be_disabled()
            expect(accepted).to_contain_text("needs staffing.approve")
            page.get_by_role("button", name="Forget token").click()

            # The nurse manager approves it.
            sign_in(manager, "carol")
            page.get_by_label("Unit", exact=True).select_option(UNIT)
            approve = accepted.get_by_role("button", name=f"Approve recommendation {second_id}")
            expect(approve).to_be_enabled()
            approve.click()
            expect(accepted).to_have_attribute("data-status", "approved")
            expect(page.locator("#log-table tbody tr")).to_have_count(2)
            expect(page.locator('#log-table tr[data-outcome="overridden"]')).to_contain_text(
                "preference.staff-declined"
            )
            page.screenshot(path=str(tmp_path / "console.png"), full_page=True)
            assert outside == [], f"the console fetched outside resources: {outside}"
        finally:
            browser.close()

    # The state the clicks left, through the API.
    with httpx.Client(base_url=api.base_url, timeout=30) as http:
        log = http.get("/decisions", params={"unit": UNIT}, headers={"Authorization": f"Bearer {charge}"}).json()
        assert [(d["recommendation_id"], d["outcome"], d["reason_code"], d["user"], d["role"]) for d in log] == [
            (first_id, "overridden", "preference.staff-declined", "bob", "charge nurse"),
            (second_id, "accepted", None, "bob", "charge nurse"),
        ]
        assert log[0]["comment"] == "RN declined the extra night"
        admin_headers = {"Authorization": f"Bearer {admin}"}
        approved = http.get(f"/recommendations/{second_id}", headers=admin_headers).json()
        assert approved["status"] == "approved"
        assert not {(a["staff"], a["day"]) for a in approved["added"]} & {(s, str(api.night)) for s in api.called_out}
        verified = http.get("/audit/verify", headers=admin_headers).json()
        assert verified["ok"], verified
        actions = [e["action"] for e in http.get("/audit/entries", headers=admin_headers).json()]
        assert actions == [
            "unit.mode.changed",
            "recommendation.repair.created",
            "decision.overridden",
            "recommendation.repair.created",
            "decision.accepted",
            "recommendation.approved",
        ]
