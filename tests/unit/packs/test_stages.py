"""``stages:`` on a rule (issue 17): checked at load with file:line and did-you-mean, compiled as a stage
condition, the default (every stage) documented; ``origination:`` marks findings about the file as originated."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from conduct_engine.engine import Engine
from conduct_engine.errors import PackError
from conduct_engine.packs.derived import compile_derived
from conduct_engine.packs.loader import load_packs

RULES = Path(__file__).resolve().parents[3] / "rules"

LOAN_RULE = """
pack: t
version: '1'
test_defaults:
  loan_file: {{id: T-LF, kind: loan_file, product_type: working_capital, borrower: {{type: corporate}},
              requested_amount_cny: 100, term_months: 12}}
rules:
  - id: TST-TERM
    standard: dd.term
    severity: review
    applies_to: {kind}
{extra}    when: term_months > 36
    message:
      zh: 期限 {{term_months}}
      en: term {{term_months}}
    remediation: {{zh: 缩短, en: shorten it}}
    source: 基本职责 四（三）期限调查
    tests:
      fires: [{{term_months: 48}}]
      silent: [{{term_months: 12}}]
"""


def _pack(tmp_path: Path, extra: str, kind: str = "loan_file") -> Path:
    root = tmp_path / "rules"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copy(RULES / "standards.yaml", root / "standards.yaml")
    (root / "bundle.yaml").write_text("name: test\nversion: '1'\n", encoding="utf-8")
    body = textwrap.dedent(LOAN_RULE).lstrip().format(kind=kind, extra=textwrap.indent(extra, "    "))
    (root / "p.yaml").write_text(body, encoding="utf-8")
    return root


def _issues(root: Path) -> list[str]:
    with pytest.raises(PackError) as info:
        load_packs(root)
    return [str(i) for i in info.value.issues]


def test_unknown_stage_names_its_line_and_the_stage_meant(tmp_path):
    root = _pack(tmp_path, "stages:\n  - approved\n  - disbursd\n")
    assert _issues(root) == ["rules/p.yaml:13: rule.stages: rule TST-TERM: unknown stage 'disbursd' (stages of "
                             "loan_file: pre_submission, approved, disbursed, post_loan) (did you mean disbursed?)"]


def test_repeated_empty_and_stageless_kinds_are_errors(tmp_path):
    assert _issues(_pack(tmp_path, "stages: [approved, approved]\n")) == [
        "rules/p.yaml:11: rule.stages: rule TST-TERM: stage 'approved' listed twice"]
    assert _issues(_pack(tmp_path, "stages: []\n")) == [
        "rules/p.yaml:11: rule.stages: rule TST-TERM: stages must name at least one stage (leave it out for every "
        "stage)"]
    issues = _issues(_pack(tmp_path, "stages: [approved]\n", kind="gift"))
    assert "rules/p.yaml:11: rule.stages: rule TST-TERM: records of kind 'gift' have no stages" in issues


def _term_rule_fires(engine: Engine, stage: str) -> bool:
    record = {"id": "L-1", "kind": "loan_file", "product_type": "working_capital", "borrower": {"type": "corporate"},
              "requested_amount_cny": 100, "term_months": 48, "stage": stage}
    return bool(engine.evaluate(record, as_of="2026-11-30").violations)


def test_stages_decide_where_a_rule_runs_and_the_default_is_every_stage(tmp_path):
    every = Engine(load_packs(_pack(tmp_path, "")))
    assert all(_term_rule_fires(every, s) for s in ("pre_submission", "approved", "disbursed", "post_loan"))
    later = Engine(load_packs(_pack(tmp_path, "stages: [disbursed, post_loan]\n")))
    assert [_term_rule_fires(later, s) for s in ("pre_submission", "approved", "disbursed", "post_loan")] == [
        False, False, True, True]
    assert "stage" in later.packs.rules["TST-TERM"].refs["record"]  # the stage is evidence of the finding


def test_origination_findings_say_so_past_the_first_stage(tmp_path):
    engine = Engine(load_packs(_pack(tmp_path, "stages: [approved, disbursed, post_loan]\norigination: true\n")))
    record = {"id": "L-1", "kind": "loan_file", "product_type": "working_capital", "borrower": {"type": "corporate"},
              "requested_amount_cny": 100, "term_months": 48}
    texts = {stage: engine.evaluate({**record, "stage": stage}, as_of="2026-11-30").violations[0].message
             for stage in ("approved", "disbursed")}
    assert (texts["approved"].zh, texts["approved"].en) == ("期限 48", "term 48")
    assert (texts["disbursed"].zh, texts["disbursed"].en) == ("贷款发起时：期限 48", "At origination: term 48")


def test_max_gap_is_the_longest_stretch_between_consecutive_dates():
    gap = compile_derived("g", "max_gap(loan.inspections.performed_on)", ["loan_file"], {})
    dump = {"loan": {"inspections": [{"performed_on": "2026-03-01"}, {"performed_on": "2026-01-01"}, {},
                                     {"performed_on": "2026-03-11"}]}}
    assert gap.compute(dump) == 59  # 2026-01-01 -> 2026-03-01, in any order, undated items ignored
    assert gap.compute({"loan": {"inspections": [{"performed_on": "2026-01-01"}]}}) is None
    routine = compile_derived("r", 'max_gap(loan.inspections.performed_on, type="routine")', ["loan_file"], {})
    dump["loan"]["inspections"][0]["type"] = dump["loan"]["inspections"][3]["type"] = "routine"
    assert routine.compute(dump) == 10
