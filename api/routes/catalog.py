"""What is enforced and why: the standards and the rules of the loaded pack."""

from __future__ import annotations

import difflib

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.auth import require
from api.deps import EngineDep
from api.errors import error_response
from api.schemas import COMMON_RESPONSES, RuleNotFoundV1, RuleV1, StandardV1
from conduct_engine import error_codes
from conduct_engine.engine import Engine
from conduct_engine.packs.model import RuleDef
from conduct_engine.results import Text

router = APIRouter(prefix="/v1", tags=["catalog"], responses=COMMON_RESPONSES,
                   dependencies=[Depends(require("submitter", "reviewer", "auditor"))])


@router.get("/standards", response_model=list[StandardV1])
def list_standards(engine: EngineDep) -> list[StandardV1]:
    """Every standard code (SPEC §2) in its order."""
    return [StandardV1(code=s.code, group=s.group, zh=s.zh, en=s.en, clause=s.clause)
            for s in engine.packs.standards.values()]


@router.get("/rules", response_model=list[RuleV1])
def list_rules(engine: EngineDep) -> list[RuleV1]:
    """Every rule of the loaded pack, by id."""
    return [_rule(engine, engine.packs.rules[rid]) for rid in sorted(engine.packs.rules)]


@router.get("/rules/{rule_id}", response_model=RuleV1, responses={404: {
    "model": RuleNotFoundV1, "description": "No such rule; the closest ids are suggested"}})
def get_rule(rule_id: str, engine: EngineDep) -> RuleV1 | JSONResponse:
    """One rule; an unknown id gets 404 with the closest ids suggested."""
    rdef = engine.packs.rules.get(rule_id)
    if rdef is None:
        close = difflib.get_close_matches(rule_id.upper(), list(engine.packs.rules), n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        return error_response(404, error_codes.UNKNOWN_RULE, f"Unknown rule id {rule_id!r}{hint}", suggestions=close)
    return _rule(engine, rdef)


def _rule(engine: Engine, rdef: RuleDef) -> RuleV1:
    """A compiled rule as its wire shape, with the default values of the parameters it reads."""
    r = rdef.rule
    params = {p: engine.packs.parameters.get(p) for p in sorted(rdef.params_used)}
    return RuleV1(id=r.id, standard=r.standard, also=list(r.also), severity=r.severity,
                  applies_to=r.applies_to, when=r.when, match=list(r.match),
                  message=Text(zh=r.message.zh, en=r.message.en),
                  remediation=Text(zh=r.remediation.zh, en=r.remediation.en), source=r.source,
                  effective_from=r.effective_from, effective_to=r.effective_to, description=r.description,
                  parameters=params)
