"""Explain a record the way a stored check sees it: the stored reference data under the request's context,
and the stored history its windows need (SPEC §3.4). Nothing is stored or logged: an explanation is a question."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conduct_engine.dates import as_of_date
from conduct_engine.explain.explainer import Explainer
from conduct_engine.explain.model import Explanation
from conduct_engine.facts import record_date
from conduct_engine.history import HistoryIndex
from conduct_engine.service import merge_context
from conduct_engine.store import Store


def explain_with_store(explainer: Explainer, store: Store | None, record: Any, *, context: dict | None = None,
                       as_of: dt.date | str | None = None, rule_id: str | None = None,
                       lenient: bool = False) -> Explanation:
    """Explain ``record`` against the store's reference data and history (none without a store)."""
    engine = explainer.engine
    model = engine.parse(record, lenient=lenient)
    dump = model.as_fact_dict()  # type: ignore[attr-defined]
    day = as_of_date(as_of)
    history = HistoryIndex()
    if store is not None:
        context = merge_context(store.reference.current(), context)
        kinds, before, after = engine.history_needs(dump["kind"])
        if kinds:
            own = record_date(dump["kind"], dump, day)
            history = engine.history_index(
                (item.dump for item in store.register.history(kinds, own - dt.timedelta(days=before),
                                                              own + dt.timedelta(days=after))), day)
    return explainer.explain(model, context=context, history=history, as_of=day, rule_id=rule_id, lenient=lenient)
