"""durable_rules driven minimally: the engine's own compiled rulesets, pre-built facts, nothing else.

The floor the engine is measured against (``engine ÷ raw``): per record one session, one ``json.dumps``
of the pre-built facts (plus the session id and the sentinel), one ``assert_facts``, every pending
action started and completed without reading its message, ``delete_state``. No parsing, no windows, no
facts building, no findings. Only the benchmark drives the C engine itself; the product goes through
``conduct_engine.rete``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from typing import Any

import durable_rules_engine

from conduct_engine.engine import Engine
from conduct_engine.history import HistoryIndex

_SIDS = itertools.count(1)


def session(handle: int, facts: list[dict]) -> int:
    """One minimal session over ``facts``; returns the number of actions run (the sentinel's included)."""
    sid = f"raw{next(_SIDS)}"
    batch = [{**fact, "sid": sid} for fact in facts]
    batch.append({"t": "__end__", "id": "__end__", "sid": sid})
    payload = json.dumps(batch, ensure_ascii=False)
    actions = 0
    try:
        state = durable_rules_engine.assert_facts(handle, payload)[1]
        message = durable_rules_engine.start_action_for_state(handle, state)
        while message is not None:
            actions += 1
            message = durable_rules_engine.complete_and_start_action(handle, state)
    finally:
        durable_rules_engine.delete_state(handle, sid)
    return actions


def raw_fn(engine: Engine, context: Any, history: HistoryIndex, as_of: dt.date
           ) -> tuple[Callable[[dict], int], Callable[[dict], None]]:
    """(timed function, untimed preparation): ``prepare(record)`` builds and keeps the record's facts and
    ruleset handle, keyed by the record's id; ``run(record)`` is the timed minimal session."""
    prepared: dict[str, tuple[int, list[dict]]] = {}

    def prepare(record: dict) -> None:
        dump = engine.parse(record).as_fact_dict()  # type: ignore[attr-defined]
        facts = engine.prepare_facts(dump, context, history, as_of).facts
        name = engine.ruleset_name(dump["kind"], dump.get("branch"))
        prepared[record["id"]] = (engine.rete.handle(name), facts)

    def run(record: dict) -> int:
        handle, facts = prepared[record["id"]]
        return session(handle, facts)

    return run, prepare
