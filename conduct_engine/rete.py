"""The ONLY module that imports durable_rules: lean sessions over the engine's C entry points, guard-rails.

See ../shared/reference/durable_rules.md. What this adapter guarantees:

- no stock ``Host`` at all: rulesets are created with ``create_ruleset`` and actions are driven here with
  ``start_action_for_state`` / ``complete_and_start_action`` (no timer threads, no closure, promise or
  ``update_state`` round trip per firing — the state fact is never changed, so there is nothing to update);
- facts, never events; one batch assert per evaluation (low-level ``assert_facts``, which does not raise
  when a fact matches no rule), then every pending action of that session's state, in the engine's order;
- one fresh session id per evaluation, ``delete_state`` in ``finally``, one evaluation at a time per
  process (the C code holds the GIL anyway, so a lock costs nothing);
- every rule action is ``violation:<rule id>`` (or ``done:`` for the sentinel); a firing keeps only the
  rule id and its action message, whose matched fact ids are read when the firings are first looked at;
  an ``$or`` with two true branches fires twice over the same facts: ``distinct`` keeps one (on rule id and
  matched fact ids) when the findings are built — a decision needs only the rule ids;
- a sentinel fact closes every evaluation: if its catch-all action did not run, or the engine raised
  (codes 302/303/304/314/204, MemoryError), the evaluation fails with ``EngineError``, which the engine
  turns into an ``engine_error`` finding — never a pass;
- numbers are serialised without exponents (the engine's parser rejects ``1e-05``) and no fact holds more
  properties than the engine can: both are read off each fact's JSON text (``_encode_batch``), which is
  written once per fact, and only a batch holding an exponent is rewritten.
"""

from __future__ import annotations

import copy
import importlib.metadata
import itertools
import json
import math
import re
import threading
from dataclasses import dataclass
from typing import Any

import durable_rules_engine

from conduct_engine import error_codes
from conduct_engine.errors import EngineError
from conduct_engine.firings import Firings, read

PATCH_TAG = "conductfix2"
SENTINEL_TYPE = "__end__"
_ERROR_CODE = re.compile(r"error code: (\d+)")
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)  # CPython's C encoder (not in the typeshed stubs)
_C_ENCODER = (_MAKE_ENCODER(None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False)
              if _MAKE_ENCODER is not None else None)


def _encode_fact(fact: dict) -> str:
    """A fact's JSON text as ``_ENCODE`` writes it, through a C encoder made once (``JSONEncoder.encode`` makes
    one per call)."""
    if _C_ENCODER is None:  # pragma: no cover - CPython always has it
        return _ENCODE(fact)
    return "".join(_C_ENCODER(fact, 0))


def engine_version() -> str:
    """The installed durable-rules version (``2.0.28+conductfix2`` for the patched build)."""
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


def _exponent(value: float) -> bool:
    """Whether ``json.dumps`` would print this float with an exponent (``1e-05``, ``1e+16``)."""
    magnitude = abs(value)
    return magnitude >= 1e16 or (magnitude < 1e-4 and magnitude != 0.0)


def _walk(fact: dict) -> tuple[int, bool]:
    """Properties as the engine counts them (one per key, plus the leaves of nested objects), and whether
    a float somewhere would serialise with an exponent."""
    count, exponent = 0, False
    for value in fact.values():
        count += 1
        kind = type(value)
        if kind is float:
            exponent = exponent or _exponent(value)
        elif kind is dict:
            inner, inner_exponent = _walk(value)
            count += inner
            exponent = exponent or inner_exponent
        elif kind is list or kind is tuple:
            exponent = exponent or _list_exponent(value)
    return count, exponent


def _list_exponent(values: Any) -> bool:
    for value in values:
        kind = type(value)
        if kind is float and _exponent(value):
            return True
        if kind is dict and _walk(value)[1]:
            return True
        if (kind is list or kind is tuple) and _list_exponent(value):
            return True
    return False


def _encode_batch(facts: list[dict], sid: str) -> list[str]:
    """Each fact's JSON text with the session id, then the sentinel's (the engine reads ``sid`` in every fact).

    A fact whose first key is ``id`` (the engine's facts are built that way) is encoded once and the ``sid``
    spliced before its closing brace; the guard-rails are read off that text: it has no more keys than colons,
    so a text with at most ``MAX_PROPERTIES`` colons is within the property limit, and a float serialises with
    an exponent only as ``e-``/``e+``, so a text without either has none. Only a text that fails a cheap check
    is walked exactly (and a batch holding an exponent rewritten)."""
    tail = f',"sid":"{sid}"}}'
    texts: list[str] = []
    exponent = False
    for fact in facts:
        text = _encode_fact(fact)
        if text.count(":") > MAX_PROPERTIES or "e-" in text or "e+" in text:
            count, has_exponent = _walk(fact)
            if count > MAX_PROPERTIES:
                raise EngineError(error_codes.ENGINE_TOO_MANY_PROPERTIES, f"fact {fact.get('id')!r} has more than "
                                  f"{MAX_PROPERTIES} properties, beyond what the engine can hold")
            exponent = exponent or has_exponent
        if "sid" in fact or next(iter(fact), None) != "id":  # the id first in every text: the fast reader needs it
            text = _ENCODE(_with_sid(fact, sid))
        else:
            text = text[:-1] + tail
        texts.append(text)
    texts.append(f'{{"id":"__end__","t":"{SENTINEL_TYPE}","sid":"{sid}"}}')
    if exponent:  # rare: only then rewrite numbers (the engine cannot parse 1e-05)
        texts = [_ENCODE(_clean(_with_sid(fact, sid))) for fact in facts] + texts[-1:]
    return texts


def _with_sid(fact: dict, sid: str) -> dict:
    """A copy of ``fact`` with its id first and the session id last."""
    return {"id": fact["id"], **fact, "sid": sid} if "id" in fact else {**fact, "sid": sid}


def _error_code(exc: BaseException) -> str:
    match = _ERROR_CODE.search(str(exc))
    return f"E{match.group(1)}" if match else type(exc).__name__


@dataclass(frozen=True)
class _Ruleset:
    handle: int
    actions: dict[str, tuple[str, str]]  # rule name -> (kind, rule id)
    #: rule name -> (its one matched alias, the text its message continues with after the name): a rule that
    #: matches one fact (``x$not`` aliases match none) is read without walking the fact's text
    single: dict[str, tuple[str, str]]


class ReteEngine:
    """Registered rulesets and a serialised ``evaluate`` over fresh sessions."""

    def __init__(self) -> None:
        self._rulesets: dict[str, _Ruleset] = {}
        self._lock = threading.Lock()
        self._sids = itertools.count(1)

    def register(self, name: str, ruleset: dict[str, dict]) -> None:
        """Register a ruleset once (a deep copy: its ``run`` entries are taken out before creation)."""
        with self._lock:
            if name in self._rulesets:
                return
            definition = copy.deepcopy(ruleset)
            actions: dict[str, tuple[str, str]] = {}
            for rule_name, rule in definition.items():
                kind, _, rule_id = str(rule.pop("run", "")).partition(":")
                if kind not in ("violation", "done"):
                    raise EngineError(error_codes.ENGINE_ACTION, f"unknown action for rule {rule_name!r}")
                actions[rule_name] = (kind, rule_id)
            try:
                handle = durable_rules_engine.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
            except durable_rules_engine.error as exc:
                raise EngineError(_error_code(exc), f"ruleset {name!r} could not be registered: {exc}") from exc
            single = {}
            for rule_name, rule in definition.items():
                aliases = [alias for element in rule.get("all", ()) for alias in element if not alias.endswith("$not")]
                if "all" in rule and len(aliases) == 1 and '"' not in aliases[0] and "\\" not in aliases[0]:
                    single[rule_name] = (aliases[0], f'":{{"{aliases[0]}":{{"id":"')
            self._rulesets[name] = _Ruleset(handle, actions, single)

    def handle(self, name: str) -> int:
        """The C engine's handle of a registered ruleset (for the benchmark's minimal driver)."""
        return self._rulesets[name].handle

    def is_registered(self, name: str) -> bool:
        """Whether a ruleset of that name is registered."""
        return name in self._rulesets

    def evaluate(self, name: str, facts: list[dict]) -> Firings:
        """Assert ``facts`` (children first, anchor, then the sentinel is added) in one session; the firings in the
        engine's order, an ``$or`` rule's double firing included (:func:`distinct` drops it)."""
        ruleset = self._rulesets[name]
        sid = f"s{next(self._sids)}"
        try:
            encoded = _encode_batch(facts, sid)
        except ValueError as exc:  # NaN or infinity
            raise EngineError(error_codes.ENGINE_NORMALISE, f"a number cannot be asserted: {exc}") from None
        except TypeError as exc:  # a value JSON cannot hold
            raise EngineError(error_codes.ENGINE_NORMALISE, f"a fact cannot be asserted: {exc}") from None
        texts = {fact.get("id"): text for fact, text in zip(facts, encoded, strict=False)}
        texts["__end__"] = encoded[-1]
        payload = "[" + ",".join(encoded) + "]"
        with self._lock:
            return self._run(ruleset, sid, payload, texts)

    def _run(self, ruleset: _Ruleset, sid: str, payload: str, texts: dict[Any, str]) -> Firings:
        handle, actions = ruleset.handle, ruleset.actions
        pairs: list[tuple[str, str]] = []
        finished = False
        try:
            try:
                result = durable_rules_engine.assert_facts(handle, payload)
            except (durable_rules_engine.error, MemoryError) as exc:
                raise EngineError(_error_code(exc), f"assert failed: {exc}") from exc
            if result[0] == 2:
                raise EngineError(error_codes.ENGINE_DUPLICATE_FACT, "a fact id was asserted twice")
            state = result[1]
            try:
                started = durable_rules_engine.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message is not None:
                    rule_name = message[2:message.find('"', 2)]
                    action = actions.get(rule_name)
                    if action is None:  # a name the quick read cannot take: read the whole message
                        rule_name = read(message, ruleset.single, texts)[0]
                        action = actions[rule_name]
                    kind, rule_id = action
                    if kind == "done":
                        finished = True
                    else:
                        pairs.append((rule_id, message))
                    message = durable_rules_engine.complete_and_start_action(handle, state)
            except (durable_rules_engine.error, MemoryError) as exc:
                _abandon(handle, state)
                raise EngineError(_error_code(exc), f"an action could not run: {exc}") from exc
            except Exception as exc:
                _abandon(handle, state)
                raise EngineError(error_codes.ENGINE_ACTION, f"a rule action failed: {exc!r}") from exc
        finally:
            try:
                durable_rules_engine.delete_state(handle, sid)
            except durable_rules_engine.error:
                pass
        if not finished:
            raise EngineError(error_codes.ENGINE_INCOMPLETE, "the evaluation did not reach its end marker")
        return Firings(pairs, texts, ruleset.single)


def _abandon(handle: int, state: int) -> None:
    try:
        durable_rules_engine.abandon_action(handle, state)
    except durable_rules_engine.error:  # pragma: no cover - nothing pending
        pass
