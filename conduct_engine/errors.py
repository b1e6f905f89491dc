"""The error hierarchy: every error a user can see carries a stable code, a message and, when known, a location."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conduct_engine import error_codes


class ConductError(Exception):
    """Base of every error conduct-check raises on purpose: ``code`` (stable), ``message``, ``loc`` (or None).

    ``code`` defaults to the class's; ``loc`` is a ``file:line``, a dotted field path or a row.
    """

    code: str = error_codes.ERROR
    loc: str | None = None

    def __init__(self, message: str = "", *, code: str | None = None, loc: str | None = None):
        super().__init__(message)
        # A subclass may have set its own fields before calling this: keep them (and the class defaults).
        if "message" not in self.__dict__:
            self.message = message
        if code is not None:
            self.code = code
        if loc is not None:
            self.loc = loc

    def items(self) -> list[dict[str, str]]:
        """The error as ``{loc, msg, type}`` items, one per problem (an HTTP body's ``errors``)."""
        return [{"loc": self.loc or "", "msg": self.message, "type": self.code}]


@dataclass(frozen=True, order=True)
class PackIssue:
    """One problem found in a rule pack: ``file:line: code: message (did you mean …?)``."""

    file: str
    line: int
    code: str
    message: str
    hint: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.code}: {self.message}"
        return f"{text} (did you mean {self.hint}?)" if self.hint else text

    def item(self) -> dict[str, str]:
        """The issue as a ``{loc, msg, type}`` item: ``file:line``, the message (and hint), its code."""
        msg = f"{self.message} (did you mean {self.hint}?)" if self.hint else self.message
        return {"loc": f"{self.file}:{self.line}", "msg": msg, "type": self.code}


class PackError(ConductError):
    """A rule pack failed to load, validate or compile; ``issues`` lists every problem."""

    code = error_codes.INVALID_PACK

    def __init__(self, issues: list[PackIssue]):
        self.issues = sorted(issues)
        first = self.issues[0] if self.issues else None
        super().__init__("\n".join(str(i) for i in self.issues),
                         loc=f"{first.file}:{first.line}" if first else None)

    def items(self) -> list[dict[str, str]]:
        """One item per issue, in order."""
        return [i.item() for i in self.issues]


class RecordError(ConductError, ValueError):
    """A submitted record (or context) is invalid; ``errors`` lists ``{loc, msg, type}`` dicts."""

    code = error_codes.INVALID_RECORD

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("\n".join(f"{e['loc']}: {e['msg']}" for e in errors),
                         loc=str(errors[0]["loc"]) if errors else None)

    def items(self) -> list[dict[str, str]]:
        """The errors as given."""
        return [{"loc": str(e.get("loc", "")), "msg": str(e.get("msg", "")), "type": str(e.get("type", self.code))}
                for e in self.errors]


class EngineError(ConductError):
    """The rule engine failed while evaluating; never to be read as a pass. ``code`` is the engine's own."""

    code = error_codes.ENGINE_ERROR

    def __init__(self, code: str, message: str):
        self.message = message
        super().__init__(f"{code}: {message}", code=code)
