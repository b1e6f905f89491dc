"""The error hierarchy: every error carries a stable code, a location and a message."""

from __future__ import annotations

from dataclasses import dataclass, field


class ConductError(Exception):
    """Base of every error conduct-check raises on purpose."""


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


class PackError(ConductError):
    """A rule pack failed to load, validate or compile; ``issues`` lists every problem."""

    def __init__(self, issues: list[PackIssue]):
        self.issues = sorted(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class RecordError(ConductError, ValueError):
    """A submitted record (or context) is invalid; ``errors`` lists ``{loc, msg, type}`` dicts."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("\n".join(f"{e['loc']}: {e['msg']}" for e in errors))


class EngineError(ConductError):
    """The rule engine failed while evaluating; never to be read as a pass."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(f"{code}: {message}")
