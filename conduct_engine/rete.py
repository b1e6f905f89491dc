"""The ONLY module that imports durable_rules: a quiet host, one session per evaluation, guard-rails.

See ../shared/reference/durable_rules.md. What this adapter guarantees:

- no timer threads (``_run`` does nothing): the stock host crashes under concurrent requests;
- facts, never events; one batch assert per evaluation (low-level ``assert_facts``, which
  does not raise when a fact matches no rule) followed by ``do_actions``;
- one fresh session id per evaluation, ``delete_state`` in ``finally``, one evaluation at a
  time per process (the C code holds the GIL anyway, so a lock costs nothing);
- every rule action is one generic recorder keyed by session id, de-duplicating ``$or``
  double firings on (rule id, matched fact ids);
- a sentinel fact closes every evaluation: if its catch-all action did not run, or the engine
  raised (codes 302/303/304/314/204, MemoryError), the evaluation fails with ``EngineError``,
  which the engine turns into an ``engine_error`` finding — never a pass;
- numbers are serialised without exponents (the engine's parser rejects ``1e-05``).
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import math
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import durable_rules_engine
from durable.engine import Host

from conduct_engine import error_codes
from conduct_engine.errors import EngineError

PATCH_TAG = "conductfix1"
SENTINEL_TYPE = "__end__"
_ERROR_CODE = re.compile(r"error code: (\d+)")
_EXPONENT = re.compile(r"[:,\[]\s*-?\d+(\.\d+)?[eE]")  # a JSON number in exponent form


def engine_version() -> str:
    """The installed durable-rules version (``2.0.28+conductfix1`` for the patched build)."""
    try:
        return importlib.metadata.version("durable-rules")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - installed by make
        return "unknown"


def check_engine_build() -> None:
    """Fail loudly unless the patched durable-rules build is installed."""
    version = engine_version()
    if PATCH_TAG not in version:
        raise SystemExit(f"durable-rules {version} is not the patched build; run `make install`")
    print(f"durable-rules {version}: patched build OK")


@dataclass(frozen=True)
class Firing:
    """One rule that fired, with the facts it matched, by alias."""

    rule_id: str
    facts: dict[str, dict]


def _clean_number(value: float) -> float | int:
    if not math.isfinite(value):
        raise EngineError(error_codes.ENGINE_NORMALISE, f"non-finite number {value!r} cannot be asserted")
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    if abs(value) >= 1e15:
        return int(value)
    value = round(value, 6)
    return 0.0 if abs(value) < 1e-4 else value


def _clean(value: Any) -> Any:
    """Make a fact safe for the engine's JSON parser (no exponents, no NaN)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _clean_number(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    raise EngineError(error_codes.ENGINE_NORMALISE, f"unsupported value type {type(value).__name__}")


MAX_PROPERTIES = 240  # the engine allows 252 (+ sid, id); past that it errors or crashes


def _count_properties(fact: dict) -> int:
    """Properties as the engine counts them: one per key, plus the leaves of nested objects."""
    count = 0
    for value in fact.values():
        count += 1
        if isinstance(value, dict):
            count += _count_properties(value)
    return count


class _QuietHost(Host):
    """A Host without timer threads whose actions all go to one recorder."""

    def __init__(self, recorder: _Recorder):
        self._recorder = recorder
        super().__init__()

    def _run(self) -> None:  # no background timers: they crash concurrent use
        return None

    def get_action(self, action_name: str) -> Any:
        kind, _, rule_id = action_name.partition(":")
        if kind == "violation":
            return lambda c: self._recorder.fired(rule_id, c)
        if kind == "done":
            return lambda c: self._recorder.done(c)
        raise EngineError(error_codes.ENGINE_ACTION, f"unknown action {action_name!r}")


class _Recorder:
    def __init__(self) -> None:
        self.firings: dict[str, list[Firing]] = {}
        self.seen: dict[str, set] = {}
        self.finished: set[str] = set()

    def fired(self, rule_id: str, c: Any) -> None:
        sid = c.s["sid"]
        facts = {alias: dict(fact) for alias, fact in (c._m or {}).items()}
        key = (rule_id, tuple(sorted((a, f.get("id")) for a, f in facts.items())))
        if key in self.seen.setdefault(sid, set()):
            return  # an $or with two true branches fires twice: keep one
        self.seen[sid].add(key)
        self.firings.setdefault(sid, []).append(Firing(rule_id, facts))

    def done(self, c: Any) -> None:
        self.finished.add(c.s["sid"])

    def take(self, sid: str) -> tuple[list[Firing], bool]:
        self.seen.pop(sid, None)
        finished = sid in self.finished
        self.finished.discard(sid)
        return self.firings.pop(sid, []), finished


def _error_code(exc: BaseException) -> str:
    match = _ERROR_CODE.search(str(exc))
    return f"E{match.group(1)}" if match else type(exc).__name__


class ReteEngine:
    """Registered rulesets and a serialised ``evaluate`` over fresh sessions."""

    def __init__(self) -> None:
        self._recorder = _Recorder()
        self._host = _QuietHost(self._recorder)
        self._lock = threading.Lock()
        self._names: set[str] = set()

    def register(self, name: str, ruleset: dict[str, dict]) -> None:
        """Register a ruleset once (a deep copy: registration mutates the definition)."""
        with self._lock:
            if name in self._names:
                return
            try:
                self._host.register_rulesets({name: copy.deepcopy(ruleset)})
            except durable_rules_engine.error as exc:
                raise EngineError(_error_code(exc), f"ruleset {name!r} could not be registered: {exc}") from exc
            self._names.add(name)

    def is_registered(self, name: str) -> bool:
        """Whether a ruleset of that name is registered."""
        return name in self._names

    def evaluate(self, name: str, facts: list[dict]) -> list[Firing]:
        """Assert ``facts`` (children first, anchor, then the sentinel is added) in one session."""
        sid = uuid.uuid4().hex
        for fact in facts:
            if _count_properties(fact) > MAX_PROPERTIES:
                raise EngineError(error_codes.ENGINE_TOO_MANY_PROPERTIES, f"fact {fact.get('id')!r} has more than "
                                  f"{MAX_PROPERTIES} properties, beyond what the engine can hold")
        batch = [{**fact, "sid": sid} for fact in facts]
        batch.append({"t": SENTINEL_TYPE, "id": "__end__", "sid": sid})
        try:
            payload = json.dumps(batch, ensure_ascii=False, allow_nan=False)
        except ValueError as exc:  # NaN or infinity
            raise EngineError(error_codes.ENGINE_NORMALISE, f"a number cannot be asserted: {exc}") from None
        if _EXPONENT.search(payload):  # rare: only then rewrite numbers (the engine cannot parse 1e-05)
            payload = json.dumps([_clean(f) for f in batch], ensure_ascii=False, allow_nan=False)
        with self._lock:
            ruleset = self._host.get_ruleset(name)
            errors: list[BaseException] = []
            try:
                try:
                    result = durable_rules_engine.assert_facts(ruleset._handle, payload)
                except (durable_rules_engine.error, MemoryError) as exc:
                    raise EngineError(_error_code(exc), f"assert failed: {exc}") from exc
                if result[0] == 2:
                    raise EngineError(error_codes.ENGINE_DUPLICATE_FACT, "a fact id was asserted twice")
                ruleset.do_actions(result[1], lambda e, _state: errors.append(e) if e else None)
                if errors:
                    raise EngineError(error_codes.ENGINE_ACTION, f"a rule action failed: {errors[0]!r}")
            finally:
                firings, finished = self._recorder.take(sid)
                try:
                    durable_rules_engine.delete_state(ruleset._handle, sid)
                except durable_rules_engine.error:
                    pass
        if not finished:
            raise EngineError(error_codes.ENGINE_INCOMPLETE, "the evaluation did not reach its end marker")
        return firings
