"""An audit scan of a generated loan book (issue 17): files of every product at every stage, with defects planted
at known rates; the scan finds each planted defect and nothing else, checked against a plain-Python count."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections import Counter

from tests.packs.test_post_loan import CLEAN_CASES

from .conftest import cli, jsonl_lines, write_jsonl

AS_OF = "2027-06-30"  # the as-of of the clean post-loan examples; earlier stages do not depend on it
RATE = 0.15
CAPITAL_MIN = {"steel": 0.4, "cement": 0.35, "coal": 0.3, "airport": 0.25, "railway": 0.2}
CAPITAL_TIER = {"steel": "STEEL", "cement": "CEMENT", "coal": "COAL", "airport": "AIRPORT", "railway": "OTHER"}


def _day(value: str, days: int) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()


def _paid(r: dict) -> bool:
    return r["stage"] in ("disbursed", "post_loan")


def _unsigned(r: dict) -> str:
    r["report"]["signed_by"] = [r["team"]["lead_investigator"]]
    return "DDC-REPORT-UNSIGNED-CO"


def _not_face_to_face(r: dict) -> str:
    r["guarantees"][0]["face_to_face_signed"] = False
    return "DDM-GUARANTEE-NOT-FACE-TO-FACE"


def _over_approval(r: dict) -> str:
    r["loan"]["disbursements"][0]["amount_cny"] = r["loan"]["approved_amount_cny"] + 1
    return "RM-DISBURSED-OVER-APPROVAL"


def _before_approval(r: dict) -> str:
    r["loan"]["approved_on"] = _day(r["loan"]["disbursements"][0]["disbursed_on"], 1)
    return "RM-DISBURSED-BEFORE-APPROVAL"


def _approved_before_report(r: dict) -> str:
    r["loan"]["approved_on"] = _day(r["report"]["date"], -1)
    return "RM-APPROVED-BEFORE-REPORT"


def _own_capital(rng: random.Random):
    def plant(r: dict) -> str:
        industry = rng.choice(sorted(CAPITAL_MIN))
        r.update(capital_industry=industry, own_capital_ratio=round(CAPITAL_MIN[industry] - 0.01, 2))
        return f"RM-OWN-CAPITAL-BELOW-MIN-{CAPITAL_TIER[industry]}"
    return plant


def _still_normal(r: dict) -> str:
    r["loan"].update(overdue_days=91, risk_class="normal")
    r["loan"]["collection_actions"] = [{"type": "phone", "on": _day(AS_OF, -90)}, {"type": "律师函", "on": _day(AS_OF, -5)}]
    return "RM-OVERDUE-STILL-NORMAL"


def _destroyed(r: dict) -> str:
    r["archive"]["destroyed_on"] = _day(r["archive"]["retention_until"], -1)
    return "RM-FILE-DESTROYED-BEFORE-RETENTION"


def _gap(r: dict) -> str:
    inspections = r["loan"]["inspections"]
    if r["borrower"]["type"] == "corporate":
        del inspections[1]
        return "RM-INSPECTION-GAP-CORPORATE"
    day = _day(inspections[0]["performed_on"], 181)
    inspections[1].update(performed_on=day, due_on=day)
    return "RM-INSPECTION-GAP-INDIVIDUAL"


def _planters(rng: random.Random) -> list[tuple[str, object, object]]:
    """(group, applies to the record?, plant): at most one defect per group, so no two planted defects interact."""
    return [
        ("report", lambda r: True, _unsigned),
        ("guarantee", lambda r: bool(r.get("guarantees")), _not_face_to_face),
        ("amount", _paid, _over_approval),
        ("approval", _paid, _before_approval),
        ("approval", lambda r: r["stage"] == "approved", _approved_before_report),
        ("capital", lambda r: r["product_type"] in ("fixed_asset", "project_finance"), _own_capital(rng)),
        ("monitoring", lambda r: r["stage"] == "post_loan", _still_normal),
        ("monitoring", _paid, _gap),
        ("archive", lambda r: "archive" in r, _destroyed),
    ]


def _book(n: int, seed: int = 17) -> tuple[list[dict], dict[str, set[str]]]:
    """``n`` loan files over every base (product x stage) and the findings planted in each."""
    rng = random.Random(seed)
    bases = [(record, stage) for _name, stage, record, as_of in CLEAN_CASES
             if stage in ("pre_submission", "approved") or as_of == AS_OF]
    planters = _planters(rng)
    files, planted = [], {}
    for i in range(n):
        base, _stage = bases[i % len(bases)]
        record = copy.deepcopy(base)
        record["id"] = f"LB-{i:04d}"
        wanted: set[str] = set()
        used: set[str] = set()
        for group, applies, plant in planters:
            if group not in used and applies(record) and rng.random() < RATE:  # type: ignore[operator]
                wanted.add(plant(record))  # type: ignore[operator]
                used.add(group)
        files.append(record)
        planted[record["id"]] = wanted
    return files, planted


def test_the_book_spans_every_product_and_stage():
    files, planted = _book(400)
    assert {(f["product_type"], f["stage"]) for f in files} == {
        (p, s) for p in ("working_capital", "fixed_asset", "project_finance", "trade_finance", "personal_consumer",
                         "personal_business") for s in ("pre_submission", "approved", "disbursed", "post_loan")}
    counts = Counter(rule.rsplit("-", 1)[0] if "OWN-CAPITAL" in rule else rule  # capital tiers as one family
                     for rules in planted.values() for rule in rules)
    assert len(counts) == 10 and min(counts.values()) >= 5, counts
    assert sum(1 for rules in planted.values() if not rules) > 50  # clean files too


def test_a_scan_of_the_loan_book_finds_each_planted_defect_and_nothing_else(tmp_path):
    files, planted = _book(400)
    out = tmp_path / "book.jsonl"
    result = cli("scan", str(write_jsonl(tmp_path / "book_in.jsonl", files)), "--as-of", AS_OF, "--out", str(out),
                 "--workers", "2", "--format", "jsonl", pack=None)
    assert result.returncode in (0, 1), result.stderr
    results, summary = jsonl_lines(out)
    assert summary["records"] == len(files) and not summary.get("skipped")
    found = {r["record_id"]: {v["rule_id"] for v in r["violations"]} for r in results}
    assert found == planted  # file by file: each planted defect and nothing else
    expected = Counter(rule for rules in planted.values() for rule in rules)  # the plain-Python count
    assert Counter(rule for rules in found.values() for rule in rules) == expected
    decisions = {r["record_id"]: r["decision"] for r in results}
    assert all(decisions[rid] == "pass" for rid, rules in planted.items() if not rules)
    looked_back = [v for r in results for v in r["violations"]
                   if v["rule_id"] == "DDC-REPORT-UNSIGNED-CO" and r["record_id"] in
                   {f["id"] for f in files if f["stage"] != "pre_submission"}]
    assert looked_back and all(v["message"]["en"].startswith("At origination: ") for v in looked_back)
