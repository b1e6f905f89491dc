"""Cells as bank exports write them: money as text, dates with slashes, Excel serial dates (mapping ``formats:``).

Named formats a mapping may give for a column (``formats: {value_cny: money, occurred_on: excel}``):

- ``money`` — a currency sign or code before or after the number (¥ ￥ $ € £ HK$ RMB CNY USD 元 …), thousands
  separators (``,`` ``，`` ``_`` ``'`` blanks), a trailing minus or parentheses for negatives: ``¥1,234.50``,
  ``RMB 12 000``, ``(300.00)``;
- ``money_decimal_comma`` — the same with ``.`` or blanks for thousands and ``,`` for decimals: ``1.234,50 €``;
- ``excel`` — an Excel serial date (days since 1899-12-30, the 1900 date system; a fraction is the time of day);
- any other text is a ``strptime`` format (``%d/%m/%Y``).

Without a format, a date cell may also be written ``YYYY/MM/DD`` (``YYYY/M/D``, with an optional time), and a
number cell may carry thousands separators.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ["EXCEL_EPOCH", "MONEY_FORMATS", "excel_serial", "money_text", "slashed"]

MONEY_FORMATS = ("money", "money_decimal_comma")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_CURRENCY = re.compile(r"^(?:[A-Z]{3}|HK\$|US\$|NT\$|RMB|[¥￥$€£₩])\s*|\s*(?:[A-Z]{3}|RMB|元|圆|[¥￥$€£₩])$")
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def money_text(text: str, fmt: str) -> str:
    """The plain number in a money cell (``-1234.5``), for ``float``; raises ValueError when it is not money."""
    value = text.strip()
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    for _ in range(2):  # a sign or code on either side
        value = _CURRENCY.sub("", value).strip()
    if value.endswith("-"):
        negative, value = True, value[:-1].strip()
    if value.startswith("-"):
        negative, value = not negative, value[1:].strip()
    if fmt == "money_decimal_comma":
        value = re.sub(r"[.\s']", "", value).replace(",", ".")
    else:
        value = re.sub(r"[,，_\s']", "", value)
    if not re.fullmatch(r"\d+(\.\d+)?", value):
        raise ValueError(text)
    return ("-" if negative else "") + value


def excel_serial(raw: Any, kind: str) -> str:
    """An Excel serial date (a number or its text) as an ISO date or datetime; raises ValueError."""
    number = float(raw) if isinstance(raw, (int, float, str)) and not isinstance(raw, bool) else float("nan")
    if not 1 <= number < 2958466:  # 1900-01-01 .. 9999-12-31
        raise ValueError(raw)
    if 60 <= number < 61:  # Excel's phantom 1900-02-29
        raise ValueError(raw)
    if number < 60:  # serials before it are one day off
        number += 1
    moment = EXCEL_EPOCH + dt.timedelta(days=number)
    moment = moment.replace(microsecond=0)
    return moment.date().isoformat() if kind == "date" else moment.isoformat()


def slashed(text: str, kind: str) -> str | None:
    """``2026/1/5`` or ``2026/01/05 09:30`` as ISO, or None when the text is not written that way."""
    m = _SLASHED.match(text.strip())
    if not m:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    moment = dt.datetime(year, month, day, int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
    return moment.date().isoformat() if kind == "date" else moment.isoformat()
