"""Pattern checks for ``matches()``: a safe, small dialect that durable_rules runs correctly.

durable_rules matches whole strings with a Lua-like dialect and silently never matches PCRE
syntax such as ``\\d`` or ``^…$``. Authors write a *search* pattern in the dialect below; it is
checked here (unsafe or PCRE-only syntax is an error with a hint) and wrapped for full match.

Dialect: literal characters, ``.`` any character, ``[...]`` classes, ``* + ?`` repeats,
``{n}`` exact repeats, ``|`` alternatives, ``( )`` groups, and the classes ``%d`` digit,
``%a`` letter, ``%w`` letter or digit, ``%s`` space, ``%.`` a literal dot.
"""

from __future__ import annotations

import re

MAX_PATTERN = 200

_PCRE_HINTS: list[tuple[str, str, str]] = [
    (r"\\d", "PCRE '\\d' is not supported", "%d"),
    (r"\\w", "PCRE '\\w' is not supported", "%w"),
    (r"\\s", "PCRE '\\s' is not supported", "%s"),
    (r"\\\.", "PCRE '\\.' is not supported", "%."),
    (r"\\", "backslash escapes are not supported", "a %-class such as %d or %."),
    (r"\(\?", "inline flags and look-arounds '(?…)' are not supported", "plain groups ( … )"),
    (r"^\^|[^\[]\^", "anchor '^' is not supported: patterns are searched anywhere in the text", "no anchor"),
    (r"\$", "anchor '$' is not supported: patterns are searched anywhere in the text", "no anchor"),
    (r"\{\d*,\d*\}", "range repeats '{m,n}' are not supported", "{n} or * + ?"),
]

# A repeated group that itself contains a repeat: exponential backtracking risk.
_NESTED_REPEAT = re.compile(r"\([^()]*[*+?}][^()]*\)\s*[*+?{]")


def check_pattern(pattern: str) -> tuple[str | None, str | None]:
    """Return ``(error, hint)`` for an unusable pattern, else ``(None, None)``."""
    if not pattern:
        return "empty pattern", None
    if len(pattern) > MAX_PATTERN:
        return f"pattern longer than {MAX_PATTERN} characters", None
    for rx, message, hint in _PCRE_HINTS:
        if re.search(rx, pattern):
            return message, hint
    if _NESTED_REPEAT.search(pattern):
        return "nested repeats such as (a+)+ are unsafe (catastrophic backtracking)", "a single repeat"
    depth = 0
    for ch in pattern:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            break
    if depth != 0 or pattern.count("[") != pattern.count("]"):
        return "unbalanced brackets", None
    return None, None


def to_engine_pattern(pattern: str) -> str:
    """Wrap a checked search pattern for durable_rules' full-match semantics."""
    return f".*({pattern}).*"


_PY_CLASSES = {"d": r"\d", "a": r"[^\W\d_]", "w": r"[^\W_]", "s": r"\s", ".": r"\."}


def to_python_regex(pattern: str) -> re.Pattern[str]:
    """The same pattern as a Python regex (used by the test oracle and long-text checks)."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(_PY_CLASSES.get(nxt, re.escape(nxt)))
            i += 2
            continue
        out.append(ch)
        i += 1
    return re.compile("".join(out), re.DOTALL)
