"""Versioned policy packs: YAML files of rules → domain ``Rule`` objects.

``load_pack("us-ca-title22")`` or ``load_pack(path)`` validates a pack, resolves its
``extends`` chain (global → region → unit) and returns a ``PolicyPack`` whose
``version`` is the content hash that every schedule records.
"""

from careshift.policy.diff import FieldChange, PolicyDiff, RuleChange, diff_rules
from careshift.policy.loader import PolicyPack, bundled_packs, load_pack, load_text
from careshift.policy.serialise import canonical_json, dump_yaml, policy_version, rule_to_dict

__all__ = [
    "FieldChange",
    "PolicyDiff",
    "PolicyPack",
    "RuleChange",
    "bundled_packs",
    "canonical_json",
    "diff_rules",
    "dump_yaml",
    "load_pack",
    "load_text",
    "policy_version",
    "rule_to_dict",
]
