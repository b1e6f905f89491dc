"""History rows kept across the indexes of one service: a check's window is grouped from rows already worked out.

A service builds a :class:`~conduct_engine.history.HistoryIndex` per check, over the stored records its register
hands out; an unchanged stored record comes back as the same item object, so its row in each aggregate (resolved on
its party network, filtered, keyed and measured) can be kept and reused while that object is alive.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conduct_engine.packs.model import Aggregate

HistoryItem = Any  # conduct_engine.history.HistoryItem (which imports this module)

__all__ = ["SharedRows"]


class SharedRows:
    """Each history item's row per aggregate and party network, kept across indexes while the item is the same
    object (``Register.history`` hands out one item per unchanged stored record): a check's index is then grouped
    from kept rows instead of resolving, filtering and measuring every stored record again. Per aggregate and
    resolver the oldest rows are forgotten past ``limit``, and the rows of the oldest resolver past ``networks`` of
    them (a resolver holds a whole reference data set's graph: a request with a context of its own brings one)."""

    def __init__(self, limit: int = 200_000, networks: int = 4):
        self.limit = limit
        self.networks = networks
        #: id(resolver) -> (the resolver, id(aggregate) -> (the aggregate, id(item) -> (item, its row)))
        self._by_net: dict[int, tuple[Any, dict[int, tuple[Aggregate, dict[int, tuple[HistoryItem, Any]]]]]] = {}
        self._lock = threading.Lock()

    def rows(self, agg: Aggregate, net: Any) -> dict[int, tuple[HistoryItem, Any]]:
        """The kept rows of ``agg`` on ``net``: id(item) -> (item, its (key, row) or None when it does not count);
        a hit counts only when the item is the one kept (ids of collected objects are reused)."""
        by_agg = self._by_net.get(id(net))
        if by_agg is None or by_agg[0] is not net:
            with self._lock:  # checks run on the event loop and in worker threads
                while len(self._by_net) >= self.networks:
                    del self._by_net[next(iter(self._by_net))]
                by_agg = self._by_net[id(net)] = (net, {})
        kept = by_agg[1].get(id(agg))
        if kept is None or kept[0] is not agg:
            kept = by_agg[1][id(agg)] = (agg, {})
        return kept[1]

    def keep(self, rows: dict[int, tuple[HistoryItem, Any]], item: HistoryItem, row: Any) -> None:
        """Keep ``item``'s row in ``rows`` (from :meth:`rows`); the item is held, so its id stays its own."""
        with self._lock:
            while len(rows) >= self.limit:
                del rows[next(iter(rows))]
            rows[id(item)] = (item, row)

    def __len__(self) -> int:
        return sum(len(rows) for _net, by_agg in self._by_net.values() for _agg, rows in by_agg.values())
