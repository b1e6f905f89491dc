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
from conduct_engine.shared_rows import SharedRows
from conduct_engine.window_plan import WindowPlan, key_parts, measure, own_value, passes, plan

__all__ = ["AggregateValue", "HistoryIndex", "HistoryItem"]


@dataclass(frozen=True)
class HistoryItem:
    """One accepted record as history: its kind, id, own date and JSON dump."""

    kind: str
    id: str
    day: dt.date
    dump: dict


class HistoryIndex:
    """History records indexed per aggregate and key, for fast window sums."""

    def __init__(self, items: Iterable[HistoryItem] = (), *, shared: SharedRows | None = None):
        """Index ``items``; ``shared`` keeps each item's rows across indexes of the same stored items (a service
        builds an index per check over records its register hands out again unchanged)."""
        self._by_kind: dict[str, list[HistoryItem]] = defaultdict(list)
        self._shared = shared
        #: (aggregate name, id(resolver)) -> (the aggregate, the resolver, its plan, its key rows): what a window
        #: reads, found with one lookup (the resolver is held, so its id stays its own)
        self._readers: dict[tuple[str, int], tuple[Aggregate, party_network.Resolver, WindowPlan, dict[tuple, Any]]] = {}
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

    def annotate(self, dump: dict, net: party_network.Resolver, *, keep: bool = False) -> dict:
        """``network.annotate(dump, net)``, computed once for a record this index holds (a scan checks the
        records of its own history); ``keep`` remembers it (for the records indexed here)."""
        key = (id(dump), id(net))
        hit = self._annotated.get(key)
        if hit is not None and hit[0] is dump and hit[1] is net:
            return hit[2]
        out = party_network.annotate(dump, net)
        if keep:
            self._annotated[key] = (dump, net, out)
        return out

    def _reader(self, name: str, agg: Aggregate, net: party_network.Resolver
                ) -> tuple[Aggregate, party_network.Resolver, WindowPlan, dict[tuple, Any]]:
        """The aggregate's plan and its rows grouped by key, on ``net``; a key's rows are sorted and summed when first
        looked up (a check of one record reads one key of each window)."""
        window = plan(agg)
        groups: dict[tuple, list[tuple[int, Any, str]]] = defaultdict(list)
        shared = self._shared
        kept = shared.rows(agg, net) if shared is not None else None
        for item in self._by_kind.get(agg.over, ()):
            hit = kept.get(id(item)) if kept is not None else None
            if hit is not None and hit[0] is item:
                found = hit[1]
            else:
                found = self._row(window, net, item)
                if shared is not None and kept is not None:
                    shared.keep(kept, item, found)
            if found is not None:
                groups[found[0]].append(found[1])
        reader = self._readers[(name, id(net))] = (agg, net, window, groups)
        return reader

    def _row(self, window: WindowPlan, net: party_network.Resolver, item: HistoryItem
             ) -> tuple[tuple, tuple[int, Any, str]] | None:
        """One history record's (key, row) in an aggregate, or None when it does not count."""
        agg = window.agg
        dump = self.annotate(item.dump, net, keep=True) if window.networked else item.dump
        if not passes(window, dump):
            return None
        key = tuple(get_path(dump, f) for f in agg.match)
        if any(k is None for k in key):
            return None
        value = measure(agg, dump)
        if value is None:
            return None
        return key, (item.day.toordinal(), value, item.id)

    @staticmethod
    def _key_rows(index: dict[tuple, Any], key: tuple, summed: bool) -> _KeyRows | None:
        """A key's rows, sorted (and with ``summed``, summed) on first use."""
        found = index.get(key)
        if type(found) is list:
            found.sort(key=lambda r: (r[0], r[2]))
            found = index[key] = _KeyRows.of(found, summed)
        return found

    def window_rows(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date,
                    network: party_network.Resolver | None = None) -> list[tuple[int, Any, str]] | None:
        """The history rows in a record's window, as (day ordinal, value, record id) in date order; None when
        a key field of the record is missing, or when the aggregate requires history and none was available.
        What :meth:`aggregate` totals (and ``explain`` lists); ``network`` resolves parties (SPEC §3.5)."""
        window = self._window(name, agg, kind, dump, day, network)
        return None if window is None else _rows(window[0], window[1])

    def _window(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date,
                network: party_network.Resolver | None
                ) -> tuple[list[tuple[_KeyRows, int, int]], Any, dict, WindowPlan] | None:
        """(per key of the record, the key's rows and the slice in the window; the record's own id, whose rows
        are left out; the record as the aggregate reads it; the aggregate's plan), or None (see :meth:`window_rows`)."""
        net = network if network is not None else party_network.resolver(None)
        reader = self._readers.get((name, id(net)))
        if reader is None or reader[0] is not agg or reader[1] is not net:
            reader = self._reader(name, agg, net)
        window, index = reader[2], reader[3]
        own_id = dump.get("id") if kind == agg.over else None
        if agg.requires_history and not self.has_history(agg.over, own_id, day + dt.timedelta(days=agg.after_days)):
            return None
        if window.networked and window.network_names.isdisjoint(dump):  # not yet annotated with its networks
            dump = party_network.annotate(dump, net)
        parts = key_parts(window, dump)
        listed = False  # whether a key field holds several values (a team's co-investigators)
        for part in parts:
            if part is None or part == []:
                return None
            listed = listed or isinstance(part, list)
        if not index:  # no history row of that kind at all: an empty window
            return [], own_id, dump, window
        today = day.toordinal()
        high, low = today + agg.after_days, today - agg.within_days
        if not listed:  # one key: the common case
            found = self._key_rows(index, tuple(parts), window.summed)
            if found is None:
                return [], own_id, dump, window
            return ([(found, bisect.bisect_right(found.days, low), bisect.bisect_right(found.days, high))], own_id, dump,
                    window)
        keys = sorted(set(itertools.product(*[p if isinstance(p, list) else [p] for p in parts])), key=str)
        selected = []
        for key in keys:
            found = self._key_rows(index, key, window.summed)
            if found is not None:
                selected.append((found, bisect.bisect_right(found.days, low), bisect.bisect_right(found.days, high)))
        return selected, own_id, dump, window

    def aggregate(self, name: str, agg: Aggregate, kind: str, dump: dict, day: dt.date,
                  network: party_network.Resolver | None = None) -> AggregateValue | None:
        """The aggregate for a record (None when a key field of the record is missing, or when the aggregate
        requires history and none was available); ``network`` resolves parties (SPEC §3.5) for network keys."""
        window = self._window(name, agg, kind, dump, day, network)
        if window is None:
            return None
        selected, own_id, dump, read = window
        own = own_value(agg, kind, dump, read)
        if not selected and read.summed:  # an empty window: the record's own measure, if any
            return AggregateValue(round(float(0 + (own if own is not None else 0.0)), 2), [])
        if len(selected) == 1 and selected[0][0].cents is not None:  # one key, exact prefix sums: no row lists
            found, lo, hi = selected[0]
            cents = found.cents[hi] - found.cents[lo] - found.own_cents(own_id, lo, hi)  # type: ignore[index]
            total = round(cents / 100 + (own if own is not None else 0.0), 2)
            return AggregateValue(total, None, (found.rows, lo, hi, own_id))
        rows = _rows(selected, own_id)
        if agg.latest:
            today = day.toordinal()
            earlier = [r for r in rows if r[0] <= today]
            if not earlier:
                return None
            last = max(earlier, key=lambda r: (r[0], r[2]))
            return AggregateValue(float((dt.date.fromordinal(last[0]) - EPOCH).days), [last[2]])
        if agg.count_distinct:
            total = float(len({r[1] for r in rows} | ({own} if own is not None else set())))
        else:
            total = round(float(sum(r[1] for r in rows) + (own if own is not None else 0.0)), 2)
        return AggregateValue(total, sorted({r[2] for r in rows}) if rows else [])


def _rows(selected: list[tuple[_KeyRows, int, int]], own_id: Any) -> list[tuple[int, Any, str]]:
    """The rows of a window in key order (each key's in date order), the record's own left out."""
    rows: list[tuple[int, Any, str]] = []
    for found, lo, hi in selected:
        part = found.rows[lo:hi]
        rows += [r for r in part if r[2] != own_id] if own_id is not None else part
    return rows


#: a value is summed exactly (in hundredths, as integers) when it is a whole number of hundredths this close
_CENT_TOLERANCE = 1e-6
_SCAN_ROWS = 16  # a key with more rows than this indexes its rows by record id
_CENT_LIMIT = 1e13  # hundredths beyond this are not exact in a float: such keys are summed as floats


@dataclass(frozen=True)
class _KeyRows:
    """One key's history rows in date order, and what answers a window over them without walking the rows:
    prefix sums in hundredths (None when a value is not a whole number of them, or for latest/distinct)."""

    days: list[int]
    rows: list[tuple[int, Any, str]]
    cents: list[int] | None
    at: dict[str, list[int]] | None  # record id -> its positions (None: few rows, looked through)
    ids: list[str]  # the rows' record ids, in row order

    @classmethod
    def of(cls, rows: list[tuple[int, Any, str]], summed: bool) -> _KeyRows:
        at: dict[str, list[int]] | None = None
        if len(rows) > _SCAN_ROWS:
            at = defaultdict(list)
            for i, row in enumerate(rows):
                at[row[2]].append(i)
            at = dict(at)
        cents: list[int] | None = None
        if summed:
            cents = [0]
            for row in rows:
                hundredths = row[1] * 100
                whole = round(hundredths)
                if abs(hundredths - whole) > _CENT_TOLERANCE or abs(whole) > _CENT_LIMIT:
                    cents = None
                    break
                cents.append(cents[-1] + whole)
        return cls([r[0] for r in rows], rows, cents, at, [r[2] for r in rows])

    def own_cents(self, own_id: Any, lo: int, hi: int) -> int:
        """The hundredths of the record's own rows in the slice (they are left out of its window)."""
        cents = self.cents
        if own_id is None or cents is None:
            return 0
        if self.at is None:  # a few rows: look (the search runs in C)
            total, ids = 0, self.ids
            while True:
                try:
                    lo = ids.index(own_id, lo, hi)
                except ValueError:
                    return total
                total += cents[lo + 1] - cents[lo]
                lo += 1
        return sum(cents[i + 1] - cents[i] for i in self.at.get(own_id, ()) if lo <= i < hi)


class AggregateValue:
    """An aggregate's value and the history records that made it (their ids are listed when first asked for:
    most windows make no finding, and a finding's evidence is built only when output is asked for)."""

    __slots__ = ("_ids", "_source", "value")

    def __init__(self, value: float, record_ids: list[str] | None,
                 source: tuple[list[tuple[int, Any, str]], int, int, Any] | None = None):
        self.value = value
        self._ids = record_ids
        self._source = source  # (a key's rows, slice start, end, the own id left out)

    @property
    def record_ids(self) -> list[str]:
        """The ids of the history records in the window, sorted."""
        if self._ids is None:
            rows, lo, hi, own_id = self._source  # type: ignore[misc]
            self._ids = sorted({r[2] for r in rows[lo:hi] if r[2] != own_id})
            self._source = None
        return self._ids

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AggregateValue):
            return NotImplemented
        return (self.value, self.record_ids) == (other.value, other.record_ids)

    def __hash__(self) -> int:
        return hash((self.value, tuple(self.record_ids)))

    def __repr__(self) -> str:
        return f"AggregateValue(value={self.value!r}, record_ids={self.record_ids!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # sent to a worker: the ids, not the rows they come from
        return AggregateValue, (self.value, self.record_ids)
