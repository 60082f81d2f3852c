"""Must-show: SIGKILL the MLLP listener while a sender streams ADT; restart; nothing lost, nothing doubled.

The listener runs as a real subprocess on a real socket. The sender keeps up to 8 messages
in flight; after the kill it reconnects and resends everything unacknowledged (some of
which may have been committed before the kill: the MSH-10 ledger must answer AA without
a second copy). Afterwards the log must equal an in-memory ingest of the same stream, and
the census projection must equal a replay from scratch. ``benchmarks/bench_ingest.py``
runs the same scenario with 10,000 messages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.mllp_support import sigkill_run
from tests.integration.store_support import postgres_schema_url, sqlite_url

COUNT = int(os.environ.get("CARESHIFT_SIGKILL_MESSAGES", "300"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_schema_url() as url:
            yield url


@pytest.mark.slow
def test_sigkill_midway_then_resend_gives_each_message_exactly_once(db_url: str) -> None:
    result = sigkill_run(db_url, COUNT)
    assert result.connections >= 2 and result.resent > 0
    # Every message acknowledged before the kill was already on disk (AA only after commit).
    assert result.committed_at_kill >= result.acked_at_kill
    assert result.codes == ["AA"] * COUNT
    assert result.exactly_once
    assert result.log_matches_reference
    assert result.census_matches_replay and result.census_matches_reference
    assert result.peak_census > 0 and result.quarantined == 0
