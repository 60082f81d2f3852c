"""Either valid or this exact error: a one-character typo in any key of any bundled pack
(a pack key, a rule key, a parameter, a scope selector, a unit type) is refused with an
error naming the file and the line of that key, and a suggestion (or, when the typo turns
the key into its sibling's name, the duplicate to remove)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.domain.errors import PolicyError
from careshift.policy import bundled_packs, load_text
from careshift.policy._yaml import Entry, Map, Node, Seq, Source


def key_entries(node: Node) -> list[Entry]:
    """Every mapping key of a parsed pack, with its line."""
    found: list[Entry] = []
    if isinstance(node, Map):
        for entry in node.entries:
            found.append(entry)
            found.extend(key_entries(entry.value))
    elif isinstance(node, Seq):
        for item in node.items:
            found.extend(key_entries(item))
    return found


PACKS: dict[str, tuple[str, list[Entry]]] = {}
for pack_id, pack_path in bundled_packs().items():
    text = Path(pack_path).read_text(encoding="utf-8")
    PACKS[pack_id] = (text, key_entries(Source(pack_id).parse(text)))

TYPOS = st.sampled_from(["drop", "double", "swap", "replace"])


def misspell(word: str, how: str, at: int) -> str:
    at %= len(word)
    if how == "drop" and len(word) > 1:
        return word[:at] + word[at + 1 :]
    if how == "double":
        return word[: at + 1] + word[at:]
    if how == "swap" and len(word) > 1 and at + 1 < len(word) and word[at] != word[at + 1]:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + ("x" if word[at] != "x" else "y") + word[at + 1 :]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(PACKS)), st.integers(0, 10_000), TYPOS, st.integers(0, 100))
def test_a_typo_in_any_key_is_reported_at_its_line(pack_id: str, pick: int, how: str, at: int) -> None:
    text, entries = PACKS[pack_id]
    entry = entries[pick % len(entries)]
    wrong = misspell(entry.key, how, at)
    lines = text.split("\n")
    line = lines[entry.line - 1]
    pattern = re.compile(rf"^(\s*(?:- )?){re.escape(entry.key)}:")
    assert pattern.match(line), line
    lines[entry.line - 1] = pattern.sub(lambda m: f"{m.group(1)}{wrong}:", line, count=1)
    try:
        load_text("\n".join(lines), source=f"{pack_id}.yaml")
    except PolicyError as error:
        assert error.source == f"{pack_id}.yaml"
        assert error.location == str(entry.line), str(error)
        assert repr(wrong) in error.detail
        # A suggestion, the valid keys, or — when the typo lands on a sibling key — the duplicate.
        hints = ("did you mean", "valid:", "takes no", "keep one")
        assert any(hint in error.detail for hint in hints), str(error)
    else:
        raise AssertionError(f"{pack_id}.yaml:{entry.line}: {entry.key!r} → {wrong!r} was accepted")
