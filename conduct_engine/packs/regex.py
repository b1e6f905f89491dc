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
#: durable_rules refuses ``{n}`` above 100 (error 501 when the ruleset registers).
MAX_REPEAT = 100
#: Character classes (``[...]``, ``.``, ``%d`` …) per pattern: the engine's DFA construction grows fast with them
#: (measured: 20 classes register in about 0.2 s, 60 in about 11 s, 110 did not finish in 30 s).
MAX_CLASSES = 20

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
    repeats = [int(n) for n in re.findall(r"\{(\d+)\}", pattern)]
    if any(n > MAX_REPEAT for n in repeats):
        return f"repeat {{{max(repeats)}}} is over the engine's limit of {MAX_REPEAT}", "a shorter repeat"
    classes = pattern.count("[") + len(re.findall(r"(?<!%)\.", pattern)) + len(re.findall(r"%[daws]", pattern))
    if classes > MAX_CLASSES:
        return (f"{classes} character classes ([…], ., %d …); the engine handles at most {MAX_CLASSES} in one "
                "pattern", "literal text, or split the pattern over two rules")
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


_SAMPLE_CLASS = {"d": "5", "a": "a", "w": "a", "s": " ", ".": "."}


def sample_text(pattern: str) -> str | None:
    """A text the (checked) pattern matches, built from its first alternatives; None when not found that way."""
    out: list[str] = []
    stack: list[list[str]] = []
    skip_alt = [False]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "(":
            stack.append(out)
            out = []
            skip_alt.append(False)
        elif ch == ")" and stack:
            group = "" if not out else "".join(out)
            out = stack.pop()
            skip_alt.pop()
            out.append(group)
        elif ch == "|":
            skip_alt[-1] = True
        elif skip_alt[-1]:
            if ch == "%":
                i += 1
            elif ch == "[":
                i = pattern.find("]", i + 1) if pattern.find("]", i + 1) >= 0 else len(pattern)
        elif ch in "*+?":
            pass  # once is enough
        elif ch == "{":
            end = pattern.find("}", i)
            if end < 0 or not out:
                return None
            count = int(pattern[i + 1:end] or "1")
            out[-1] = out[-1] * count
            i = end
        elif ch == "%" and i + 1 < len(pattern):
            out.append(_SAMPLE_CLASS.get(pattern[i + 1], pattern[i + 1]))
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                return None
            out.append(_class_sample(pattern[i:end + 1]))
            i = end
        elif ch == ".":
            out.append("x")
        else:
            out.append(ch)
        i += 1
    text = "".join(out)
    try:
        return text if to_python_regex(pattern).search(text) else None
    except re.error:
        return None


def _class_sample(cls: str) -> str:
    """One character a ``[...]`` class matches (checked by the caller against the Python equivalent)."""
    body = cls[1:-1]
    if body.startswith("^"):
        pattern = to_python_regex(cls)
        return next((c for c in "xq0Z_中 " if pattern.fullmatch(c)), "x")
    if body.startswith("%") and len(body) > 1:
        return _SAMPLE_CLASS.get(body[1], body[1])
    return body[:1] or "x"
