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
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conduct_engine import network as party_network
from conduct_engine.dates import EPOCH
from conduct_engine.facts import record_date
from conduct_engine.packs.model import Aggregate
from conduct_engine.paths import get_path


@dataclass(frozen=True)
class HistoryItem:
    """One accepted record as history: its kind, id, own date and JSON dump."""

    kind: str
    id: str
    day: dt.date
    dump: dict


def _passes(agg: Aggregate, dump: dict) -> bool:
    """Whether a record passes the aggregate's filter (``null`` among the values: the field may be absent)."""
    for path, expected in agg.where.items():
        value = get_path(dump, path)
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
        self._index: dict[tuple[str, int], dict[tuple, tuple[list[int], list[tuple[int, float, str]]]]] = {}
        self._networks: dict[int, party_network.Resolver] = {}  # keeps the resolvers indexed with alive
        self._earliest: dict[str, list[tuple[dt.date, str]]] = {}  # kind -> its two earliest (day, id)
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

    def set_earliest(self, earliest: dict[str, list[tuple[dt.date, str]]]) -> None:
        """Decide :meth:`has_history` on a larger batch than this index holds (a scan partition): its two
        earliest (day, id) per kind."""
        self._earliest.update(earliest)

    def has_history(self, kind: str, own_id: Any = None, day: dt.date | None = None) -> bool:
        """Whether any record of ``kind`` other than ``own_id``, dated on or before ``day``, is held: history was
        available at all as of that day (so a batch and the same records sent one by one agree)."""
        earliest = self._earliest.get(kind)
        if earliest is None:
            items = sorted((item.day, item.id) for item in self._by_kind.get(kind, ()))
            earliest = self._earliest[kind] = items[:2]
        return any(item_id != own_id and (day is None or item_day <= day) for item_day, item_id in earliest)

    def _build(self, name: str, agg: Aggregate, net: party_network.Resolver
               ) -> dict[tuple, tuple[list[int], list[tuple[int, Any, str]]]]:
        groups: dict[tuple, list[tuple[int, Any, str]]] = defaultdict(list)
        networked = _networked(agg)
        for item in self._by_kind.get(agg.over, ()):
            dump = party_network.annotate(item.dump, net) if networked else item.dump
            if not _passes(agg, dump):
                continue
            key = tuple(get_path(dump, f) for f in agg.match)
            if any(k is None for k in key):
                continue
            value = _measure(agg, dump)
            if value is None:
                continue
            groups[key].append((item.day.toordinal(), value, item.id))
        index = {}
        for key, rows in groups.items():
            rows.sort(key=lambda r: (r[0], r[2]))
            index[key] = ([r[0] for r in rows], rows)
        self._index[(name, id(net))] = index
        self._networks[id(net)] = net
        return index

    def window_rows(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date,
                    network: party_network.Resolver | None = None) -> list[tuple[int, Any, str]] | None:
        """The history rows in a record's window, as (day ordinal, value, record id) in date order; None when
        a key field of the record is missing, or when the aggregate requires history and none was available.
        What :meth:`aggregate` totals (and ``explain`` lists); ``network`` resolves parties (SPEC §3.5)."""
        net = network if network is not None else party_network.resolver(None)
        own_id = dump.get("id") if kind == agg.over else None
        if agg.requires_history and not self.has_history(agg.over, own_id, day + dt.timedelta(days=agg.after_days)):
            return None
        dump = resolved(agg, dump, net)
        parts = [get_path(dump, rec_field) for rec_field in agg.match.values()]
        if any(p is None or p == [] for p in parts):
            return None
        keys = set(itertools.product(*[p if isinstance(p, list) else [p] for p in parts]))
        index = self._index.get((name, id(net)))
        if index is None or self._networks.get(id(net)) is not net:
            index = self._build(name, agg, net)
        today = day.toordinal()
        own_id = dump.get("id")
        rows: list[tuple[int, Any, str]] = []
        for key in sorted(keys, key=str):
            days, key_rows = index.get(key, ([], []))
            hi = bisect.bisect_right(days, today + agg.after_days)
            lo = bisect.bisect_right(days, today - agg.within_days)
            rows += [r for r in key_rows[lo:hi] if not (kind == agg.over and r[2] == own_id)]
        return rows

    def aggregate(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date,
                  network: party_network.Resolver | None = None) -> AggregateValue | None:
        """The aggregate for a record (None when a key field of the record is missing, or when the aggregate
        requires history and none was available); ``network`` resolves parties (SPEC §3.5) for network keys."""
        rows = self.window_rows(name, agg, kind, dump, day, network)
        if rows is None:
            return None
        dump = resolved(agg, dump, network if network is not None else party_network.resolver(None))
        today = day.toordinal()
        if agg.latest:
            earlier = [r for r in rows if r[0] <= today]
            if not earlier:
                return None
            last = max(earlier, key=lambda r: (r[0], r[2]))
            return AggregateValue(float((dt.date.fromordinal(last[0]) - EPOCH).days), [last[2]])
        own = own_value(agg, kind, dump)
        values = [r[1] for r in rows] + ([own] if own is not None else [])
        if agg.count_distinct:
            total = float(len(set(values)))
        else:
            total = round(float(sum(values)), 2)
        ids = sorted({r[2] for r in rows})
        return AggregateValue(total, ids)



@dataclass(frozen=True)
class AggregateValue:
    """An aggregate's value and the history records that made it."""

    value: float
    record_ids: list[str]


def own_value(agg: Aggregate, kind: str, dump: dict) -> Any:
    """What the record itself adds to its own window (None when it does not count)."""
    return _measure(agg, dump) if agg.include_self and kind == agg.over and _passes(agg, dump) else None


def resolved(agg: Aggregate, dump: dict, net: party_network.Resolver) -> dict:
    """The record as the aggregate reads it: annotated with its party network when the aggregate is keyed by one."""
    if _networked(agg) and not any(name in dump for name in _network_names(agg)):
        return party_network.annotate(dump, net)
    return dump


def _networked(agg: Aggregate) -> bool:
    """Whether the aggregate is keyed by a party network (``network.key``), so records must be resolved."""
    return bool(_network_names(agg))


#: id(aggregate) -> (the aggregate, the network names it reads): computed once per aggregate, not per record
_NAMES_READ: dict[int, tuple[Aggregate, frozenset[str], frozenset[str]]] = {}


def _network_names(agg: Aggregate) -> frozenset[str]:
    names = party_network.network_names()
    cached = _NAMES_READ.get(id(agg))
    if cached is not None and cached[0] is agg and cached[1] is names:
        return cached[2]
    read = frozenset(f.split(".")[0] for f in (*agg.match, *agg.match.values(), *agg.where)
                     if f.split(".")[0] in names)
    _NAMES_READ[id(agg)] = (agg, names, read)
    return read


def _measure(agg: Aggregate, dump: dict) -> Any:
    """What one record contributes: 1 (count), its amount (sum, its share with ``per``), a value (distinct), or its
    date (latest)."""
    if agg.count or agg.latest:
        return 1.0
    if agg.count_distinct:
        return get_path(dump, agg.count_distinct)
    value = get_path(dump, agg.sum or "")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    share = get_path(dump, agg.per) if agg.per else None
    if isinstance(share, (int, float)) and not isinstance(share, bool) and share > 0:
        return round(float(value) / share, 2)
    return float(value)
