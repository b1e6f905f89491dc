"""What goes wrong while compiling a condition or derived value, and the did-you-mean hint for it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from conduct_engine.errors import ConductError


class ExprError(ConductError):
    """A condition problem: a code, a message and an optional did-you-mean hint."""

    def __init__(self, code: str, message: str, hint: str | None = None, line_offset: int = 0):
        super().__init__(message)
        self.code, self.message, self.hint, self.line_offset = code, message, hint, line_offset


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, if any is close enough."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


__all__ = ["ExprError", "did_you_mean"]
