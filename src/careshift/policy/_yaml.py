"""YAML read with line numbers kept, so every policy error can point at its line.

PyYAML's composer gives nodes with marks; we turn that node tree into a small tree of
our own (mapping, sequence, scalar) where every value and every mapping key knows the
1-based line it sits on. Scalars are built by PyYAML's safe constructor, so ``12`` is an
int, ``yes`` a bool and ``2026-06-01`` a ``date``, exactly as ``yaml.safe_load`` would.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from careshift.domain.errors import PolicyError


@dataclass(frozen=True)
class Node:
    """A YAML value and the line it starts on (1-based)."""

    line: int


@dataclass(frozen=True)
class Scalar(Node):
    value: object


@dataclass(frozen=True)
class Seq(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Entry:
    """One ``key: value`` of a mapping; ``line`` is the key's line."""

    key: str
    line: int
    value: Node


@dataclass(frozen=True)
class Map(Node):
    entries: tuple[Entry, ...]

    def get(self, key: str) -> Entry | None:
        """The entry for ``key``, or ``None``."""
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None

    def keys(self) -> tuple[str, ...]:
        """The keys in file order."""
        return tuple(entry.key for entry in self.entries)


def suggestion(word: str, choices: Iterable[str]) -> str:
    """``did you mean 'x'?`` for a close choice; otherwise the nearest one (if any is
    roughly alike) and the list of valid choices."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if not options:
        return "nothing is allowed here"
    valid = "valid: " + ", ".join(repr(option) for option in options)
    # A weaker match still helps when the author used another vocabulary
    # ("max_consecutive" for "maximum"); name it, but list every choice too.
    score, nearest = max((difflib.SequenceMatcher(None, word, option).ratio(), option) for option in options)
    if score >= 0.3:
        return f"nearest valid: {nearest!r}; {valid}"
    return valid


class Source:
    """Where a document came from; raises errors that name the file and line."""

    def __init__(self, name: str) -> None:
        self.name = name

    def error(self, line: int | None, message: str) -> PolicyError:
        """A ``PolicyError`` located at ``line`` of this source (``file:line: message``)."""
        return PolicyError(message, source=self.name, location=str(line) if line else None)

    def parse(self, text: str) -> Node:
        """Parse one YAML document into a located node tree."""
        loader = yaml.SafeLoader(text)
        try:
            try:
                root = loader.get_single_node()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                line = mark.line + 1 if mark else None
                raise self.error(line, f"not valid YAML: {exc.problem or exc}; fix the syntax there") from exc
            except yaml.YAMLError as exc:
                raise self.error(None, f"not valid YAML: {exc}") from exc
            if root is None:
                raise self.error(1, "the file is empty; a policy pack needs at least 'id' and 'title'")
            return self._convert(loader, root)
        finally:
            loader.dispose()

    def _convert(self, loader: yaml.SafeLoader, node: yaml.Node) -> Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            entries: list[Entry] = []
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                key = self._scalar(loader, key_node)
                if not isinstance(key, str):
                    raise self.error(key_line, f"keys must be text, got {key!r}; quote it or rename it")
                if key in seen:
                    raise self.error(key_line, f"duplicate key {key!r} (first on line {seen[key]}); keep one")
                seen[key] = key_line
                entries.append(Entry(key, key_line, self._convert(loader, value_node)))
            return Map(line, tuple(entries))
        if isinstance(node, yaml.SequenceNode):
            return Seq(line, tuple(self._convert(loader, item) for item in node.value))
        return Scalar(line, self._scalar(loader, node))

    def _scalar(self, loader: yaml.SafeLoader, node: yaml.Node) -> object:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node.start_mark.line + 1, "expected a plain value here, not a list or mapping")
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # e.g. 2026-13-01 matches YAML's timestamp pattern but is not a date
            raise self.error(node.start_mark.line + 1, f"cannot read {node.value!r}: {exc}") from exc
