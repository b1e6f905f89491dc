"""SPEC §3: an optional field may be absent or null, and the two mean the same — to every rule.

Over every example record (declarations and loan files) and 200 records generated from them, each record is
checked twice: with every optional field it leaves out written as an explicit ``null`` (at every depth: the
counterparty, a loan file's materials, guarantees and collateral, modules, the context's entries), and with
every null removed. The results must be identical: decision, findings, messages and evidence.
"""

from __future__ import annotations

import copy
import json
import random
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from conduct_engine.records import MODEL_BY_KIND
from conduct_engine.records.context import Context

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "declarations").glob("*.json")) + sorted(
    (ROOT / "examples" / "loan_files").glob("*.json"))


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (and whether it holds a list of them), or (None, False)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return None, False
            annotation = args[0]
        elif origin in (list, tuple):
            inner, _ = _model_of(typing.get_args(annotation)[0])
            return inner, True
        else:
            break
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def with_nulls(model: type[BaseModel], data: dict) -> dict:
    """``data`` with every optional field it leaves out set to null, recursively."""
    out = dict(data)
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in out:
            if not info.is_required():
                out[key] = None
            continue
        inner, is_list = _model_of(info.annotation)
        if inner is None:
            continue
        value = out[key]
        if is_list and isinstance(value, list):
            out[key] = [with_nulls(inner, v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, dict):
            out[key] = with_nulls(inner, value)
    return out


def without_nulls(value: Any) -> Any:
    """``value`` with every null entry removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def _drop_some(rng: random.Random, model: type[BaseModel], data: dict) -> dict:
    """A variant of ``data`` with some optional fields removed (recursively), for the generated records."""
    out = {}
    for key, value in data.items():
        info = next((f for n, f in model.model_fields.items() if (f.alias or n) == key), None)
        if info is not None and not info.is_required() and rng.random() < 0.25:
            continue
        inner, is_list = _model_of(info.annotation) if info is not None else (None, False)
        if inner is not None and is_list and isinstance(value, list):
            value = [_drop_some(rng, inner, v) if isinstance(v, dict) else v for v in value]
        elif inner is not None and isinstance(value, dict):
            value = _drop_some(rng, inner, value)
        out[key] = value
    return out


def _bodies() -> list[tuple[str, dict]]:
    out = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in EXAMPLES]
    rng = random.Random(20261130)
    generated = []
    for index in range(200):
        name, body = out[index % len(out)]
        record = body["record"]
        variant = _drop_some(rng, MODEL_BY_KIND[record["kind"]], record)
        variant["id"] = f"{record['id']}-GEN{index}"
        generated.append((f"generated-{index}-{name}", {**body, "record": variant}))
    return out + generated


BODIES = _bodies()


def _outcome(result) -> tuple:
    return (result.decision, sorted(json.dumps({"rule": v.rule_id, "severity": v.severity, "message": v.message.en,
                                                "zh": v.message.zh, "evidence": v.evidence,
                                                "related": v.related_records}, sort_keys=True, default=str)
                                    for v in result.violations))


def test_enough_records():
    assert len(EXAMPLES) >= 60 and len(BODIES) >= len(EXAMPLES) + 200


@pytest.mark.parametrize("name,body", BODIES, ids=[n for n, _ in BODIES])
def test_null_and_absent_give_identical_results(engine, name, body):
    record = body["record"]
    model = MODEL_BY_KIND[record["kind"]]
    context = body.get("context")
    nulls = with_nulls(model, record)
    assert nulls != without_nulls(record) or not any(v is None for v in nulls.values())
    ctx_nulls = with_nulls(Context, copy.deepcopy(context)) if context else None
    as_of = body.get("as_of")
    a = engine.evaluate(nulls, context=ctx_nulls, as_of=as_of)
    b = engine.evaluate(without_nulls(record), context=without_nulls(context) if context else None, as_of=as_of)
    assert _outcome(a) == _outcome(b), name


def test_null_inside_module_findings_is_absent(engine):
    """The reported case: a rating override with ``override_approval_id: null`` is reviewed like one without."""
    body = json.loads((ROOT / "examples" / "loan_files" / "working_capital.pass.json").read_text(encoding="utf-8"))
    record = copy.deepcopy(body["record"])
    record["modules"]["rating"]["findings"].update({"override": True, "override_approval_id": None})
    absent = copy.deepcopy(record)
    del absent["modules"]["rating"]["findings"]["override_approval_id"]
    with_null = engine.evaluate(record, context=body.get("context"), as_of=body["as_of"])
    without = engine.evaluate(absent, context=body.get("context"), as_of=body["as_of"])
    assert _outcome(with_null) == _outcome(without)
    assert "DDM-RATING-OVERRIDE-UNAPPROVED" in {v.rule_id for v in with_null.violations}
