"""Window aggregates answered from per-key prefix sums equal the sums walked row by row."""

from __future__ import annotations

import datetime as dt
import pickle
import random

from conduct_engine.history import AggregateValue, HistoryIndex, HistoryItem
from conduct_engine.packs.model import Aggregate

DAY0 = dt.date(2026, 1, 1)


def _agg(**kw) -> Aggregate:
    fields = {"over": "gift", "applies_to": ["gift"], "match": {"employee_id": "employee_id"}, "within_days": 30,
              "where": {"direction": "received"}, "sum": "value_cny"}
    fields.update(kw)
    return Aggregate(**fields)


def _walked(items: list[HistoryItem], agg: Aggregate, dump: dict, day: dt.date) -> tuple[float, list[str]]:
    """The window as plain Python: rows in (day, id) order, the record's own left out, summed in that order."""
    rows = sorted((i.day.toordinal(), i.id, i.dump["value_cny"]) for i in items
                  if i.dump.get("employee_id") == dump["employee_id"] and i.dump.get("direction") == "received"
                  and day.toordinal() - agg.within_days < i.day.toordinal() <= day.toordinal()
                  and i.id != dump["id"])
    own = dump["value_cny"] if dump.get("direction") == "received" else 0.0
    if agg.count:
        return float(len(rows) + (1 if dump.get("direction") == "received" else 0)), sorted({r[1] for r in rows})
    return round(float(sum(r[2] for r in rows) + own), 2), sorted({r[1] for r in rows})


def _items(rng: random.Random, n: int, cents: bool) -> list[HistoryItem]:
    items = []
    for i in range(n):
        value = round(rng.uniform(0, 5000), 2) if cents else rng.uniform(0, 5000)
        dump = {"id": f"G-{i % (n - 7)}", "kind": "gift", "employee_id": f"E-{rng.randrange(4)}",  # some ids twice
                "direction": rng.choice(["received", "received", "given"]), "value_cny": value}
        items.append(HistoryItem("gift", dump["id"], DAY0 + dt.timedelta(days=rng.randrange(120)), dump))
    return items


def test_prefix_sums_equal_the_walked_window_for_cents_and_for_any_float():
    rng = random.Random(12)
    for cents in (True, False):  # whole hundredths: exact prefix sums; other floats: walked as before
        items = _items(rng, 400, cents)
        index = HistoryIndex(items)
        for name, agg in (("sum", _agg()), ("count", _agg(sum=None, count=True))):
            for item in rng.sample(items, 120):
                got = index.aggregate(name, agg, "gift", item.dump, item.day)
                assert got is not None
                assert (got.value, got.record_ids) == _walked(items, agg, item.dump, item.day), (cents, item.id)


def test_ids_are_listed_when_asked_and_sent_to_a_worker_as_a_list():
    items = [HistoryItem("gift", f"G-{i}", DAY0 + dt.timedelta(days=i), {"id": f"G-{i}", "kind": "gift",
                                                                          "employee_id": "E-1", "direction": "received",
                                                                          "value_cny": 0.1 * (i + 1)})
             for i in range(30)]
    index = HistoryIndex(items)
    value = index.aggregate("w", _agg(within_days=10), "gift", items[20].dump, items[20].day)
    assert value is not None and value.value == round(sum(0.1 * (i + 1) for i in range(11, 21)), 2) == 16.5
    assert value.record_ids == [f"G-{i}" for i in range(11, 20)]  # its own (G-20) left out
    copy = pickle.loads(pickle.dumps(value))
    assert copy == value and copy.record_ids == value.record_ids and copy == AggregateValue(16.5, value.record_ids)
