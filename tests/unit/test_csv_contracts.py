"""The contract registry itself: versions, vocabularies, and agreement with the quality gate."""

from __future__ import annotations

from careshift.adapters.csv import contracts
from careshift.adapters.csv.schema import ColumnType, FileKind
from careshift.service import quality


def test_every_kind_has_its_default_version_and_every_column_is_described() -> None:
    for kind in FileKind:
        assert contracts.contract_for(kind).id == f"{kind.value}/1"
    for contract in contracts.CONTRACTS.values():
        assert contract.description
        for column in contract.columns:
            assert column.description, f"{contract.id}.{column.name}"
            if column.type in (ColumnType.CODE, ColumnType.CODE_LIST):
                assert column.choices, f"{contract.id}.{column.name} needs its enumeration"


def test_staff_v2_differs_from_v1_only_in_requiring_updated_at() -> None:
    v1, v2 = contracts.STAFF_V1, contracts.STAFF_V2
    assert [c.name for c in v1.columns] == [c.name for c in v2.columns]
    assert set(v2.required) - set(v1.required) == {"updated_at"}


def test_contract_role_codes_agree_with_the_quality_gate_defaults() -> None:
    assert contracts.ROLE_CODES == quality.DEFAULT_ROLES
    assert contracts.LICENCE_LEVELS == quality.LICENCE_LEVELS
