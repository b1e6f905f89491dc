"""Which stored decisions open (or update) a case: every ``review`` or ``block`` decision that is not a dry run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from conduct_engine.cases.sla import CasePolicy
from conduct_engine.store.case_rows import CaseInput
from conduct_engine.subjects import subject_of

#: Decisions that need a compliance officer.
NEEDS_CASE = ("review", "block")


def case_inputs(results: Sequence[dict], dumps: Sequence[dict], policy: CasePolicy, opened_on: dt.date, *,
                submitted_by: str | None, actor: str | None) -> list[CaseInput]:
    """The case inputs of stored decisions (JSON-ready results with their records' dumps), in order."""
    out = []
    for result, dump in zip(results, dumps, strict=True):
        if result["decision"] not in NEEDS_CASE:
            continue
        branch = dump.get("branch")
        out.append(CaseInput(result, subject_of(dump), branch, submitted_by, actor, opened_on,
                             policy.due_on(result["decision"], branch, opened_on)))
    return out
