"""An aggregate worked out once: what its windows read, and how a record passes its filter, is keyed and measured.

:mod:`conduct_engine.history` reads every window through a :class:`WindowPlan` (one per aggregate, kept while the
record kinds registered stay the same), so a record's window does not re-derive, per call, which fields its key is
read from, whether it needs the party network, or which filter values it compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conduct_engine import network as party_network
from conduct_engine.packs.model import Aggregate
from conduct_engine.paths import get_path

__all__ = ["WindowPlan", "key_parts", "measure", "own_value", "passes", "plan"]


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """What one aggregate reads, worked out once per aggregate (not per record)."""

    agg: Aggregate
    names: frozenset[str]  # the registry's network names when planned (the plan's key)
    network_names: frozenset[str]  # the network names (``network``, ``payee_network``) its key or filter reads
    networked: bool
    #: the record's fields its key is read from, in key order, as lookups: (field, ()) for a top-level one, (head,
    #: (the rest of its parts)) for a dotted one
    key_reads: tuple[tuple[str, tuple[str, ...]], ...]
    #: the filter: (path, the values it accepts or the one it must equal, whether those are a list of values)
    where: tuple[tuple[str, Any, bool], ...]
    summed: bool  # summed as a total (not the latest date nor a count of distinct values)


#: id(aggregate) -> its plan (checked against the aggregate and the registry's network names on every use)
_PLANS: dict[int, WindowPlan] = {}


def plan(agg: Aggregate) -> WindowPlan:
    """The aggregate's plan, worked out on first use (again when record kinds were registered since)."""
    names = party_network.network_names()
    cached = _PLANS.get(id(agg))
    if cached is not None and cached.agg is agg and cached.names is names:
        return cached
    read = frozenset(f.split(".")[0] for f in (*agg.match, *agg.match.values(), *agg.where)
                     if f.split(".")[0] in names)
    reads = tuple((f.split(".")[0], tuple(f.split(".")[1:])) for f in agg.match.values())
    where = tuple((path, expected, isinstance(expected, list)) for path, expected in agg.where.items())
    built = WindowPlan(agg, names, read, bool(read), reads, where, not (agg.latest or agg.count_distinct))
    _PLANS[id(agg)] = built
    return built


def key_parts(window: WindowPlan, dump: dict) -> list[Any]:
    """The record's values of the aggregate's key fields, in key order (None where one is missing)."""
    parts = []
    for head, rest in window.key_reads:
        value = dump.get(head)
        for part in rest:
            if not isinstance(value, dict):
                value = None
                break
            value = value.get(part)
        parts.append(value)
    return parts


def passes(window: WindowPlan, dump: dict) -> bool:
    """Whether a record passes the aggregate's filter (``null`` among the values: the field may be absent)."""
    for path, expected, listed in window.where:
        value = get_path(dump, path)
        if listed:
            if value not in expected:
                return False
        elif value != expected:
            return False
    return True


def measure(agg: Aggregate, dump: dict) -> Any:
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


def own_value(agg: Aggregate, kind: str, dump: dict, window: WindowPlan | None = None) -> Any:
    """What the record itself adds to its own window (None when it does not count); ``window``: the aggregate's plan,
    when the caller has it at hand."""
    if not (agg.include_self and kind == agg.over):
        return None
    return measure(agg, dump) if passes(window if window is not None else plan(agg), dump) else None
