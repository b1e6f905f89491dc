"""Explanations in business words, zh and en: a condition as the pack writes it, each name followed by its value.

``value_cny > gift_keep_max_cny`` reads ``value_cny 800 > gift_keep_max_cny 500 (pack default) → true``
(``… 500（包默认值）→ 成立`` in Chinese).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from conduct_engine.explain.matcher import MISSING as ABSENT
from conduct_engine.results import Text

#: A quoted string (left alone) or a dotted name.
_TOKEN = re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
_WORDS = {"and", "or", "not", "in", "is", "true", "false", "null", "True", "False", "None"}
RESULT = {"en": {True: "true", False: "false"}, "zh": {True: "成立", False: "不成立"}}

#: name -> (value or ABSENT, origin or None); None when the name is neither a field nor a parameter
Lookup = Callable[[str], tuple[Any, str | None] | None]


def value_text(value: Any, lang: str = "en") -> str:
    """A value as it reads in an explanation (numbers without needless decimals, lists in brackets)."""
    if value is ABSENT:
        return "(absent)" if lang == "en" else "（缺失）"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def origin_text(origin: str, lang: str) -> str:
    """``pack default`` / ``branch BJ-001`` / ``changed`` in one language, bracketed."""
    if lang == "en":
        return f"({origin})"
    if origin == "pack default":
        return "（包默认值）"
    if origin.startswith("branch "):
        return f"（分行 {origin[7:]} 覆盖值）"
    if origin == "changed":
        return "（回测修改值）"
    return f"（{origin}）"


def annotate(text: str, lookup: Lookup, lang: str) -> str:
    """``text`` with every field and parameter followed by its value (and a parameter by its origin)."""
    def repl(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(0)
        name = match.group(2)
        rest = text[match.end():].lstrip()
        if name in _WORDS or rest.startswith("("):
            return name
        found = lookup(name)
        if found is None:
            return name
        value, origin = found
        shown = f"{name} {value_text(value, lang)}"
        if origin:
            shown += (" " if lang == "en" else "") + origin_text(origin, lang)
        return shown
    return _TOKEN.sub(repl, text)


def verdict(text: str, lookup: Lookup, result: bool) -> Text:
    """A condition part with its values and its result, in both languages."""
    return Text(zh=f"{annotate(text, lookup, 'zh')} → {RESULT['zh'][result]}",
                en=f"{annotate(text, lookup, 'en')} → {RESULT['en'][result]}")


def result_word(result: bool, lang: str) -> str:
    """true/false, 成立/不成立."""
    return RESULT[lang][result]
