"""A reference interpreter of the durable_rules JSON conditions our compiler emits (tests only)."""

from tests.oracle.interpreter import UnsupportedConstruct, evaluate_ruleset, fired_rule_ids, matches

__all__ = ["UnsupportedConstruct", "evaluate_ruleset", "fired_rule_ids", "matches"]
