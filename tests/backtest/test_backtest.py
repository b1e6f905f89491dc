"""backtest (SPEC §10): changes checked with did-you-mean, the real payments register recounted in plain Python,
a removed rule removes exactly its findings, the CLI in every format, and the decision-log entry."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

from conduct_engine.backtest import ChangeError, build, log_backtest, run_backtest
from conduct_engine.backtest.report import render
from conduct_engine.dates import parse_date
from conduct_engine.packs.loader import load_packs
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.prepare import prepare
from conduct_engine.store import Store
from tests.conftest import ROOT, RULES, SHARED

DATA = SHARED / "data" / "open_payments_2013_sf_3000.csv"
MAPPING = ROOT / "examples" / "mappings" / "open_payments.yaml"
AS_OF = "2026-11-30"
USD = 7.1  # rules/common.yaml fx
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data is absent")


def _models(packs):
    plan = prepare([str(DATA)], packs=packs, as_of=parse_date(AS_OF), mapping=Mapping.load(str(MAPPING), packs.fx))
    return [item.model for item in plan.items]


def _recount(limit: float) -> int:
    """BRB-GIFT-KEEP by hand: a received gift (every row) with no disposition over the keep limit."""
    with DATA.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["physician_profile_id"].strip()]
    return sum(1 for r in rows if round(float(r["total_amount_of_payment_usdollars"]) * USD, 2) > limit)


@pytest.mark.parametrize(("change", "message"), [
    ("gift_keep_max=1000", "unknown parameter 'gift_keep_max' (did you mean gift_keep_max_cny?)"),
    ("BJ-001:gift_kep_max_cny=1000", "unknown parameter 'gift_kep_max_cny' (did you mean gift_keep_max_cny?)"),
    ("gift_keep_max_cny=lots", 'gift_keep_max_cny takes a number (now 500), got "lots"'),
    ("gift_keep_max_cny=true", "gift_keep_max_cny takes a number (now 500), got true"),
    ("cash_equivalents=cash", 'cash_equivalents takes a list of texts (now ["cash", "red_packet", "digital_red_packet", '
                              '"prepaid_card", "shopping_card", "securities", "payment_voucher", "loan_or_credit"]), '
                              'got "cash"'),
    ("cash_equivalents=[1, 2]", "cash_equivalents takes a list of texts"),
    ("gift_keep_max_cny", "cannot read the change 'gift_keep_max_cny': write PARAM=VALUE or BRANCH:PARAM=VALUE"),
])
def test_bad_changes_are_errors_with_hints(change, message):
    with pytest.raises(ChangeError) as info:
        build(RULES, [change])
    assert str(info.value).startswith(message) and info.value.loc == change


def test_a_branch_change_moves_only_that_branch():
    test = build(RULES, ["BJ-001:gift_keep_max_cny=1000"])
    assert test.candidate.packs.branches["BJ-001"]["gift_keep_max_cny"] == 1000
    assert test.candidate.packs.parameters["gift_keep_max_cny"] == 500
    gifts = [{"id": f"G-{b}", "kind": "gift", "employee_id": "E-1", "branch": b, "occurred_on": "2026-10-10",
              "direction": "received", "form": "goods", "value_cny": 800, "disposition": "kept"}
             for b in ("BJ-001", "SH-001")]
    report = run_backtest(test, test.baseline.parse_all(gifts), as_of=parse_date(AS_OF))
    assert report["by_rule"]["BRB-GIFT-KEEP"] == {"added": 0, "removed": 1, "unchanged": 1}
    assert report["by_branch"]["BJ-001"]["removed"] >= 1 and report["by_branch"]["SH-001"]["removed"] == 0
    assert [c["record_id"] for c in report["changed_records"]] == ["G-BJ-001"]


@pytest.fixture(scope="module")
def payments():
    test = build(RULES, ["gift_keep_max_cny=1000"])
    return test, _models(test.baseline.packs)


@needs_data
@pytest.mark.slow
def test_raising_the_keep_limit_on_the_real_register(payments):
    test, models = payments
    report = run_backtest(test, models, as_of=parse_date(AS_OF))
    keep = report["by_rule"]["BRB-GIFT-KEEP"]
    before, after = keep["removed"] + keep["unchanged"], keep["added"] + keep["unchanged"]
    assert before == _recount(500) and after == _recount(1000) and after < before
    assert keep["added"] == 0 and keep["removed"] == _recount(500) - _recount(1000)
    assert report["records"] == len(models) and report["changes"]["set"] == [
        {"branch": None, "param": "gift_keep_max_cny", "value": 1000}]
    moved = sum(report["decisions_moved"].values())
    assert moved == len(report["changed_records"]) > 0
    assert sum(report["baseline"]["decisions"].values()) == sum(report["candidate"]["decisions"].values()) == len(models)
    for fmt in ("table", "json", "html", "xlsx"):
        body = render(report, fmt)
        assert len(body) > 500, fmt
    html = render(report, "html").decode()
    assert "<svg" in html and "BRB-GIFT-KEEP" in html and "<script src" not in html and "<link" not in html


def _without_rule(tmp_path, rule_id: str):
    rules = tmp_path / "candidate"
    shutil.copytree(RULES, rules)
    path = rules / "conduct" / "anti_bribery.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {rule_id}")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("- id: "))
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    assert rule_id not in load_packs(rules).rules
    return rules


@needs_data
@pytest.mark.slow
def test_a_pack_without_one_rule_removes_exactly_its_findings(tmp_path, payments):
    _, models = payments
    test = build(RULES, [], _without_rule(tmp_path, "BRB-GIFT-KEEP"))
    report = run_backtest(test, models, as_of=parse_date(AS_OF))
    assert report["by_rule"]["BRB-GIFT-KEEP"] == {"added": 0, "removed": _recount(500), "unchanged": 0}
    others = {r: t for r, t in report["by_rule"].items() if r != "BRB-GIFT-KEEP"}
    assert others and all(t["added"] == 0 and t["removed"] == 0 for t in others.values())
    assert all(c["removed"] == ["BRB-GIFT-KEEP"] and c["added"] == [] for c in report["changed_records"])
    assert report["findings"]["baseline"] - report["findings"]["candidate"] == _recount(500)


def test_cli_backtest_logs_one_entry(tmp_path):
    gifts = tmp_path / "gifts.jsonl"
    gifts.write_text("".join(json.dumps({"id": f"G-{i}", "kind": "gift", "employee_id": "E-1", "branch": "SH-001",
                                         "occurred_on": "2026-10-10", "direction": "received", "form": "goods",
                                         "value_cny": v}) + "\n" for i, v in enumerate([400, 800, 1200])),
                     encoding="utf-8")
    env = {"CONDUCT_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "conduct_engine.cli", "backtest", str(gifts), "--as-of", AS_OF,
                          "--set", "gift_keep_max_cny=1000", "--format", "json", "--out", str(out), "--actor", "zhang"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["by_rule"]["BRB-GIFT-KEEP"] == {"added": 0, "removed": 1, "unchanged": 1}
    assert set(report) >= {"records", "baseline", "candidate", "by_rule", "by_standard", "by_branch", "by_employee",
                           "decisions_moved", "changed_records"}
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'conduct.db'}")
    try:
        (entry,) = store.log.latest()
        assert (entry.actor, entry.channel, entry.kind) == ("zhang", "cli-backtest", "backtest")
        assert entry.result["changes"]["set"] == [{"branch": None, "param": "gift_keep_max_cny", "value": 1000}]
        assert store.register.count() == 0 and store.log.verify().ok  # a backtest stores nothing
    finally:
        store.close()
    bad = subprocess.run([sys.executable, "-m", "conduct_engine.cli", "backtest", str(gifts), "--set",
                          "gift_keep_maxcny=1"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert bad.returncode == 2 and "did you mean gift_keep_max_cny" in bad.stderr


def test_log_backtest_appends_one_entry(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        test = build(RULES, ["gift_keep_max_cny=900"])
        report = run_backtest(test, [], as_of=parse_date(AS_OF))
        log_backtest(store, report, "reviewer-1", "api-backtest")
        assert store.log.count() == 1 and store.log.latest()[0].actor == "reviewer-1"
    finally:
        store.close()
