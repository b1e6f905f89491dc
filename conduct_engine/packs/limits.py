"""The limits a condition must keep to be parsed, compiled and registered by the engine (SPEC §12).

Measured on durable_rules 2.0.28 (see ``/work/shared/reference/durable_rules.md`` and ``docs/limits.md``): at most
32 expression slots per rule (error 113 past them), so no usable condition nests and/or groups deeper than
about 15; numbers printed with an exponent (``1e-05``, ``1e+16``) fail to parse (error 204) and infinity
fails the ruleset (error 202); Python's own parser and our compiler recurse over the tree, so its depth and size
are bounded here first, iteratively.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from conduct_engine import error_codes
from conduct_engine.packs.problems import ExprError
from conduct_engine.packs.typecheck import Ref

#: A condition's size and nesting before it is compiled (the engine's 32 expression slots allow no more than
#: about 15 nested groups; the limits below leave room and keep parsing and compiling bounded).
MAX_CONDITION_CHARS = 4_000
MAX_DEPTH = 32
MAX_NODES = 600


def check_size(tree: ast.expr) -> None:
    """Bound the tree before anything recurses over it: at most MAX_DEPTH levels and MAX_NODES nodes."""
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise ExprError(error_codes.CONDITION_TOO_DEEP, f"condition nested deeper than {MAX_DEPTH} levels",
                            "fewer nested not/parentheses or chained + - * /; split the rule")
        if count > MAX_NODES:
            raise ExprError(error_codes.CONDITION_TOO_COMPLEX, f"condition of more than {MAX_NODES} terms", "split the rule")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def engine_number(value: Any) -> Any:
    """A number constant as the engine can read it (SPEC §12): finite, at most 30 digits, never printed with an
    exponent (the engine's parser fails on ``1e-05`` and ``1e+16``); other values unchanged."""
    if isinstance(value, list):
        return [engine_number(v) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ExprError(error_codes.CONDITION_NUMBER, f"the number {value!r} is not finite", "a number of at most 30 digits")
    if abs(value) >= 1e18:
        raise ExprError(error_codes.CONDITION_NUMBER, f"the number {value!r} is beyond what the engine compares exactly "
                        "(at most 10^18)", None)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if abs(value) < 1e-4:
            raise ExprError(error_codes.CONDITION_NUMBER, f"the number {value!r} is too small for the engine (values are "
                            "compared to 4 decimals)", "0, or a value of at least 0.0001")
        return round(value, 6)
    return value


_ARITH_KINDS = ("number", "date", "datetime", "any")


def arith_operand(value: Any) -> None:
    """Arithmetic takes numbers, number/date/datetime fields and other arithmetic, nothing else: ``value_cny +
    "a"`` would be compared as text by the engine and never fire as meant."""
    if isinstance(value, tuple) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return
    if isinstance(value, Ref):
        if value.ftype.kind in _ARITH_KINDS:
            return
        raise ExprError(error_codes.CONDITION_TYPE, f"arithmetic on field {value.path!r} ({value.ftype.describe()})",
                        "+ - * / work on numbers, dates and datetimes only")
    raise ExprError(error_codes.CONDITION_TYPE,
                    f"arithmetic on {value!r}", "+ - * / work on numbers, dates and datetimes only")
