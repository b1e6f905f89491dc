"""A loan file's findings as one checklist, grouped by due-diligence step (in the order of the five steps) and
then by focus module (the eight modules), each item with what to do; findings of no step or module last."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STEPS = ("dd.acceptance", "dd.collection", "dd.site_visit", "dd.analysis", "dd.report")
MODULES = ("dd.subject", "dd.product_market", "dd.related_parties", "dd.financials", "dd.rating", "dd.credit",
           "dd.guarantee", "dd.term")
#: principles whose findings belong to a step: a missing material is collected in step 2
PRINCIPLE_STEP = {"dd.completeness": "dd.collection"}


@dataclass
class Group:
    """One heading of the checklist: a step, a module, or another standard."""

    code: str
    part: str  # "step", "module" or "other"
    zh: str
    en: str
    items: list[dict[str, Any]] = field(default_factory=list)


def _place(violation: Mapping[str, Any]) -> str:
    codes = [violation.get("standard", ""), *violation.get("also", [])]
    for code in codes:
        if code in STEPS or code in MODULES:
            return str(code)
    return PRINCIPLE_STEP.get(str(codes[0]), str(codes[0]))


def checklist(violations: list[Mapping[str, Any]], standards: Mapping[str, Any]) -> list[Group]:
    """The findings grouped by step, then module, then any other standard (in the standards' order)."""
    order = {code: i for i, code in enumerate((*STEPS, *MODULES, *standards))}
    groups: dict[str, Group] = {}
    for v in violations:
        code = _place(v)
        if code not in groups:
            std = standards.get(code)
            part = "step" if code in STEPS else "module" if code in MODULES else "other"
            groups[code] = Group(code, part, getattr(std, "zh", code), getattr(std, "en", code))
        groups[code].items.append(dict(v))
    return sorted(groups.values(), key=lambda g: order.get(g.code, len(order)))
