"""The parts of a condition as the pack writes them, each compiled on its own and matched on the prepared facts.

A ``when`` (or a ``match … where``) is split at its top-level ``and``; each part is compiled by the packs'
own compiler (``packs.expressions``) with the parameters in force, so a part is true here exactly when its
compiled conditions hold on the facts the engine was given.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conduct_engine.explain.matcher import matches
from conduct_engine.explain.model import ConditionPart, Threshold
from conduct_engine.explain.phrases import ABSENT, Lookup, verdict
from conduct_engine.packs.expressions import Scope, compile_condition, parse
from conduct_engine.packs.fields import FieldType, lookup

_KEYWORD_FIELDS = {"from_", "in_", "is_", "not_", "and_", "or_"}
_CONSTANTS = {"true", "false", "null", "True", "False", "None"}


@functools.lru_cache(maxsize=4096)
def split(text: str) -> tuple[str, ...]:
    """The top-level ``and`` parts of a condition, each as written (whitespace of line breaks folded)."""
    source = " ".join(line.strip() for line in text.strip().splitlines())
    tree = parse(text)
    nodes: list[ast.expr] = []

    def walk(node: ast.expr) -> None:
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for value in node.values:
                walk(value)
        else:
            nodes.append(node)
    walk(tree)
    return tuple(ast.get_source_segment(source, n) or ast.unparse(n) for n in nodes)


@functools.lru_cache(maxsize=4096)
def names(text: str) -> tuple[str, ...]:
    """The dotted names a condition reads (fields and parameters; not functions or constants), in order."""
    out: list[str] = []
    calls = {id(n.func) for n in ast.walk(parse(text)) if isinstance(n, ast.Call)}
    inner = set()
    for node in ast.walk(parse(text)):
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
    for node in ast.walk(parse(text)):
        if id(node) in calls or id(node) in inner or not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        parts = []
        cur: ast.expr = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name) and cur.id not in _CONSTANTS:
            parts.append(cur.id)
            name = ".".join(reversed(parts))
            if name not in out:
                out.append(name)
    return tuple(out)


def field_path(name: str) -> str:
    """A field name as written (``from_``) to its path (``from``)."""
    return ".".join(p[:-1] if p in _KEYWORD_FIELDS else p for p in name.split("."))


@dataclass
class PartScope:
    """How to read and judge the parts of one fact's condition."""

    scope: Scope  # for the compiler
    value: Callable[[str], Any]  # a field name as written -> its value (ABSENT when missing)
    origin: Callable[[str], str]  # a parameter name -> where its value came from
    #: compiled parts by (alias, text): shared by the scopes of one kind and branch (same fields and parameters)
    cache: dict[tuple[str, str], list[dict]] = field(default_factory=dict)

    def kind_of(self, name: str) -> str | None:
        """``param``, ``field`` or None (as the compiler reads the name)."""
        path = field_path(name)
        head, _, rest = path.partition(".")
        if rest and head in self.scope.others and lookup(self.scope.others[head], rest) is not None:
            return "field"
        own = lookup(self.scope.fields, path)
        if name in self.scope.params and own is None:
            return "param"
        return "field" if own is not None else None

    def lookup(self, name: str) -> tuple[Any, str | None] | None:
        """The :data:`Lookup` of the phrases: value and origin of a name."""
        kind = self.kind_of(name)
        if kind == "param":
            return self.scope.params[name], self.origin(name)
        if kind == "field":
            return self.value(name), None
        return None


def judge(text: str, where: PartScope, fact: dict, bound: dict[str, dict]) -> ConditionPart:
    """Compile one part, match it on ``fact`` (with the facts bound to earlier aliases) and describe it."""
    key = (where.scope.alias, text)
    conditions = where.cache.get(key)
    if conditions is None:
        conditions = where.cache[key] = compile_condition(text, where.scope).conditions
    result = all(matches(c, fact, bound) for c in conditions)
    read = names(text)
    fields = {n: where.value(n) for n in read if where.kind_of(n) == "field"}
    params = [Threshold(name=n, value=where.scope.params[n], origin=where.origin(n))
              for n in read if where.kind_of(n) == "param"]
    shown = {k: (None if v is ABSENT else v) for k, v in fields.items()}
    actual: Any = next(iter(shown.values())) if len(shown) == 1 else (shown or None)
    limit = next((p for p in params if not isinstance(p.value, list)), params[0] if params else None)
    lookup_fn: Lookup = where.lookup
    return ConditionPart(text=text, actual=actual, threshold=limit.value if limit else None,
                         origin=limit.origin if limit else None, parameters=params, result=result,
                         says=verdict(text, lookup_fn, result))


def judge_all(text: str | None, where: PartScope, fact: dict, bound: dict[str, dict]) -> list[ConditionPart]:
    """Every top-level part of a condition, judged."""
    return [judge(part, where, fact, bound) for part in split(text)] if text else []


def anchor_scope(fields: dict[str, FieldType], params: dict[str, Any], value: Callable[[str], Any],
                 origin: Callable[[str], str], anchor: str, cache: dict[tuple[str, str], list[dict]]) -> PartScope:
    """The scope of a rule's ``when``: the record's fields, the parameters in force."""
    return PartScope(Scope(anchor, fields, params), value, origin, cache)
