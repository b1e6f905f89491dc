"""Rule ids are stable once released: a released id may change its condition, never disappear.

Waivers, branch overrides, case histories and reports name rule ids (and overrides name parameters), so every id
and parameter of the last release must still be loaded by the live packs. The lists are frozen in ``tests/data``
(taken from the packs as of 6f1304d, expanded ids included); add to them when a release ships, never remove.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def _lines(name: str) -> list[str]:
    return [line.strip() for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


RELEASED_IDS = _lines("released_rule_ids.txt")
RELEASED_PARAMETERS = _lines("released_parameters.txt")


def test_the_lists_are_sorted_and_unique():
    for items in (RELEASED_IDS, RELEASED_PARAMETERS):
        assert items == sorted(set(items))
    assert len(RELEASED_IDS) > 200 and "RM-OVERDUE-STILL-NORMAL" in RELEASED_IDS


def test_every_released_rule_id_is_still_loaded(engine):
    gone = [rule_id for rule_id in RELEASED_IDS if rule_id not in engine.packs.rules]
    assert not gone, f"released rule ids missing from rules/ (change the condition, keep the id): {gone}"


@pytest.mark.xfail(strict=True, reason="main 4a2c624 renamed worklog_summary_min_chars to worklog_summary_min_words "
                   "(work-log length in words): a pack decision for main (alias or migration), not for the merge")
def test_every_released_parameter_still_exists(engine):
    gone = [name for name in RELEASED_PARAMETERS if name not in engine.packs.parameters]
    assert not gone, f"released parameters missing from rules/ (branch overrides may name them): {gone}"


def test_a_branch_override_of_the_released_watch_interval_still_applies(tmp_path):
    """``routine_inspection_days_watch`` is what RM-ROUTINE-OVERDUE-WATCH reads, for every watch class."""
    from conduct_engine.engine import Engine
    from tests.conftest import RULES

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    pack = rules / "risk" / "post_loan.yaml"
    pack.write_text(pack.read_text(encoding="utf-8") + "\nbranches:\n  GZ-001:\n    routine_inspection_days_watch: 20\n",
                    encoding="utf-8")
    engine = Engine.from_paths(rules)
    body = json.loads((RULES.parent / "examples" / "loan_files" / "working_capital_post_loan.pass.json")
                      .read_text(encoding="utf-8"))
    record, as_of = body["record"], "2027-07-08"  # 21 days after the last inspection (2027-06-17)
    for risk_class in engine.packs.parameters["watch_risk_classes"]:
        record["loan"]["risk_class"] = risk_class
        fired = {v.rule_id for v in engine.evaluate({**record, "branch": "GZ-001"}, as_of=as_of).violations}
        assert "RM-ROUTINE-OVERDUE-WATCH" in fired, risk_class
        fired = {v.rule_id for v in engine.evaluate(record, as_of=as_of).violations}
        assert "RM-ROUTINE-OVERDUE-WATCH" not in fired, risk_class
