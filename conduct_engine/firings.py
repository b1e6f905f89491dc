"""What one durable_rules session reports: its firings, and how their action messages are read.

The adapter (``rete.py``) keeps each firing as its rule id and the action message the engine returned; the matched
facts' ids are read off those messages when the firings are first looked at (a decision needs only the rule ids).
Reading is plain text work: the engine returns each matched fact as the exact text asserted, and every text starts
with its id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

__all__ = ["Firing", "Firings", "distinct", "read"]


@dataclass(frozen=True, slots=True)
class Firing:
    """One rule that fired, with the ids of the facts it matched, by alias (sorted by alias)."""

    rule_id: str
    ids: tuple[tuple[str, str], ...]

    @property
    def facts(self) -> dict[str, dict]:
        """The matched facts by alias, as ``{"id": …}`` (the firing keeps ids only)."""
        return {alias: {"id": fact_id} for alias, fact_id in self.ids}


class Firings(Sequence[Firing]):
    """The firings of one evaluation, in the engine's order: kept as (rule id, action message) pairs, and made
    :class:`Firing` objects, their matched ids read off the messages, when first looked at (a decision needs only
    :meth:`rule_ids`; an engine that fired nothing, or failed, has none)."""

    __slots__ = ("_made", "_pairs", "_single", "_texts")

    def __init__(self, pairs: list[tuple[str, str]] | None = None, texts: dict[Any, str] | None = None,
                 single: dict[str, tuple[str, str]] | None = None):
        self._pairs = pairs or []
        self._texts = texts or {}
        self._single = single or {}
        self._made: list[Firing] | None = None

    def rule_ids(self) -> set[str]:
        """The ids of the rules that fired."""
        return {rule_id for rule_id, _message in self._pairs}

    def _firings(self) -> list[Firing]:
        if self._made is None:
            texts, single = self._texts, self._single
            self._made = [Firing(rule_id, read(message, single, texts)[1]) for rule_id, message in self._pairs]
        return self._made

    def __len__(self) -> int:
        return len(self._pairs)

    @overload
    def __getitem__(self, index: int) -> Firing: ...

    @overload
    def __getitem__(self, index: slice) -> list[Firing]: ...

    def __getitem__(self, index: int | slice) -> Firing | list[Firing]:
        return self._firings()[index]

    def __iter__(self) -> Iterator[Firing]:
        return iter(self._firings())

    def __repr__(self) -> str:
        return f"Firings({self._firings()!r})"


def distinct(firings: Sequence[Firing]) -> list[Firing]:
    """``firings`` without repeats of the same rule over the same facts, in order (an ``$or`` with two true branches
    fires twice)."""
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    out = []
    for firing in firings:
        key = (firing.rule_id, firing.ids)
        if key not in seen:
            seen.add(key)
            out.append(firing)
    return out


def read(message: str, single: dict[str, tuple[str, str]], texts: dict[Any, str]
          ) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(rule name, sorted (alias, fact id) pairs) of one action message: for a rule that matches one fact, its
    id is read where the message gives it (``_Ruleset.single``); otherwise :func:`_read_message`."""
    end = message.find('"', 2)
    one = single.get(message[2:end])
    if one is not None and message.startswith(one[1], end):
        start = end + len(one[1])
        fact_id = message[start:message.find('"', start)]
        if fact_id in texts:
            return message[2:end], ((one[0], fact_id),)
    return _read_message(message, texts)


def _read_message(message: str, texts: dict[Any, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(rule name, sorted (alias, fact id) pairs) of one action message ``{"RULE":{"alias":<fact>,…}}``.

    The engine returns each matched fact as the exact text asserted, and every text starts with its id,
    so the message is read by skipping known texts instead of parsing (a 3 KB loan-file anchor costs
    ~15 µs to ``json.loads``, per firing). Anything unexpected falls back to ``json.loads``.
    """
    try:
        end = message.index('"', 2)
        rule_name = message[2:end]
        pos = end + 3  # '":{'
        if not message.startswith('":{', end) or "\\" in rule_name:
            raise ValueError
        pairs = []
        while True:
            close = message.index('"', pos + 1)
            alias = message[pos + 1:close]
            start = close + 2  # '":'
            if message[pos] != '"' or not message.startswith('":{"id":"', close) or "\\" in alias:
                raise ValueError
            id_end = message.index('"', start + 7)
            fact_id = message[start + 7:id_end]
            text = texts.get(fact_id)
            if text is None or not message.startswith(text, start):
                raise ValueError
            pairs.append((alias, fact_id))
            pos = start + len(text)
            if message[pos] == ",":
                pos += 1
                continue
            if len(message) != pos + 2 or not message.endswith("}}"):
                raise ValueError
            break
        return rule_name, tuple(pairs) if len(pairs) == 1 else tuple(sorted(pairs))
    except (ValueError, IndexError):
        return _parse_message(message)


def _parse_message(message: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    data = json.loads(message)
    rule_name, matched = next(iter(data.items()))
    if not isinstance(matched, dict):  # a count/cap rule: a list of matches (never compiled here)
        matched = {f"{i}.{alias}": fact for i, match in enumerate(matched) for alias, fact in match.items()}
    return rule_name, tuple(sorted((alias, str(fact.get("id"))) for alias, fact in matched.items()))
