"""The condition language: parse with Python's ``ast`` (never eval), check, compile to durable_rules JSON.

A condition is a Python-like boolean expression over the fields of one fact::

    direction == "received" and form in cash_equivalents and value_cny > gift_keep_max_cny

- bare names are fields of the fact (dotted for nested objects: ``counterparty.group_id``)
  or pack parameters; ``record.x`` and ``<alias>.x`` name fields of the record or of a fact
  matched earlier in the rule;
- ``== != < <= > >=``, ``in`` / ``not in`` a list, ``and``, ``or``, ``not``, ``+ - * /``;
- ``exists(f)``, ``missing(f)``, ``matches(f, "pattern")``, ``contains(list_f, value)``,
  ``date("2026-01-01")``; ``true``/``false``/``null`` are accepted as well as Python's spelling.

Dates are compared as day numbers (datetimes as fractional days), so
``declared_at - occurred_on > 5`` reads as "declared more than five days after the event".
A field that is absent never satisfies a comparison (``!=`` included): a rule that needs a
missing field does not fire.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from conduct_engine import error_codes
from conduct_engine.dates import day_number, parse_date
from conduct_engine.packs.fields import FieldType, lookup
from conduct_engine.packs.limits import MAX_CONDITION_CHARS, MAX_DEPTH, arith_operand, check_size, engine_number
from conduct_engine.packs.model import RECORD_COPY, engine_path
from conduct_engine.packs.problems import ExprError, did_you_mean
from conduct_engine.packs.regex import check_pattern, to_engine_pattern
from conduct_engine.packs.regex_probe import engine_matches
from conduct_engine.packs.typecheck import Ref, check_types

MAX_SLOTS = 30

_OPS = {ast.Eq: "$eq", ast.NotEq: "$neq", ast.Lt: "$lt", ast.LtE: "$lte", ast.Gt: "$gt", ast.GtE: "$gte"}
_FLIP = {"$eq": "$eq", "$neq": "$neq", "$lt": "$gt", "$lte": "$gte", "$gt": "$lt", "$gte": "$lte"}
_NEGATE = {"$eq": "$neq", "$neq": "$eq", "$lt": "$gte", "$lte": "$gt", "$gt": "$lte", "$gte": "$lt"}
_ARITH = {ast.Add: "$add", ast.Sub: "$sub", ast.Mult: "$mul", ast.Div: "$div"}
_NAMED_CONSTANTS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_ALLOWED_CALLS = {"exists", "missing", "matches", "contains", "date"}
_KEYWORD_FIELDS = {"from_", "in_", "is_", "not_", "and_", "or_"}


@dataclass
class Scope:
    """What names mean while compiling one fact's condition."""

    alias: str
    fields: dict[str, FieldType]
    params: dict[str, Any]
    others: dict[str, dict[str, FieldType]] = field(default_factory=dict)  # earlier aliases
    anchor: str = "record"  # the alias of the record itself


@dataclass
class Compiled:
    """A compiled condition: durable_rules conditions to AND together, and what it read."""

    conditions: list[dict]
    refs: set[tuple[str | None, str]] = field(default_factory=set)
    slots: int = 0
    record_copies: set[str] = field(default_factory=set)  # record fields the fact needs a copy of


def parse(text: str) -> ast.expr:
    """Parse a condition into an AST, or raise ExprError with the syntax problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError(error_codes.CONDITION_EMPTY, "condition is empty")
    if len(text) > MAX_CONDITION_CHARS:
        raise ExprError(error_codes.CONDITION_TOO_LONG, f"condition of {len(text):,} characters (at most "
                        f"{MAX_CONDITION_CHARS:,})", "split the rule, or name a list as a parameter")
    source = " ".join(line.strip() for line in text.strip().splitlines())
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        hint = "from_ (a field named like a Python keyword takes a trailing _)" if " from " in f" {source} " else None
        raise ExprError(error_codes.CONDITION_SYNTAX, f"cannot parse condition: {exc.msg} at column {exc.offset}",
                        hint) from None
    except (RecursionError, MemoryError):
        raise ExprError(error_codes.CONDITION_TOO_DEEP, f"condition nested too deeply to read (at most {MAX_DEPTH} levels)",
                        "fewer nested not/parentheses; split the rule") from None
    check_size(tree.body)
    return tree.body


class _Compiler:
    def __init__(self, scope: Scope):
        self.scope = scope
        self.refs: set[tuple[str | None, str]] = set()
        self.record_copies: set[str] = set()
        self.slots = 0

    # ---- operands -------------------------------------------------------------------------
    def _dotted(self, node: ast.expr) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        return None

    def _field(self, path: str) -> Ref:
        # Python keywords cannot be names: a field called ``from`` is written ``from_``
        path = ".".join(p[:-1] if p in _KEYWORD_FIELDS else p for p in path.split("."))
        head, _, rest = path.partition(".")
        if rest and head in self.scope.others:
            fields = self.scope.others[head]
            other = lookup(fields, rest)
            if other is None:
                raise ExprError(error_codes.CONDITION_UNKNOWN_FIELD, f"{head!r} has no field {rest!r}",
                                did_you_mean(rest, fields))
            self.refs.add((head, rest))
            return Ref(head, rest, other)
        own = lookup(self.scope.fields, path)
        if own is not None:
            self.refs.add((None, path))
            return Ref(None, path, own)
        candidates = list(self.scope.fields) + list(self.scope.params)
        candidates += [f"{a}.{f}" for a, fs in self.scope.others.items() for f in fs]
        raise ExprError(error_codes.CONDITION_UNKNOWN_FIELD, f"unknown field or parameter {path!r}",
                        did_you_mean(path, candidates))

    def operand(self, node: ast.expr) -> Any:
        """Resolve a node to a Ref, a constant, or an arithmetic tuple."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, int, float, bool)) or node.value is None:
                return engine_number(node.value)
            raise ExprError(error_codes.CONDITION_CONSTANT, f"unsupported constant {node.value!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = self.operand(node.operand)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return -value
            raise ExprError(error_codes.CONDITION_OPERAND, "unary minus only applies to numbers")
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.operand(e) for e in node.elts]
        if isinstance(node, ast.Name) and node.id in _NAMED_CONSTANTS:
            return _NAMED_CONSTANTS[node.id]
        if isinstance(node, ast.Name) and node.id in self.scope.params and node.id not in self.scope.fields:
            return engine_number(self.scope.params[node.id])
        if isinstance(node, (ast.Name, ast.Attribute)):
            path = self._dotted(node)
            if path is None:
                raise ExprError(error_codes.CONDITION_OPERAND, "unsupported expression")
            return self._field(path)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "date":
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) or not isinstance(
                    node.args[0].value, str):
                raise ExprError(error_codes.CONDITION_CALL, 'date() takes one "YYYY-MM-DD" string')
            try:
                return day_number(parse_date(node.args[0].value))
            except ValueError:
                raise ExprError(error_codes.CONDITION_DATE, f"not a date: {node.args[0].value!r}") from None
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return self._arith(_ARITH[type(node.op)], self.operand(node.left), self.operand(node.right))
        raise ExprError(error_codes.CONDITION_OPERAND, f"unsupported expression {ast.unparse(node)!r}")

    def _arith(self, op: str, left: Any, right: Any) -> Any:
        """Fold constants (the engine never matches arithmetic on two constants); check divisors."""
        numbers = (int, float)
        for side in (left, right):
            arith_operand(side)
        if op == "$div" and not (isinstance(right, numbers) and not isinstance(right, bool) and right != 0):
            raise ExprError(error_codes.CONDITION_ARITH, "divide only by a non-zero number constant")
        if all(isinstance(v, numbers) and not isinstance(v, bool) for v in (left, right)):
            folded = {"$add": left + right, "$sub": left - right, "$mul": left * right, "$div": left / right}[op]
            return engine_number(folded)
        if op == "$div":
            right = float(right)  # an integer divisor makes the engine truncate (7 / 2 == 3)
        return ("arith", op, left, right)

    def _localise(self, value: Any) -> Any:
        """Record fields compared with anything but ``==`` are read from a copy on this fact.

        durable_rules crashes (heap-dependent segfault) on cross-fact comparisons other than
        equality, so the normaliser copies the record fields such comparisons need onto every
        joined fact (``rec.<field>``) and the comparison stays within one fact.
        """
        if isinstance(value, Ref) and value.alias is not None:
            if value.alias != self.scope.anchor:
                raise ExprError(error_codes.CONDITION_JOIN, f"compare {value.alias}.{value.path} with == only, or compare "
                                "with record fields or constants")
            self.record_copies.add(value.path)
            return Ref(None, f"{RECORD_COPY}.{value.path}", value.ftype)
        if isinstance(value, tuple):
            _, op, left, right = value
            return ("arith", op, self._localise(left), self._localise(right))
        return value

    def encode(self, value: Any) -> Any:
        """Encode a right-hand value for durable_rules."""
        if isinstance(value, Ref):
            path = engine_path(value.path)
            return {"$m": path} if value.alias is None else {value.alias: path}
        if isinstance(value, tuple):
            _, op, left, right = value
            self.slots += 1
            return {op: {"$l": self.encode(left), "$r": self.encode(right)}}
        if isinstance(value, list):
            raise ExprError(error_codes.CONDITION_OPERAND, "a list can only stand on the right of 'in'")
        return value

    def _guards(self, value: Any) -> list[dict]:
        """``$ex`` guards for every field a right-hand value reads (missing refs read garbage)."""
        out: list[dict] = []
        if isinstance(value, Ref):
            if value.alias is None:
                out.append({"$ex": {engine_path(value.path): 1}})
            # fields of other aliases are guarded on their own fact by the compiler (see joins)
        elif isinstance(value, tuple):
            out += self._guards(value[2]) + self._guards(value[3])
        return out

    # ---- comparisons -----------------------------------------------------------------------
    def _own_field_side(self, left: Any, op: str, right: Any) -> tuple[Ref, str, Any]:
        """Rearrange ``left op right`` so an own-fact field stands alone on the left."""
        if isinstance(left, Ref) and left.alias is None:
            return left, op, right
        if isinstance(right, Ref) and right.alias is None:
            return right, _FLIP[op], left
        if isinstance(left, tuple):
            _, aop, a, b = left
            if self._has_own(a):
                inverse = {"$add": "$sub", "$sub": "$add", "$mul": "$div", "$div": "$mul"}[aop]
                if aop in ("$mul", "$div") and not (isinstance(b, (int, float)) and b > 0):
                    raise ExprError(error_codes.CONDITION_ARITH, "multiply or divide a field only by a positive number")
                return self._own_field_side(a, op, self._arith(inverse, right, b))
            if self._has_own(b) and not self._has_own(a):
                if aop == "$add":
                    return self._own_field_side(b, op, self._arith("$sub", right, a))
                if aop == "$sub":  # a - b op r  <=>  b flip(op) a - r
                    return self._own_field_side(b, _FLIP[op], self._arith("$sub", a, right))
                if aop == "$mul" and isinstance(a, (int, float)) and a > 0:
                    return self._own_field_side(b, op, self._arith("$div", right, a))
        if isinstance(right, tuple):
            return self._own_field_side(right, _FLIP[op], left)
        raise ExprError(error_codes.CONDITION_COMPARISON,
                        f"a comparison needs a field of {self.scope.alias!r} on one side")

    def _has_own(self, value: Any) -> bool:
        if isinstance(value, Ref):
            return value.alias is None
        if isinstance(value, tuple):
            return self._has_own(value[2]) or self._has_own(value[3])
        return False

    def compare(self, left_node: ast.expr, op_node: ast.cmpop, right_node: ast.expr, negate: bool) -> dict:
        left, right = self.operand(left_node), self.operand(right_node)
        if isinstance(op_node, (ast.In, ast.NotIn)):
            inside = isinstance(op_node, ast.In) != negate
            if not (isinstance(left, Ref) and left.alias is None):
                raise ExprError(error_codes.CONDITION_IN, "the left of 'in' must be a field of this fact")
            if not isinstance(right, list) or not right:
                raise ExprError(error_codes.CONDITION_IN, "the right of 'in' must be a non-empty list or list parameter")
            check_types(left, "$eq", right)
            self.slots += len(right) + 2
            if inside:
                branches = [{engine_path(left.path): v} for v in right]
                return branches[0] if len(branches) == 1 else {"$or": branches}
            return {"$and": [{"$neq": {engine_path(left.path): v}} for v in right]}
        if type(op_node) not in _OPS:
            raise ExprError(error_codes.CONDITION_OPERATOR, f"unsupported operator {type(op_node).__name__}")
        op = _OPS[type(op_node)]
        if negate:
            op = _NEGATE[op]
        ref, op, value = self._own_field_side(left, op, right)
        check_types(ref, op, value)
        if isinstance(value, Ref) and value.ftype.kind != ref.ftype.kind and {value.ftype.kind, ref.ftype.kind} - {
                "date", "datetime", "number"}:
            if not (value.ftype.kind in ("str", "enum") and ref.ftype.kind in ("str", "enum")):
                raise ExprError(error_codes.CONDITION_TYPE,
                                f"{ref.path!r} ({ref.ftype.kind}) compared with {value.path!r} ({value.ftype.kind})")
        if op != "$eq" or isinstance(value, tuple):
            value = self._localise(value)
        encoded = self.encode(value)
        self.slots += 1
        key = engine_path(ref.path)
        cond = {key: encoded} if op == "$eq" else {op: {key: encoded}}
        guards = self._guards(value)
        if guards:
            self.slots += len(guards) + 2
            return {"$and": guards + [cond]}
        return cond

    # ---- boolean structure ------------------------------------------------------------------
    def node(self, node: ast.expr, negate: bool = False) -> dict:
        if isinstance(node, ast.BoolOp):
            is_and = isinstance(node.op, ast.And) != negate
            parts = [self.node(v, negate) for v in node.values]
            self.slots += 2
            return {"$and" if is_and else "$or": parts}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.node(node.operand, not negate)
        if isinstance(node, ast.Compare):
            pairs = list(zip([node.left] + node.comparators[:-1], node.ops, node.comparators, strict=True))
            parts = [self.compare(a, op, b, negate) for a, op, b in pairs]
            if len(parts) == 1:
                return parts[0]
            self.slots += 2
            return {"$or" if negate else "$and": parts}
        if isinstance(node, ast.Call):
            return self.call(node, negate)
        if isinstance(node, (ast.Name, ast.Attribute)):
            value = self.operand(node)
            if not isinstance(value, Ref) or value.alias is not None or value.ftype.kind != "bool":
                raise ExprError(error_codes.CONDITION_BARE_NAME,
                                f"{ast.unparse(node)!r} is not a yes/no field of this fact; compare it explicitly")
            self.slots += 1
            return {value.path: not negate}
        raise ExprError(error_codes.CONDITION_UNSUPPORTED, f"unsupported expression {ast.unparse(node)!r}")

    def call(self, node: ast.Call, negate: bool) -> dict:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _ALLOWED_CALLS or node.keywords:
            raise ExprError(error_codes.CONDITION_CALL, f"unknown function {ast.unparse(node.func)!r}",
                            did_you_mean(str(name), _ALLOWED_CALLS))
        if name in ("exists", "missing"):
            if len(node.args) != 1:
                raise ExprError(error_codes.CONDITION_CALL, f"{name}() takes one field")
            ref = self.operand(node.args[0])
            if not isinstance(ref, Ref) or ref.alias is not None:
                raise ExprError(error_codes.CONDITION_CALL, f"{name}() takes a field of this fact")
            present = (name == "exists") != negate
            self.slots += 1
            return {"$ex" if present else "$nex": {engine_path(ref.path): 1}}
        if name == "matches":
            if negate:
                raise ExprError(error_codes.CONDITION_CALL, "'not matches(...)' is not supported",
                                "a rule that fires on the match")
            if len(node.args) != 2 or not isinstance(node.args[1], ast.Constant) or not isinstance(
                    node.args[1].value, str):
                raise ExprError(error_codes.CONDITION_CALL, 'matches() takes a field and a "pattern" string')
            ref = self.operand(node.args[0])
            if not isinstance(ref, Ref) or ref.alias is not None or ref.ftype.kind not in ("str", "enum"):
                raise ExprError(error_codes.CONDITION_CALL, "matches() takes a text field of this fact")
            error, hint = check_pattern(node.args[1].value)
            if error:
                raise ExprError(error_codes.CONDITION_REGEX, f"pattern {node.args[1].value[:80]!r}: {error}", hint)
            fires, sample = engine_matches(node.args[1].value)
            if not fires:
                raise ExprError(error_codes.CONDITION_REGEX, f"pattern {node.args[1].value[:80]!r}: the engine cannot match "
                                f"it (it does not match {str(sample)[:40]!r}, which the pattern describes)",
                                "a shorter pattern; at most 200 repeats of one character in a row")
            self.slots += 1
            return {"$mt": {ref.path: to_engine_pattern(node.args[1].value)}}
        if name == "contains":
            if negate:
                raise ExprError(error_codes.CONDITION_CALL, "'not contains(...)' is not supported",
                                "a separate fact and 'no …' in match")
            if len(node.args) != 2:
                raise ExprError(error_codes.CONDITION_CALL, "contains() takes a list field and a value")
            ref = self.operand(node.args[0])
            value = self.operand(node.args[1])
            if not isinstance(ref, Ref) or ref.alias is not None or ref.ftype.kind != "list":
                raise ExprError(error_codes.CONDITION_CALL, "contains() takes a list field of this fact")
            if isinstance(value, (Ref, tuple, list)) or value is None:
                raise ExprError(error_codes.CONDITION_CALL, "contains() compares with a constant or parameter")
            if ref.ftype.item:
                check_types(Ref(None, ref.path, ref.ftype.item), "$eq", value)
            self.slots += 2
            return {"$iany": {ref.path: {"$i": value}}}
        raise ExprError(error_codes.CONDITION_CALL, f"{name}() cannot be used as a condition")


def compile_condition(text: str, scope: Scope) -> Compiled:
    """Parse, check and compile one condition for the fact ``scope.alias``."""
    tree = parse(text)
    compiler = _Compiler(scope)
    cond = compiler.node(tree)
    if compiler.slots > MAX_SLOTS:
        raise ExprError(error_codes.CONDITION_TOO_COMPLEX,
                        f"condition uses {compiler.slots} expression slots (at most {MAX_SLOTS}); split the rule")
    conditions = cond["$and"] if set(cond) == {"$and"} else [cond]
    return Compiled(conditions, compiler.refs, compiler.slots, compiler.record_copies)
