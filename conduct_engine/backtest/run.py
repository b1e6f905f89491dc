"""Run a backtest: the same records, with the same history, through the baseline and the candidate packs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from conduct_engine.backtest.diff import compare
from conduct_engine.backtest.overrides import Change
from conduct_engine.engine import Engine
from conduct_engine.facts import record_date
from conduct_engine.history import HistoryIndex, HistoryItem
from conduct_engine.paths import get_path
from conduct_engine.records import parse_context


@dataclass(frozen=True)
class Backtest:
    """What is compared: the baseline and candidate engines and the changes that make the candidate."""

    baseline: Engine
    candidate: Engine
    changes: list[Change]
    pack_dir: str | None = None

    def describe(self) -> dict[str, Any]:
        """What was changed, as the report and the decision log show it."""
        return {"set": [c.as_dict() for c in self.changes], "pack": self.pack_dir}


def meta_of(model: BaseModel, as_of: dt.date) -> dict[str, Any]:
    """The record's branch, employee and date (a loan file's employee is its lead investigator)."""
    dump = model.as_fact_dict()  # type: ignore[attr-defined]
    return {"kind": dump["kind"], "id": dump["id"], "branch": dump.get("branch"),
            "employee_id": dump.get("employee_id") or get_path(dump, "team.lead_investigator"),
            "date": record_date(dump["kind"], dump, as_of).isoformat()}


def run_backtest(test: Backtest, models: list[BaseModel], *, as_of: dt.date, context: Any = None,
                 history: Iterable[HistoryItem] = (), on_progress: Callable[[int, int], None] | None = None,
                 every: int = 200) -> dict[str, Any]:
    """Check ``models`` (each other's history, plus ``history``) with both engines; the report of the differences."""
    ctx = parse_context(context) if context is not None else None
    items = [*history, *(HistoryIndex.item(m, as_of) for m in models)]
    # one index per side: an aggregate's index is built by name, and a candidate pack may redefine one
    indexes = HistoryIndex(items), HistoryIndex(items)
    metas = [meta_of(m, as_of) for m in models]
    baseline, candidate = [], []
    total = len(models)
    for done, model in enumerate(models, 1):
        baseline.append(test.baseline.evaluate(model, context=ctx, history=indexes[0], as_of=as_of).result())
        candidate.append(test.candidate.evaluate(model, context=ctx, history=indexes[1], as_of=as_of).result())
        if on_progress and (done % every == 0 or done == total):
            on_progress(done, total)
    refs = (test.baseline.pack_ref.model_dump(), test.candidate.pack_ref.model_dump())
    report = compare(baseline, candidate, metas, refs)
    report["as_of"] = as_of.isoformat()
    report["changes"] = test.describe()
    return report
