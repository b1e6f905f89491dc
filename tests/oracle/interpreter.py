"""A plain-Python reference interpreter ("oracle") of the durable_rules JSON our compiler emits.

It is used only in tests: every pack test case and a property-based test compare it with the
engine (DESIGN §2, last bullet). It implements the semantics of reference/durable_rules.md §1:

- equality ``{"f": v}`` / ``{"$eq": {"f": v}}``, ``$neq $lt $lte $gt $gte``, ``$and``, ``$or``,
  ``$ex``, ``$nex``, ``$mt``/``$imt`` (full match, Lua-like dialect), ``$iany``/``$iall``;
- right-hand values: constants, ``{"$m": "f"}`` (same fact), ``{"alias": "f"}`` (a fact bound
  earlier in the rule) and ``{"$add"|"$sub"|"$mul"|"$div": {"$l": X, "$r": Y}}``;
- dotted names address nested objects (the engine flattens objects into dotted names);
- a **missing field never satisfies a comparison**, ``$neq`` included — only ``$nex``; a
  missing right-hand reference makes the comparison false too (the engine would read
  uninitialised memory there, which is why the compiler guards every reference with ``$ex``);
- ``null`` equals ``null`` and satisfies ``$ex``, but no other comparison (not even ``$neq``);
- a rule's ``all`` list is a join: each alias ranges over the facts of any type that match
  its condition, given the bindings of the aliases before it; the facts of one match are
  distinct; ``alias$not`` means that no fact (other than those already bound) matches; the
  rule fires once per distinct combination of matched facts (an ``$or`` with two true
  branches is one match here; the engine adapter removes the engine's duplicate firing).

What it deliberately does not model (the normaliser makes them impossible, so the oracle
ASSUMES NORMALISED FACTS and raises ``UnsupportedConstruct`` rather than guess):

- the C engine's type coercions (``1 == "1"`` and ``"99" > 100`` are true there): a string
  compared with a number raises here;
- strings longer than 64 KiB (compared modulo 64 KiB by the engine; the normaliser drops them);
- the order of assertion: the engine's ``$not`` only sees facts asserted before the facts it
  is joined with (``Engine.prepare`` asserts the anchor last, where the two readings agree;
  the agreement tests check that precondition instead of modelling the quirk here);
- ``pri``, ``count``, ``cap``, ``dist``, ``any`` rules and ``$s`` state rules (never emitted).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from conduct_engine.packs.regex import to_python_regex

DONE_RULE = "__done__"
_MISSING = object()
_COMPARISONS = ("$eq", "$neq", "$lt", "$lte", "$gt", "$gte")
_ARITH = ("$add", "$sub", "$mul", "$div")


class UnsupportedConstruct(ValueError):
    """A condition or a value the oracle does not model (so it refuses to guess)."""


def get_path(fact: Any, path: str) -> Any:
    """The value at a dotted path of a fact, or ``_MISSING``."""
    value = fact
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


@functools.lru_cache(maxsize=512)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    compiled = to_python_regex(pattern)
    return re.compile(compiled.pattern, compiled.flags | (re.IGNORECASE if ignore_case else 0))


def _is_number(value: Any) -> bool:
    # bool counts as a number, as in the engine (false < 1, true == 1): Python agrees.
    return isinstance(value, (int, float))


def _compare(op: str, left: Any, right: Any) -> bool:
    """``left op right`` for two present values."""
    if left is None or right is None:
        # null == null; null satisfies no other comparison (measured: null $neq 5 is false).
        return op == "$eq" and left is None and right is None
    if _is_number(left) and _is_number(right):
        if isinstance(left, float) and math.isnan(left) or isinstance(right, float) and math.isnan(right):
            return False  # NaN is never matched
    elif isinstance(left, str) and isinstance(right, str):
        pass  # Python orders str by code point, which is UTF-8 byte order, as the engine does
    else:
        raise UnsupportedConstruct(
            f"comparison of {type(left).__name__} {left!r} with {type(right).__name__} {right!r}: the engine "
            "coerces types here and the oracle assumes normalised facts")
    if op == "$eq":
        return left == right
    if op == "$neq":
        return left != right
    if op == "$lt":
        return left < right
    if op == "$lte":
        return left <= right
    if op == "$gt":
        return left > right
    if op == "$gte":
        return left >= right
    raise UnsupportedConstruct(f"unknown comparison {op!r}")


def _single(expr: Any, what: str) -> tuple[str, Any]:
    if not isinstance(expr, dict) or len(expr) != 1:
        raise UnsupportedConstruct(f"{what} must be an object with exactly one key, got {expr!r}")
    return next(iter(expr.items()))


def _value(rhs: Any, fact: dict, bound: dict[str, dict]) -> Any:
    """Resolve a right-hand value: a constant, ``$m``, an alias reference or arithmetic."""
    if rhs is None or isinstance(rhs, (str, int, float, bool)):
        return rhs
    key, arg = _single(rhs, "a right-hand value")
    if key == "$m":
        return get_path(fact, arg)
    if key in _ARITH:
        if not isinstance(arg, dict) or set(arg) != {"$l", "$r"}:
            raise UnsupportedConstruct(f"{key} needs $l and $r, got {arg!r}")
        left, right = _value(arg["$l"], fact, bound), _value(arg["$r"], fact, bound)
        if left is _MISSING or right is _MISSING or left is None or right is None:
            return _MISSING
        if not (_is_number(left) and _is_number(right)):
            raise UnsupportedConstruct(f"arithmetic on {left!r} and {right!r}")
        if key == "$add":
            return left + right
        if key == "$sub":
            return left - right
        if key == "$mul":
            return left * right
        if right == 0:
            raise UnsupportedConstruct("division by zero (the engine's behaviour is not modelled)")
        # True division, as a rule author means it. The engine truncates int / int (10 / 4 == 2),
        # and never matches arithmetic of two constants: see the xfail cases in the tests.
        return left / right
    if key.startswith("$"):
        raise UnsupportedConstruct(f"unknown right-hand operator {key!r}")
    if key not in bound:
        raise UnsupportedConstruct(f"reference to alias {key!r}, which is not bound before this condition")
    if not isinstance(arg, str):
        raise UnsupportedConstruct(f"alias reference {rhs!r} must name a field")
    return get_path(bound[key], arg)


def matches(cond: Any, fact: dict, bound: dict[str, dict] | None = None) -> bool:
    """Whether ``fact`` satisfies the condition ``cond``, given the facts bound to earlier aliases."""
    bound = bound or {}
    key, arg = _single(cond, "a condition")
    if key == "$and":
        return all(matches(c, fact, bound) for c in _list(arg, key))
    if key == "$or":
        return any(matches(c, fact, bound) for c in _list(arg, key))
    if key in ("$ex", "$nex"):
        path, _ = _single(arg, key)
        present = get_path(fact, path) is not _MISSING
        return present if key == "$ex" else not present
    if key in ("$mt", "$imt"):
        path, pattern = _single(arg, key)
        value = get_path(fact, path)
        if not isinstance(pattern, str):
            raise UnsupportedConstruct(f"{key} needs a pattern string, got {pattern!r}")
        if "\\" in pattern:  # the engine reads \d or \. as literals; the compiler rejects them
            raise UnsupportedConstruct(f"backslash in pattern {pattern!r} (PCRE syntax is not modelled)")
        if value is _MISSING or value is None:
            return False
        if not isinstance(value, str):
            raise UnsupportedConstruct(f"{key} on the non-string {value!r}")
        return _regex(pattern, key == "$imt").fullmatch(value) is not None
    if key in ("$iany", "$iall"):
        path, item_cond = _single(arg, key)
        value = get_path(fact, path)
        if value is _MISSING or value is None:
            return False
        if not isinstance(value, list):
            raise UnsupportedConstruct(f"{key} on the non-list {value!r}")
        results = [matches(item_cond, {"$i": item}, bound) for item in value]
        return any(results) if key == "$iany" else bool(results) and all(results)  # $iall of [] is false
    if key in _COMPARISONS:
        path, rhs = _single(arg, key)
        return _field_compare(key, path, rhs, fact, bound)
    if key.startswith("$") and not key.startswith("$i"):
        raise UnsupportedConstruct(f"unknown operator {key!r}")
    return _field_compare("$eq", key, arg, fact, bound)  # {"field": value}


def _field_compare(op: str, path: str, rhs: Any, fact: dict, bound: dict[str, dict]) -> bool:
    left = get_path(fact, path)
    if left is _MISSING:
        return False  # a missing field never satisfies a comparison, $neq included
    right = _value(rhs, fact, bound)
    if right is _MISSING:
        return False
    return _compare(op, left, right)


def _list(arg: Any, key: str) -> list:
    if not isinstance(arg, list):
        raise UnsupportedConstruct(f"{key} needs a list, got {arg!r}")
    return arg


def _aliases(rule: dict) -> list[tuple[str, bool, Any]]:
    """The rule's ``all`` list as (alias, negated, condition)."""
    extra = set(rule) - {"all", "run", "pri"}
    if extra or "all" not in rule:
        raise UnsupportedConstruct(f"rule keys {sorted(rule)} (only 'all', 'run' and 'pri' are modelled)")
    out = []
    for entry in rule["all"]:
        alias, cond = _single(entry, "an 'all' entry")
        negated = alias.endswith("$not")
        out.append((alias[: -len("$not")] if negated else alias, negated, cond))
    return out


def _joins(aliases: list[tuple[str, bool, Any]], facts: list[dict], bound: dict[str, dict],
           used: set[int]) -> Iterator[dict[str, dict]]:
    """Every binding of the remaining aliases, depth first."""
    if not aliases:
        yield dict(bound)
        return
    (alias, negated, cond), rest = aliases[0], aliases[1:]
    candidates = [(i, f) for i, f in enumerate(facts) if i not in used and matches(cond, f, bound)]
    if negated:
        if not candidates:
            yield from _joins(rest, facts, bound, used)
        return
    for i, fact in candidates:
        bound[alias] = fact
        used.add(i)
        yield from _joins(rest, facts, bound, used)
        used.discard(i)
        del bound[alias]


def evaluate_rule(rule: dict, facts: list[dict]) -> set[tuple]:
    """The distinct matches of one rule: tuples of matched fact ids, one per positive alias, in order."""
    aliases = _aliases(rule)
    if not aliases or aliases[0][1]:
        raise UnsupportedConstruct("a rule must start with a positive (anchor) alias")
    positive = [alias for alias, negated, _ in aliases if not negated]
    return {tuple(binding[a]["id"] for a in positive) for binding in _joins(aliases, facts, {}, set())}


def evaluate_ruleset(ruleset: dict, facts: list[dict]) -> set[tuple[str, tuple]]:
    """Every (rule id, tuple of matched fact ids by alias) of a ruleset over facts; ``__done__`` is ignored."""
    _check_facts(facts)
    out: set[tuple[str, tuple]] = set()
    for rule_id, rule in ruleset.items():
        if rule_id == DONE_RULE:
            continue
        out |= {(rule_id, ids) for ids in evaluate_rule(rule, facts)}
    return out


def fired_rule_ids(ruleset: dict, facts: list[dict]) -> set[str]:
    """The ids of the rules that fire at least once."""
    return {rule_id for rule_id, _ in evaluate_ruleset(ruleset, facts)}


def _check_facts(facts: Iterable[dict]) -> None:
    ids = set()
    for fact in facts:
        if not isinstance(fact, dict) or "id" not in fact or "t" not in fact:
            raise UnsupportedConstruct(f"every fact needs 't' and 'id': {fact!r}")
        if fact["id"] in ids:
            raise UnsupportedConstruct(f"duplicate fact id {fact['id']!r}")
        ids.add(fact["id"])
