"""Backtest changes: ``PARAM=VALUE`` and ``BRANCH:PARAM=VALUE`` checked against the packs and applied to them.

A parameter the packs do not have is an error with a did-you-mean hint; a value of another type than the
parameter's (a number for a number, a list of texts for a list of texts …) is an error naming both.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from conduct_engine import error_codes
from conduct_engine.errors import ConductError
from conduct_engine.packs.compiler import compile_rule
from conduct_engine.packs.model import LoadedPacks
from conduct_engine.packs.problems import ExprError, did_you_mean

_CHANGE = re.compile(r"^\s*(?:(?P<branch>[A-Za-z0-9][A-Za-z0-9_.-]*)\s*:\s*)?(?P<param>[a-z][a-z0-9_]*)\s*=(?P<value>.*)$",
                     re.DOTALL)


class ChangeError(ConductError, ValueError):
    """A backtest change that cannot be applied; ``loc`` is the change as given."""


@dataclass(frozen=True)
class Change:
    """One parameter change: for every branch (``branch`` None) or for one branch."""

    param: str
    value: Any
    branch: str | None = None

    def __str__(self) -> str:
        prefix = f"{self.branch}:" if self.branch else ""
        return f"{prefix}{self.param}={json.dumps(self.value, ensure_ascii=False)}"

    def as_dict(self) -> dict[str, Any]:
        """The change as JSON-ready data (what the decision log records)."""
        return {"branch": self.branch, "param": self.param, "value": self.value}


def _value(text: str) -> Any:
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text  # a bare word is a text: form=goods


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no (true or false)"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        inner = {_type_name(v) for v in value}
        return f"list of {inner.pop()}s" if len(inner) == 1 else "list"
    return type(value).__name__


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and value == value and abs(value) != float("inf")
    if isinstance(default, list):
        return isinstance(value, list) and bool(value) and all(
            not default or _same_type(default[0], v) for v in value)
    return isinstance(value, type(default))


def parse_change(text: str, packs: LoadedPacks) -> Change:
    """One ``--set`` as given, checked against ``packs`` (ChangeError with did-you-mean when wrong)."""
    m = _CHANGE.match(text or "")
    if not m or not m["value"].strip():
        raise ChangeError(f"cannot read the change {text!r}: write PARAM=VALUE or BRANCH:PARAM=VALUE",
                          code=error_codes.OVERRIDE_SYNTAX, loc=text)
    param, value, branch = m["param"], _value(m["value"]), m["branch"]
    if param not in packs.parameters:
        hint = did_you_mean(param, packs.parameters)
        raise ChangeError(f"unknown parameter {param!r}" + (f" (did you mean {hint}?)" if hint else ""),
                          code=error_codes.UNKNOWN_PARAMETER, loc=text)
    default = packs.parameters[param]
    if not _same_type(default, value):
        raise ChangeError(f"{param} takes a {_type_name(default)} (now {json.dumps(default, ensure_ascii=False)}), "
                          f"got {json.dumps(value, ensure_ascii=False)}", code=error_codes.PARAMETER_TYPE, loc=text)
    if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float) and value.is_integer():
        value = int(value)
    return Change(param, value, branch)


def parse_changes(texts: list[str], packs: LoadedPacks) -> list[Change]:
    """Every change, all checked: the first wrong one raises."""
    return [parse_change(t, packs) for t in texts]


def apply_changes(packs: LoadedPacks, changes: list[Change]) -> LoadedPacks:
    """The packs with the changes made: defaults replaced (and the rules reading them compiled again), branch
    overrides added or replaced; the digest names the changes."""
    if not changes:
        return packs
    parameters = dict(packs.parameters)
    branches = {b: dict(v) for b, v in packs.branches.items()}
    for change in changes:
        if change.branch is None:
            parameters[change.param] = change.value
        else:
            branches.setdefault(change.branch, {})[change.param] = change.value
    changed = {c.param for c in changes if c.branch is None}
    rules = dict(packs.rules)
    for rule_id, rdef in packs.rules.items():
        if rdef.params_used & changed:
            try:
                definition = compile_rule(rdef.rule, parameters, packs.aggregates, packs.derived)[3]
            except ExprError as exc:
                raise ChangeError(f"{rule_id} cannot use the changed parameters: {exc.message}",
                                  code=error_codes.PARAMETER_TYPE, loc=", ".join(map(str, changes))) from None
            rules[rule_id] = dataclasses.replace(rdef, definition=definition)
    digest = "sha256:" + hashlib.sha256((packs.digest + "\n" + "\n".join(map(str, changes))).encode()).hexdigest()
    return dataclasses.replace(packs, parameters=parameters, branches=branches, rules=rules, digest=digest,
                               version=f"{packs.version}+backtest")
