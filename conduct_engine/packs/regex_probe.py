"""Ask the engine itself whether a pattern can match: lint-clean must mean able to fire (SPEC §12).

durable_rules silently never matches some patterns that its parser accepts — measured on 2.0.28: a run of more
than 200 of one character (``a{100}a{100}``), literals of 201 to 300 characters (some lengths only, depending
on the heap). No static rule describes that exactly, so each new pattern is registered once in a scratch
ruleset and matched against a text it must match (:func:`~conduct_engine.packs.regex.sample_text`); the answer
is kept for the process. Patterns are first held to the static limits of ``regex.check_pattern``, which keep
this registration fast.
"""

from __future__ import annotations

import threading

from conduct_engine.errors import EngineError
from conduct_engine.packs.regex import sample_text, to_engine_pattern
from conduct_engine.rete import SENTINEL_TYPE, ReteEngine

_lock = threading.Lock()
_answers: dict[str, tuple[bool, str | None]] = {}
_probe: list[ReteEngine] = []


def engine_matches(pattern: str) -> tuple[bool, str | None]:
    """(whether the engine matches a text the pattern must match, that text); (True, None) when no sample
    can be built (nothing to hold against the pattern)."""
    with _lock:
        if pattern in _answers:
            return _answers[pattern]
        sample = sample_text(pattern)
        answer: tuple[bool, str | None] = (True, None)
        if sample is not None:
            if not _probe:
                _probe.append(ReteEngine())
            name = f"regex_probe_{len(_answers)}"
            condition = {"$and": [{"t": "probe"}, {"$mt": {"s": to_engine_pattern(pattern)}}]}
            ruleset: dict[str, dict] = {
                "probe": {"all": [{"m": condition}], "run": "violation:probe"},
                "__done__": {"all": [{"end": {"t": SENTINEL_TYPE}}], "pri": 65000, "run": "done:__done__"}}
            try:
                _probe[0].register(name, ruleset)
                fired = bool(_probe[0].evaluate(name, [{"t": "probe", "id": "p", "s": sample}]))
            except EngineError:
                fired = False
            answer = (fired, sample)
        _answers[pattern] = answer
        return answer
