"""When the engine refuses a compiled ruleset anyway: find the rules it refuses, so the error still has file:line.

The loader's checks are meant to catch everything the engine cannot take (``limits``, ``regex``); this is the
safety net behind them, run only when a registration failed: each rule of the kind is registered alone in a
scratch host, and the ones refused are reported.
"""

from __future__ import annotations

from conduct_engine import error_codes
from conduct_engine.errors import EngineError, PackIssue
from conduct_engine.packs.compiler import build_ruleset
from conduct_engine.packs.model import LoadedPacks, RuleDef
from conduct_engine.packs.problems import ExprError
from conduct_engine.rete import ReteEngine

_HINT = "simplify the condition (fewer terms, shorter patterns, plain numbers); see docs/limits.md"


def registration_issues(defs: list[RuleDef], exc: Exception, packs: LoadedPacks) -> list[PackIssue]:
    """One issue per rule the engine refuses on its own; else one for the kind as a whole."""
    reason = exc.message if isinstance(exc, ExprError) else str(exc)
    if isinstance(exc, ExprError) or not defs:
        first = defs[0] if defs else None
        return [PackIssue(first.file if first else "<packs>", first.line if first else 0,
                          getattr(exc, "code", "engine.register"), reason, getattr(exc, "hint", None))]
    scratch = ReteEngine()
    issues = []
    for index, rdef in enumerate(defs):
        try:
            scratch.register(f"probe_{index}", build_ruleset([rdef], packs.parameters, packs.parameters,
                                                             packs.aggregates, packs.derived))
        except (EngineError, ExprError) as one:
            issues.append(PackIssue(rdef.file, rdef.line, error_codes.ENGINE_REGISTER,
                                    f"rule {rdef.rule.id}: the rule engine refused it: {one}", _HINT))
    if not issues:
        first = defs[0]
        issues.append(PackIssue(first.file, first.line, error_codes.ENGINE_REGISTER, f"the rules for record kind "
                                f"{first.rule.applies_to!r} together were refused by the rule engine: {reason}",
                                _HINT))
    return issues
