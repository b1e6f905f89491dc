"""Match compiled durable_rules conditions over prepared facts in plain Python, for explanations.

The explainer reads the very conditions the engine runs (``packs.compiler`` output) and needs, for each
part, true or false on the facts the engine was given; the Rete engine only says which rules fired. This
module reads the compiled JSON with the engine's semantics (reference/durable_rules.md §1; the tests' oracle
checks the same reading against the engine):

- a missing field never satisfies a comparison, ``$neq`` included; only ``$nex``;
- ``null`` equals ``null`` and satisfies no other comparison;
- a rule's ``all`` list is a join: each alias ranges over the facts matching its condition given the aliases
  bound before it, ``alias$not`` means no fact matches, and the facts of one match are distinct.

Values of different types never compare (the normaliser keeps them apart, so the engine never sees them).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from typing import Any

from conduct_engine.packs.regex import to_python_regex

MISSING: Any = object()
_COMPARISONS = ("$eq", "$neq", "$lt", "$lte", "$gt", "$gte")
_ARITH = ("$add", "$sub", "$mul", "$div")


def get_path(fact: Any, path: str) -> Any:
    """The value at a dotted path of a fact, or :data:`MISSING`."""
    value = fact
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


@functools.lru_cache(maxsize=512)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    compiled = to_python_regex(pattern)
    return re.compile(compiled.pattern, compiled.flags | (re.IGNORECASE if ignore_case else 0))


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return op == "$eq" and left is None and right is None
    numbers = isinstance(left, (int, float)) and isinstance(right, (int, float))
    if numbers:
        if any(isinstance(v, float) and math.isnan(v) for v in (left, right)):
            return False
    elif not (isinstance(left, str) and isinstance(right, str)):
        return False
    if op == "$eq":
        return bool(left == right)
    if op == "$neq":
        return bool(left != right)
    return bool({"$lt": left < right, "$lte": left <= right, "$gt": left > right, "$gte": left >= right}[op])


def value_of(rhs: Any, fact: dict, bound: dict[str, dict]) -> Any:
    """A right-hand value: a constant, ``$m`` (this fact), an alias reference or arithmetic."""
    if rhs is None or isinstance(rhs, (str, int, float, bool)):
        return rhs
    key, arg = next(iter(rhs.items()))
    if key == "$m":
        return get_path(fact, arg)
    if key in _ARITH:
        left, right = value_of(arg["$l"], fact, bound), value_of(arg["$r"], fact, bound)
        if any(v is MISSING or v is None or not isinstance(v, (int, float)) for v in (left, right)):
            return MISSING
        if key == "$div":
            return left / right if right else MISSING
        return left + right if key == "$add" else left - right if key == "$sub" else left * right
    if key not in bound:
        return MISSING
    return get_path(bound[key], arg)


def matches(cond: dict, fact: dict, bound: dict[str, dict] | None = None) -> bool:
    """Whether ``fact`` satisfies the compiled condition ``cond``, given the facts bound to earlier aliases."""
    bound = bound or {}
    key, arg = next(iter(cond.items()))
    if key == "$and":
        return all(matches(c, fact, bound) for c in arg)
    if key == "$or":
        return any(matches(c, fact, bound) for c in arg)
    if key in ("$ex", "$nex"):
        present = get_path(fact, next(iter(arg))) is not MISSING
        return present if key == "$ex" else not present
    if key in ("$mt", "$imt"):
        path, pattern = next(iter(arg.items()))
        value = get_path(fact, path)
        return isinstance(value, str) and _regex(pattern, key == "$imt").fullmatch(value) is not None
    if key in ("$iany", "$iall"):
        path, item_cond = next(iter(arg.items()))
        value = get_path(fact, path)
        if not isinstance(value, list):
            return False
        results = [matches(item_cond, {"$i": item}, bound) for item in value]
        return any(results) if key == "$iany" else bool(results) and all(results)
    if key in _COMPARISONS:
        path, rhs = next(iter(arg.items()))
        return _field_compare(key, path, rhs, fact, bound)
    return _field_compare("$eq", key, arg, fact, bound)


def _field_compare(op: str, path: str, rhs: Any, fact: dict, bound: dict[str, dict]) -> bool:
    left = get_path(fact, path)
    right = value_of(rhs, fact, bound)
    if left is MISSING or right is MISSING:
        return False
    return _compare(op, left, right)


def entries(definition: dict) -> list[tuple[str, bool, dict]]:
    """A compiled rule's ``all`` list as (alias, negated, condition)."""
    out = []
    for entry in definition["all"]:
        alias, cond = next(iter(entry.items()))
        negated = alias.endswith("$not")
        out.append((alias.removesuffix("$not"), negated, cond))
    return out


def bindings(definition: dict, facts: list[dict]) -> Iterator[dict[str, dict]]:
    """Every match of a compiled rule over the facts: the facts bound to its positive aliases."""
    yield from _joins(entries(definition), facts, {}, set())


def _joins(aliases: list[tuple[str, bool, dict]], facts: list[dict], bound: dict[str, dict],
           used: set[int]) -> Iterator[dict[str, dict]]:
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


def first_binding(definition: dict, facts: list[dict]) -> dict[str, dict] | None:
    """The first match of a compiled rule over the facts, or None when it does not fire."""
    return next(bindings(definition, facts), None)
