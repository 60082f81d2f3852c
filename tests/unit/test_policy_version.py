"""The policy version is a content hash of the resolved rules: stable under formatting
and key order, changed by any number; YAML written back loads to the same rules."""

from __future__ import annotations

from textwrap import dedent

from careshift.policy import canonical_json, diff_rules, dump_yaml, load_pack, load_text, policy_version

PACK = dedent(
    """
    id: sample
    title: Sample
    jurisdiction: XX
    rules:
      - id: ratio
        family: nurse_to_patient_ratio
        params:
          patients_per_nurse: {icu: 2, med_surg: 5}
          roles: [RN, LPN]
        hard: true
        citation: somewhere
      - id: rest
        family: min_rest_between_shifts
        params: {hours: 10}
        weight: 50
        scope: {units: [4W, 5E]}
    """
)

REORDERED = dedent(
    """
    # same rules, keys and rules in another order, other quoting and flow style
    title: Sample
    rules:
      - weight: 50
        scope:
          units: [5E, 4W]
        params:
          hours: 10.0
        family: min_rest_between_shifts
        id: "rest"
      - citation: 'somewhere'
        hard: yes
        params:
          roles: [LPN, RN]
          patients_per_nurse:
            med_surg: 5
            icu: 2
        family: nurse_to_patient_ratio
        id: ratio
    jurisdiction: XX
    id: sample
    """
)


def test_version_is_stable_under_key_and_rule_reordering() -> None:
    first, second = load_text(PACK), load_text(REORDERED)
    assert first.version == second.version
    assert len(first.version) == 12 and int(first.version, 16) >= 0
    assert canonical_json(first.rules) == canonical_json(second.rules)


def test_version_changes_when_a_number_changes() -> None:
    base = load_text(PACK).version
    assert load_text(PACK.replace("med_surg: 5", "med_surg: 4")).version != base
    assert load_text(PACK.replace("hours: 10", "hours: 11")).version != base
    assert load_text(PACK.replace("weight: 50", "weight: 51")).version != base
    assert load_text(PACK.replace("citation: somewhere", "citation: elsewhere")).version != base


def test_version_is_the_same_for_the_same_rules_reached_through_extends() -> None:
    flat = load_pack("us-ca-title22")
    rebuilt = load_text(
        dump_yaml(flat.rules, pack_id="flat", title="Flat copy"),
        source="flat.yaml",
    )
    assert rebuilt.version == flat.version == policy_version(flat.rules)


def test_bundled_packs_round_trip_through_yaml() -> None:
    for pack_id in ("global", "us-ca-title22", "us-or-hb2697", "uk-nice-sg1", "eu-wtd", "union-sample"):
        pack = load_pack(pack_id)
        text = dump_yaml(pack.rules, pack_id=pack.id, title=pack.title, jurisdiction=pack.jurisdiction)
        assert load_text(text).rules == pack.rules


def test_diff_names_added_removed_and_changed_fields() -> None:
    before = load_text(PACK).rules
    after = load_text(
        PACK.replace("med_surg: 5", "med_surg: 4").replace("weight: 50", "weight: 60")
        + "  - id: extra\n    family: one_shift_per_day\n"
    ).rules
    diff = diff_rules(before, after)
    assert [rule.id for rule in diff.added] == ["extra"]
    assert diff.removed == ()
    changes = {change.rule_id: [(f.path, f.before, f.after) for f in change.fields] for change in diff.changed}
    assert changes == {
        "ratio": [("params.patients_per_nurse.med_surg", 5, 4)],
        "rest": [("weight", 50, 60)],
    }
    assert diff_rules(after, before).removed[0].id == "extra"
    assert diff_rules(before, before).empty
