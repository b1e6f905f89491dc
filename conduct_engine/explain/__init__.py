"""Explain why a rule fired on a record, did not, or did not apply (SPEC §10)."""

from conduct_engine.explain.explainer import Explainer
from conduct_engine.explain.model import Explanation, RuleExplanation

__all__ = ["Explainer", "Explanation", "RuleExplanation"]
