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
        #: (id(dump), id(resolver)) -> (dump, resolver, the dump annotated with its party networks), for the
        #: records held: each is resolved once, however many windows read it (and when it is checked itself)
        self._annotated: dict[tuple[int, int], tuple[dict, party_network.Resolver, dict]] = {}
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

    def annotate(self, dump: dict, net: party_network.Resolver) -> dict:
        """``network.annotate(dump, net)``, computed once for a record this index holds (a scan checks the
        records of its own history)."""
        hit = self._annotated.get((id(dump), id(net)))
        if hit is not None and hit[0] is dump and hit[1] is net:
            return hit[2]
        return party_network.annotate(dump, net)

    def _annotate_held(self, dump: dict, net: party_network.Resolver) -> dict:
        key = (id(dump), id(net))
        hit = self._annotated.get(key)
        if hit is not None and hit[0] is dump and hit[1] is net:
            return hit[2]
        out = party_network.annotate(dump, net)
        self._annotated[key] = (dump, net, out)
        return out

    def _build(self, name: str, agg: Aggregate, net: party_network.Resolver
               ) -> dict[tuple, tuple[list[int], list[tuple[int, Any, str]]]]:
        groups: dict[tuple, list[tuple[int, Any, str]]] = defaultdict(list)
        networked = _networked(agg)
        for item in self._by_kind.get(agg.over, ()):
            dump = self._annotate_held(item.dump, net) if networked else item.dump
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
        window = self._window(name, agg, kind, dump, day, network)
        return None if window is None else window[0]

    def _window(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date,
                network: party_network.Resolver | None) -> tuple[list[tuple[int, Any, str]], dict] | None:
        """(the window's rows, the record as the aggregate reads it), or None (see :meth:`window_rows`)."""
        net = network if network is not None else party_network.resolver(None)
        plan = _plan(agg)
        same_kind = kind == agg.over
        own_id = dump.get("id") if same_kind else None
        if agg.requires_history and not self.has_history(agg.over, own_id, day + dt.timedelta(days=agg.after_days)):
            return None
        if plan.networked and not any(n in dump for n in plan.network_names):
            dump = party_network.annotate(dump, net)
        parts = [get_path(dump, rec_field) for rec_field in plan.record_fields]
        if any(p is None or p == [] for p in parts):
            return None
        if agg.over not in self._by_kind:  # no history of that kind at all: an empty window
            return [], dump
        index = self._index.get((name, id(net)))
        if index is None or self._networks.get(id(net)) is not net:
            index = self._build(name, agg, net)
        today = day.toordinal()
        high, low = today + agg.after_days, today - agg.within_days
        if all(not isinstance(p, list) for p in parts):  # one key: the common case
            keys: Iterable[tuple] = (tuple(parts),)
        else:
            keys = sorted(set(itertools.product(*[p if isinstance(p, list) else [p] for p in parts])), key=str)
        rows: list[tuple[int, Any, str]] = []
        for key in keys:
            found = index.get(key)
            if found is None:
                continue
            days, key_rows = found
            selected = key_rows[bisect.bisect_right(days, low):bisect.bisect_right(days, high)]
            rows += [r for r in selected if r[2] != own_id] if same_kind else selected
        return rows, dump

    def aggregate(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date,
                  network: party_network.Resolver | None = None) -> AggregateValue | None:
        """The aggregate for a record (None when a key field of the record is missing, or when the aggregate
        requires history and none was available); ``network`` resolves parties (SPEC §3.5) for network keys."""
        window = self._window(name, agg, kind, dump, day, network)
        if window is None:
            return None
        rows, dump = window
        if agg.latest:
            today = day.toordinal()
            earlier = [r for r in rows if r[0] <= today]
            if not earlier:
                return None
            last = max(earlier, key=lambda r: (r[0], r[2]))
            return AggregateValue(float((dt.date.fromordinal(last[0]) - EPOCH).days), [last[2]])
        own = own_value(agg, kind, dump)
        if agg.count_distinct:
            total = float(len({r[1] for r in rows} | ({own} if own is not None else set())))
        else:
            total = round(float(sum(r[1] for r in rows) + (own if own is not None else 0.0)), 2)
        return AggregateValue(total, sorted({r[2] for r in rows}) if rows else [])


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
    plan = _plan(agg)
    if plan.networked and not any(name in dump for name in plan.network_names):
        return party_network.annotate(dump, net)
    return dump


def _networked(agg: Aggregate) -> bool:
    """Whether the aggregate is keyed by a party network (``network.key``), so records must be resolved."""
    return _plan(agg).networked


@dataclass(frozen=True)
class _Plan:
    """What an aggregate reads, worked out once per aggregate (not per record)."""

    network_names: frozenset[str]  # the network names (``network``, ``payee_network``) its key or filter reads
    networked: bool
    record_fields: tuple[str, ...]  # the record's fields its key is read from, in key order


#: id(aggregate) -> (the aggregate, the registry's network names, its plan)
_PLANS: dict[int, tuple[Aggregate, frozenset[str], _Plan]] = {}


def _plan(agg: Aggregate) -> _Plan:
    names = party_network.network_names()
    cached = _PLANS.get(id(agg))
    if cached is not None and cached[0] is agg and cached[1] is names:
        return cached[2]
    read = frozenset(f.split(".")[0] for f in (*agg.match, *agg.match.values(), *agg.where)
                     if f.split(".")[0] in names)
    plan = _Plan(read, bool(read), tuple(agg.match.values()))
    _PLANS[id(agg)] = (agg, names, plan)
    return plan


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
