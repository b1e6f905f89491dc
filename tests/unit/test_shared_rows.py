"""History rows kept across a service's indexes (``SharedRows``): the same windows, less work, bounded memory."""

from __future__ import annotations

import datetime as dt
import random

from conduct_engine import network
from conduct_engine.engine import Engine
from conduct_engine.history import HistoryIndex
from conduct_engine.shared_rows import SharedRows
from tests.bench.run_bench import AS_OF, generate_gifts


def _items(engine, gifts):
    return [HistoryIndex.item(engine.parse(g, lenient=True), AS_OF) for g in gifts]


def test_windows_over_shared_rows_equal_windows_worked_out_afresh():
    """Indexes built over the same item objects with a SharedRows give the same aggregates and evidence as indexes
    without one, for every gift aggregate, as the history grows and a record is replaced."""
    engine = Engine.from_paths()
    gifts = generate_gifts(random.Random(7), 400)
    for gift in gifts:
        gift["employee_id"] = f"E-{int(gift['id'][2:]) % 3}"  # a few employees: long histories per key
    items = _items(engine, gifts)
    shared = SharedRows()
    aggs = [(n, a) for n, a in engine.packs.aggregates.items() if "gift" in a.applies_to]
    net = network.resolver(None)
    for upto in (50, 200, 400):
        held = items[:upto]
        held[10] = _items(engine, [{**gifts[10], "value_cny": 1999.5}])[0]  # a stored record replaced
        kept, fresh = HistoryIndex(held, shared=shared), HistoryIndex(held)
        for gift in gifts[upto - 40:upto]:
            dump = kept.annotate(engine.parse(gift).as_fact_dict(), net)
            day = dt.date.fromisoformat(gift.get("occurred_on", AS_OF.isoformat()))
            for name, agg in aggs:
                assert kept.aggregate(name, agg, "gift", dump, day, net) == fresh.aggregate(name, agg, "gift", dump,
                                                                                            day, net)
                assert kept.window_rows(name, agg, "gift", dump, day, net) == fresh.window_rows(name, agg, "gift",
                                                                                                 dump, day, net)
    assert len(shared) > 0


def test_a_second_index_over_the_same_items_reuses_their_rows():
    engine = Engine.from_paths()
    items = _items(engine, generate_gifts(random.Random(8), 30))
    shared = SharedRows()
    agg = engine.packs.aggregates["gift_giver_365d_cny"]
    net = network.resolver(None)
    dump = network.annotate(items[0].dump, net)
    HistoryIndex(items, shared=shared).aggregate("gift_giver_365d_cny", agg, "gift", dump, items[0].day, net)
    kept = shared.rows(agg, net)
    assert len(shared) == len(items) and all(kept[id(i)][0] is i for i in items)
    other = _items(engine, [items[0].dump])[0]  # the same record parsed again: another object, not kept yet
    assert id(other) not in kept


def test_shared_rows_are_bounded_in_rows_and_in_resolvers():
    engine = Engine.from_paths()
    items = _items(engine, generate_gifts(random.Random(9), 50))
    agg = engine.packs.aggregates["gift_given_365d_cny"]
    shared = SharedRows(limit=20, networks=2)
    nets = [network.Resolver() for _ in range(3)]
    for net in nets:
        rows = shared.rows(agg, net)
        for item in items:
            shared.keep(rows, item, None)
    assert len(shared) == 40  # two resolvers, 20 rows each
    assert len(shared.rows(agg, nets[2])) == 20 and id(items[-1]) in shared.rows(agg, nets[2])
    assert id(items[0]) not in shared.rows(agg, nets[2])  # the oldest rows are gone
    assert shared.rows(agg, nets[0]) == {}  # the oldest resolver's rows are gone (asked again: a new, empty set)
