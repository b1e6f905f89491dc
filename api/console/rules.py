"""The **rule browser** (everyone): the standards with their rules; each rule's message, remediation,
parameters (with branch overrides), seed clause and test records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.console import i18n, menu
from api.console.render import page
from api.console.session import ConsoleError, ConsoleUser, page_user
from api.deps import EngineDep
from conduct_engine.engine import Engine
from conduct_engine.packs.model import RuleDef

ENTRY = menu.add("rules", "/ui/rules", menu.ALL_ROLES, 90)
router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(page_user(ENTRY))]
GROUPS = ("conduct", "duty", "due_diligence", "risk")

i18n.add({
    "menu.rules": ("规则库", "Rules"),
    "rules.title": ("规则库：按准则浏览", "Rule browser by standard"),
    "rules.intro": ("规则包 {name} {version}，共 {count} 条规则。", "Pack {name} {version}: {count} rules."),
    "rules.count": ("规则数", "Rules"),
    "rules.group.conduct": ("职业操守", "Conduct"),
    "rules.group.duty": ("基本职责", "Basic duties"),
    "rules.group.due_diligence": ("尽职调查", "Due diligence"),
    "rules.group.risk": ("风险管理", "Risk management"),
    "rules.all": ("全部准则", "All standards"),
    "rules.none": ("此准则下暂无规则。", "No rule under this standard yet."),
    "rules.applies_to": ("适用记录", "Applies to"),
    "rules.condition": ("条件", "Condition"),
    "rules.severity": ("严重程度", "Severity"),
    "rules.message": ("提示信息", "Message"),
    "rules.parameters": ("参数", "Parameters"),
    "rules.parameter": ("参数", "Parameter"),
    "rules.default": ("默认值", "Default"),
    "rules.overrides": ("分支机构覆盖", "Branch overrides"),
    "rules.no_parameters": ("不使用参数。", "Uses no parameters."),
    "rules.tests": ("测试记录", "Test records"),
    "rules.fires": ("应触发", "Must fire"),
    "rules.silent": ("不应触发", "Must stay silent"),
    "rules.effective": ("生效期间", "In force"),
    "rules.also": ("同时涉及", "Also"),
})


def _params(engine: Engine, rdef: RuleDef) -> list[dict[str, Any]]:
    packs = engine.packs
    return [{"name": p, "value": packs.parameters.get(p), "doc": packs.parameter_docs.get(p),
             "overrides": {b: o[p] for b, o in sorted(packs.branches.items()) if p in o}}
            for p in sorted(rdef.params_used)]


@router.get("/rules")
def rules_index(request: Request, user: User, engine: EngineDep) -> Response:
    """The standards, by group, with how many rules each has."""
    counts: dict[str, int] = {}
    for rdef in engine.packs.rules.values():
        counts[rdef.rule.standard] = counts.get(rdef.rule.standard, 0) + 1
    groups = [(g, [s for s in engine.packs.standards.values() if s.group == g]) for g in GROUPS]
    return page(request, "rules.html", user, groups=groups, counts=counts, packs=engine.packs)


@router.get("/rules/standard/{code}")
def standard_page(request: Request, code: str, user: User, engine: EngineDep) -> Response:
    """Every rule of one standard, in full."""
    standard = engine.packs.standards.get(code)
    if standard is None:
        raise ConsoleError(404, "error.404", user)
    rules = [(r.rule, _params(engine, r)) for rid, r in sorted(engine.packs.rules.items()) if r.rule.standard == code]
    return page(request, "standard.html", user, standard=standard, rules=rules, labels=engine.packs.labels)
