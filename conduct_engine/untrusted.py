"""Load untrusted YAML and JSON text within limits (SPEC §12): every problem is an error naming where and why.

YAML is composed with PyYAML's safe loader while counting nodes *after* alias expansion (a "billion
laughs" fails after a few hundred nodes, before anything is expanded), custom tags and duplicate keys are
errors, and so is nesting deeper than the limit. JSON: duplicate keys are errors, nesting is measured by a
linear bracket scan before ``json.loads`` (no recursion), and numbers have at most 30 digits and are finite
(no ``NaN``, ``Infinity`` or ``1e400``). Errors are :class:`UntrustedInputError` (a ``RecordError``): its
location is ``name:line`` or ``name: $.json.path``; never a traceback.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from conduct_engine import error_codes
from conduct_engine.errors import RecordError

#: SPEC §12: the most digits a number may have.
MAX_DIGITS = 30
_CORE = "tag:yaml.org,2002:"
#: Explicit tags allowed in YAML (the plain core types); everything else is a custom tag.
_ALLOWED_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp"))
_MERGE = _CORE + "merge"
_JSON_TOKENS = re.compile(r'[\[\]{}"\\]')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class UntrustedInputError(RecordError):
    """Untrusted text that cannot be loaded: ``where`` (``name:line`` or ``name: $.path``), a stable ``code``, why."""

    def __init__(self, name: str, reason: str, *, code: str, line: int | None = None, path: str | None = None):
        self.name, self.reason, self.code, self.line, self.path = name, reason, code, line, path
        where = f"{name}:{line}" if line else name
        self.where = f"{where}: {path}" if path else where
        super().__init__([{"loc": self.where, "msg": reason, "type": code}])

    def detail(self) -> str:
        """The reason, prefixed by the JSON path when there is one (for row problems that carry file and row)."""
        return f"{self.path}: {self.reason}" if self.path else self.reason


@dataclass(frozen=True)
class Limits:
    """The input limits in force (SPEC §12), read once from the settings."""

    yaml_nodes: int = 100_000
    nesting: int = 64
    document_bytes: int = 64_000_000
    decompressed_bytes: int = 1_000_000_000
    field_chars: int = 131_072
    row_chars: int = 2_000_000

    @classmethod
    def load(cls) -> Limits:
        """The limits of :func:`conduct_engine.settings.load_settings`."""
        from conduct_engine.settings import load_settings
        s = load_settings()
        return cls(s.max_yaml_nodes, s.max_nesting, s.max_document_bytes, s.max_decompressed_bytes,
                   s.max_field_chars, s.max_row_chars)


def _digits(text: str) -> int:
    """Digits of a number literal's mantissa (sign, point, underscores, exponent and radix prefix not counted)."""
    body = text.strip().lstrip("+-").lower().replace("_", "")
    if body.startswith(("0x", "0o", "0b")):
        body = body[2:]
    elif "e" in body:
        body = body.split("e", 1)[0]
    return sum(c.isalnum() for c in body)


def number_problem(text: str, value: float | int | None = None) -> str | None:
    """Why a number literal is not acceptable (over 30 digits, not finite), or None."""
    if _digits(text) > MAX_DIGITS:
        return f"a number may have at most {MAX_DIGITS} digits, this one has {_digits(text)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"a number must be finite, not {text.strip()[:40]}"
    return None


# ---- YAML --------------------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """SafeLoader that counts expanded nodes, bounds nesting, and rejects custom tags and duplicate keys."""

    def __init__(self, text: str, name: str, max_nodes: int, max_depth: int):
        super().__init__(text)
        self._name, self._max_nodes, self._max_depth = name, max_nodes, max_depth
        self._total, self._depth = 0, 0
        self._sizes: dict[int, int] = {}

    def _fail(self, node_or_event: Any, code: str, reason: str) -> UntrustedInputError:
        return UntrustedInputError(self._name, reason, code=code, line=node_or_event.start_mark.line + 1)

    def _count(self, size: int, where: Any) -> None:
        self._total += size
        if self._total > self._max_nodes:
            raise self._fail(where, error_codes.YAML_TOO_MANY_NODES,
                             f"more than {self._max_nodes:,} nodes after aliases are expanded (CONDUCT_MAX_YAML_NODES)")

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose one node, counting it (an alias counts as everything it stands for)."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:
                size = self._sizes.get(id(anchored))
                if size is None:
                    raise self._fail(event, error_codes.YAML_RECURSIVE_ALIAS, f"alias *{event.anchor} refers to a node "
                                     "that contains it")
                self._count(size, event)
            return super().compose_node(parent, index)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _ALLOWED_TAGS:
            raise self._fail(event, error_codes.YAML_CUSTOM_TAG, f"custom tags are not allowed: {str(tag)[:60]}")
        self._count(1, event)
        self._depth += 1
        if self._depth > self._max_depth:
            raise self._fail(event, error_codes.YAML_TOO_DEEP,
                             f"nested deeper than {self._max_depth} levels (CONDUCT_MAX_NESTING)")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None:
            self._sizes[id(node)] = self._check(node)
        return node

    def _check(self, node: Node) -> int:
        """The node's expanded size, after checking its numbers and keys."""
        if isinstance(node, ScalarNode):
            if node.tag in (_CORE + "int", _CORE + "float"):
                value = self._scalar(node) if node.tag == _CORE + "float" else None
                problem = number_problem(node.value, value)
                if problem:
                    raise self._fail(node, error_codes.NUMBER_UNREADABLE, problem)
            return 1
        if isinstance(node, SequenceNode):
            return 1 + sum(self._sizes[id(c)] for c in node.value)
        assert isinstance(node, MappingNode)
        seen: dict[Any, int] = {}
        for key, _value in node.value:
            if not isinstance(key, ScalarNode):
                raise self._fail(key, error_codes.YAML_COMPLEX_KEY,
                                 "a mapping key must be a plain value, not a list or mapping")
            if key.tag == _MERGE:
                continue
            marker = (key.tag, key.value if key.tag == _CORE + "str" else self._scalar(key))
            if marker in seen:
                raise self._fail(key, error_codes.DUPLICATE_KEY, f"duplicate key {key.value[:60]!r} "
                                 f"(first given at line {seen[marker]})")
            seen[marker] = key.start_mark.line + 1
        return 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)

    def _scalar(self, node: ScalarNode) -> Any:
        try:
            return self.construct_object(node)
        except (ValueError, OverflowError, TypeError, yaml.YAMLError):
            return node.value

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """Construct, turning a value Python cannot build (``2026-13-45``) into a YAML error with its line."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, TypeError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"cannot read this value: {exc}",
                                                    node.start_mark) from None


def load_yaml(text: str, *, name: str, max_nodes: int, max_depth: int = 64,
              build: Callable[[Node, Callable[[Node], Any]], Any] | None = None) -> Any:
    """The data of one YAML document, within the limits (:class:`UntrustedInputError` otherwise).

    ``build(node, construct)``, when given, makes the data from the checked node tree instead of PyYAML
    (the pack reader keeps line numbers this way); ``construct`` builds one scalar node.
    """
    loader = None
    try:
        loader = _Loader(text, name, max_nodes, max_depth)
        if build is None:
            return loader.get_single_data()
        node = loader.get_single_node()
        return None if node is None else build(node, loader.construct_object)
    except UntrustedInputError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise UntrustedInputError(name, f"invalid YAML: {reason}", code=error_codes.YAML_SYNTAX,
                                  line=mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise UntrustedInputError(name, f"invalid YAML: character {exc.character!r} is not allowed",
                                  code=error_codes.YAML_SYNTAX, line=line) from None
    except yaml.YAMLError as exc:
        raise UntrustedInputError(name, f"invalid YAML: {exc}", code=error_codes.YAML_SYNTAX) from None
    except RecursionError:
        raise UntrustedInputError(name, "nested too deeply to read", code=error_codes.YAML_TOO_DEEP) from None
    finally:
        if loader is not None:
            loader.dispose()


# ---- JSON --------------------------------------------------------------------------------------------
class _Duplicate(dict):
    """An object that had a key twice (found by the hook, reported with its path by the walk)."""

    key: str = ""


@dataclass(frozen=True)
class _BadNumber:
    text: str
    reason: str


def _check_nesting(text: str, name: str, max_depth: int) -> None:
    """Raise if brackets nest deeper than ``max_depth`` (outside strings): one linear pass, no recursion."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth, in_string, skip_to = 0, False, -1
    for m in _JSON_TOKENS.finditer(text):
        start = m.start()
        if start < skip_to:
            continue
        char = m.group()
        if in_string:
            if char == "\\":
                skip_to = start + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise UntrustedInputError(name, f"nested deeper than {max_depth} levels (CONDUCT_MAX_NESTING)",
                                          code=error_codes.JSON_TOO_DEEP, line=text.count("\n", 0, start) + 1)
        elif char in "]}":
            depth -= 1


def _path(parts: tuple[Any, ...]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{str(p)[:60]}" for p in parts)


def _find(value: Any, surrogates: bool) -> tuple[tuple[Any, ...], str, str] | None:
    """The first marked problem (duplicate key, bad number, lone surrogate) and its path: an iterative walk."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _BadNumber):
            return where, "number", item.reason
        if surrogates and isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return where, "json.surrogate", "a string holds an unpaired surrogate escape (\\ud800–\\udfff)"
        if isinstance(item, dict):
            if isinstance(item, _Duplicate):
                return where, "duplicate_key", f"duplicate key {item.key[:60]!r}"
            for key, child in reversed(item.items()):
                if surrogates and not key.isascii():
                    stack.append((key, where))
                stack.append((child, (*where, key)))
        elif isinstance(item, list):
            stack.extend((child, (*where, i)) for i, child in reversed(list(enumerate(item))))
    return None


def load_json(text: str, *, name: str, max_depth: int) -> Any:
    """The value of one JSON text, within the limits (:class:`UntrustedInputError` otherwise)."""
    _check_nesting(text, name, max_depth)
    flagged = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal flagged
        obj = dict(items)
        if len(obj) == len(items):
            return obj
        flagged = True
        dup, keys = _Duplicate(obj), set()
        for key, _ in items:
            if key in keys:
                dup.key = key
                break
            keys.add(key)
        return dup

    def number(text: str, convert: Any) -> Any:
        nonlocal flagged
        if len(text) <= MAX_DIGITS:  # no more characters than the digits allowed: only finiteness to check
            value = convert(text)
            if not isinstance(value, float) or math.isfinite(value):
                return value
        else:
            value = convert(text) if _digits(text) <= MAX_DIGITS else None
        problem = number_problem(text, value)
        if problem:
            flagged = True
            return _BadNumber(text, problem)
        return value

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_int=lambda t: number(t, int),
                          parse_float=lambda t: number(t, float), parse_constant=lambda t: number(t, float))
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}" if "\n" in text.strip() else f"column {exc.colno}"
        raise UntrustedInputError(name, f"invalid JSON: {exc.msg} at {at}", code=error_codes.JSON_SYNTAX,
                                  line=exc.lineno if "\n" in text.strip() else None) from None
    except RecursionError:
        raise UntrustedInputError(name, f"nested deeper than {max_depth} levels", code=error_codes.JSON_TOO_DEEP) from None
    surrogates = bool(_SURROGATE_ESCAPE.search(text))
    if flagged or surrogates:
        found = _find(data, surrogates)
        if found:
            where, code, reason = found
            raise UntrustedInputError(name, reason, code=code, path=_path(where))
    return data
