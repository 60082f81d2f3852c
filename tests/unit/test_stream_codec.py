from __future__ import annotations

import json

import pytest

from careshift.adapters.stream.codec import decode_event, encode_event
from careshift.adapters.stream.port import partition_key
from careshift.domain.errors import DataContractError
from careshift.domain.events import EVENT_TYPES
from tests.stream_samples import every_kind


def test_every_event_kind_round_trips() -> None:
    events = every_kind()
    assert {e.kind for e in events} == set(EVENT_TYPES)
    for event in events:
        decoded = decode_event(encode_event(event), "t/0/0")
        assert decoded == event and type(decoded) is type(event)
        assert decoded.occurred_at.utcoffset() == event.occurred_at.utcoffset()


def test_partition_key_is_the_unit_else_the_entity() -> None:
    arrived, *_, called_out = every_kind()[:7]
    assert partition_key(arrived) == "4W"
    assert partition_key(called_out) == "n1"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1]", "envelope"),
        (json.dumps({"kind": "Nope", "v": 1, "event": {}}).encode(), "unknown event kind 'Nope'"),
        (json.dumps({"kind": "CensusChanged", "v": 1, "event": {"patients": 1}}).encode(), "does not decode"),
        (
            json.dumps(
                {
                    "kind": "CensusChanged",
                    "v": 1,
                    "event": {
                        "occurred_at": "2026-03-02T07:00:00+00:00",
                        "recorded_at": "2026-03-02T07:00:00+00:00",
                        "source_system": "s",
                        "source_id": "1",
                        "entity_id": "4W",
                        "patients": "many",
                    },
                }
            ).encode(),
            "expected an integer",
        ),
    ],
)
def test_bad_records_name_their_position(payload: bytes, message: str) -> None:
    with pytest.raises(DataContractError, match=message) as info:
        decode_event(payload, "events/2/41")
    assert info.value.source == "events/2/41"
