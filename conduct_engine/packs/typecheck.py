"""The condition language's type rules: which constants a field may be compared with, and how."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conduct_engine import error_codes
from conduct_engine.packs.fields import FieldType
from conduct_engine.packs.problems import ExprError, did_you_mean


@dataclass
class Ref:
    """A field reference: ``alias`` None means the fact being matched."""

    alias: str | None
    path: str
    ftype: FieldType


def check_types(ref: Ref, op: str, value: Any) -> None:
    """Raise ExprError unless every constant in ``value`` can be compared with ``ref`` using ``op``."""
    kind = ref.ftype.kind
    if kind == "any":
        return
    consts = value if isinstance(value, list) else [value]
    for const in consts:
        if isinstance(const, (Ref, tuple)):
            continue
        where = f"field {ref.path!r} ({ref.ftype.describe()})"
        if const is None:
            if op not in ("$eq", "$neq"):
                raise ExprError(error_codes.CONDITION_TYPE, f"{where} cannot be ordered against null")
            raise ExprError(error_codes.CONDITION_TYPE, f"{where}: compare with null using missing()/exists()",
                            f"missing({ref.path})" if op == "$eq" else f"exists({ref.path})")
        if kind == "enum":
            if not isinstance(const, str) or const not in ref.ftype.values:
                raise ExprError(error_codes.CONDITION_ENUM, f"{const!r} is not a value of {where}",
                                did_you_mean(str(const), ref.ftype.values))
            if op not in ("$eq", "$neq"):
                raise ExprError(error_codes.CONDITION_TYPE, f"{where} cannot be ordered with {op}")
        elif kind in ("number", "date", "datetime"):
            if isinstance(const, bool) or not isinstance(const, (int, float)):
                hint = f'date("{const}")' if kind != "number" and isinstance(const, str) else None
                raise ExprError(error_codes.CONDITION_TYPE, f"{where} compared with {const!r}", hint)
        elif kind == "bool":
            if not isinstance(const, bool) or op not in ("$eq", "$neq"):
                raise ExprError(error_codes.CONDITION_TYPE, f"{where} compared with {const!r} using {op}")
        elif kind == "str":
            if not isinstance(const, str):
                raise ExprError(error_codes.CONDITION_TYPE, f"{where} compared with {const!r}")
        else:
            raise ExprError(error_codes.CONDITION_TYPE, f"{where} cannot be compared directly",
                            f"contains({ref.path}, …)" if kind == "list" else None)


__all__ = ["Ref", "check_types"]
