"""A mapped cell as its field's type: numbers (money text with a ``formats:`` entry), yes/no, dates and times (ISO,
slashed, Excel serial or a ``strptime`` format), enums with a did-you-mean, lists. A cell that cannot be converted is
reported through ``problem`` and comes back as :data:`SKIP`."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from conduct_engine.dates import parse_date
from conduct_engine.packs.fields import FieldType
from conduct_engine.scan.cells import MONEY_FORMATS, excel_serial, money_text, slashed
from conduct_engine.untrusted import number_problem

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[ T])")
#: what a cell that could not be converted comes back as (its problem already reported)
SKIP = object()


def hint(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def number_out(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def short(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "…'"


def coerce(ftype: FieldType, raw: Any, fmt: str | None, sep: str, target: str, problem: Any) -> Any:
    """A cell as the field's type, or SKIP after reporting why it cannot be."""
    kind = ftype.kind
    if kind == "number":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return number_out(raw)
        text = str(raw).strip().replace(",", "")
        try:
            text = money_text(str(raw), fmt) if fmt in MONEY_FORMATS else text
            number = float(text) if len(text) <= 64 else float("nan")
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
        except ValueError:
            problem(f"{target}: not a number: {short(raw)}")
            return SKIP
        too_long = number_problem(text, number)
        if too_long:
            problem(f"{target}: {too_long}: {short(raw)}")
            return SKIP
        return number_out(number)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().casefold()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        problem(f"{target}: not a yes/no value: {short(raw)}")
        return SKIP
    if kind in ("date", "datetime"):
        return when(kind, raw, fmt, target, problem)
    if kind == "enum":
        text = str(raw).strip()
        if text not in ftype.values:
            problem(f"{target}: unknown value {short(raw)}; expected one of: {', '.join(ftype.values)}"
                    + hint(text, list(ftype.values)))
            return SKIP
        return text
    if kind == "list":
        items = [s.strip() for s in str(raw).split(sep) if s.strip()]
        if ftype.item is not None and ftype.item.kind != "str":
            out = [coerce(ftype.item, item, fmt, sep, target, problem) for item in items]
            return SKIP if any(v is SKIP for v in out) else out
        return items
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # spreadsheet ids: 174740.0 -> "174740"
    return raw if isinstance(raw, (str, dict, list)) else str(raw)


def when(kind: str, raw: Any, fmt: str | None, target: str, problem: Any) -> Any:
    text = str(raw).strip()
    try:
        if fmt == "excel":
            return excel_serial(raw, kind)
        if fmt is None and (iso := slashed(text, kind)) is not None:
            return iso
        if fmt:
            moment = dt.datetime.strptime(text, fmt)
            return moment.date().isoformat() if kind == "date" else moment.isoformat()
        if _ISO_DAY.match(text):
            if kind == "date":
                return parse_date(text[:10]).isoformat()
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return text
    except ValueError:
        pass
    expected = f"format {fmt}" if fmt else ("YYYY-MM-DD" if kind == "date" else "ISO 8601")
    problem(f"{target}: not a {'date' if kind == 'date' else 'date and time'} ({expected}): {short(raw)}")
    return SKIP
