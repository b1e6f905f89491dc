"""Window aggregates over history, computed before the rules run (DESIGN §2: no accumulators in the engine).

An aggregate (declared in a pack) sums or counts the history records of one kind that pass
its filter, share its key with the record being checked, and fall in the window
``(d - within_days, d]`` where ``d`` is the record's own date — so a re-run gives the same
answer, and a record sent alone or in a batch sees the same history. The record itself
counts when it is of the aggregated kind and passes the filter.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conduct_engine.facts import _get, record_date
from conduct_engine.packs.schema import Aggregate


@dataclass(frozen=True)
class HistoryItem:
    """One accepted record as history: its kind, id, own date and JSON dump."""

    kind: str
    id: str
    day: dt.date
    dump: dict


def _passes(agg: Aggregate, dump: dict) -> bool:
    for path, expected in agg.where.items():
        value = _get(dump, path)
        if isinstance(expected, list):
            if value not in expected:
                return False
        elif value != expected:
            return False
    return True


class HistoryIndex:
    """History records indexed per aggregate and key, for fast window sums."""

    def __init__(self, items: Iterable[HistoryItem] = ()):
        self._by_kind: dict[str, list[HistoryItem]] = defaultdict(list)
        self._index: dict[str, dict[tuple, tuple[list[int], list[tuple[int, float, str]]]]] = {}
        for item in items:
            self._by_kind[item.kind].append(item)

    @staticmethod
    def item(record: Any, as_of: dt.date) -> HistoryItem:
        """A history item from a parsed record model."""
        dump = record.as_fact_dict()
        return HistoryItem(dump["kind"], dump["id"], record_date(dump["kind"], dump, as_of), dump)

    def items(self) -> list[HistoryItem]:
        """Every history item held."""
        return [item for items in self._by_kind.values() for item in items]

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_kind.values())

    def _build(self, name: str, agg: Aggregate) -> dict[tuple, tuple[list[int], list[tuple[int, float, str]]]]:
        groups: dict[tuple, list[tuple[int, float, str]]] = defaultdict(list)
        for item in self._by_kind.get(agg.over, ()):
            if not _passes(agg, item.dump):
                continue
            key = tuple(_get(item.dump, f) for f in agg.match)
            if any(k is None for k in key):
                continue
            value = 1.0 if agg.count else _get(item.dump, agg.sum or "")
            if not isinstance(value, (int, float)):
                continue
            groups[key].append((item.day.toordinal(), float(value), item.id))
        index = {}
        for key, rows in groups.items():
            rows.sort()
            index[key] = ([r[0] for r in rows], rows)
        self._index[name] = index
        return index

    def aggregate(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date) -> float | None:
        """The aggregate for a record (None when a key field of the record is missing)."""
        key = tuple(_get(dump, rec_field) for rec_field in agg.match.values())
        if any(k is None for k in key):
            return None
        index = self._index.get(name)
        if index is None:
            index = self._build(name, agg)
        total = 0.0
        days, rows = index.get(key, ([], []))
        hi = bisect.bisect_right(days, day.toordinal())
        lo = bisect.bisect_right(days, day.toordinal() - agg.within_days)
        own_id = dump.get("id")
        for _, value, item_id in rows[lo:hi]:
            if not (kind == agg.over and item_id == own_id):
                total += value
        if kind == agg.over and _passes(agg, dump):
            own = 1.0 if agg.count else _get(dump, agg.sum or "")
            if isinstance(own, (int, float)):
                total += float(own)
        return round(total, 2)
