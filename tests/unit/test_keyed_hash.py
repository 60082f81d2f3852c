from __future__ import annotations

from datetime import UTC

import pytest
from pydantic import SecretStr

from careshift.adapters.hl7v2.mapping import map_adt
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.domain.errors import ServiceUnavailableError
from careshift.settings import Settings
from tests.hl7_builders import adt
from tests.unit.test_hl7_mapping import RECEIVED, parse

KEY = b"0123456789abcdef0123456789abcdef"


def test_fhir_encounter_id_hashes_like_the_hl7_visit_number_without_authority() -> None:
    hasher = KeyedHasher(KEY)
    raw = adt("A01", "M", visit="V77").replace(b"V77^^^GENHOSP^VN", b"V77")
    (event,) = map_adt(parse(raw), hasher, RECEIVED, UTC).events
    assert event.entity_id == hasher("Encounter", "V77") == hasher.token("enc", "V77", "")
    assert hasher("Patient", "MRN1") == hasher.token("pat", "MRN1", "")
    assert hasher("Appointment", "a1").startswith("Appointment:")
    assert hasher("Encounter", "V77") != hasher("Patient", "V77")


def test_key_comes_from_settings_and_must_be_long_enough() -> None:
    assert KeyedHasher.from_settings(Settings(id_hash_key=SecretStr(KEY.decode()))) == KeyedHasher(KEY)
    with pytest.raises(ServiceUnavailableError, match="CARESHIFT_ID_HASH_KEY is not set"):
        KeyedHasher.from_settings(Settings(id_hash_key=None))
    with pytest.raises(ServiceUnavailableError, match="at least 16"):
        KeyedHasher(b"short")


def test_key_is_not_in_the_repr() -> None:
    assert KEY.decode() not in repr(KeyedHasher(KEY))
