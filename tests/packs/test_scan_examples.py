"""``examples/scans/``: year-long batches whose findings depend on the party network (SPEC §3.5) and on windows,
scanned with ``conduct-check scan`` as an auditor would; each test also shows what the scan misses without the link."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conduct_engine.cli import app

SCANS = Path(__file__).resolve().parents[2] / "examples" / "scans"


def _scan(name: str, context: str | None = None) -> dict[str, tuple[str, dict[str, dict]]]:
    args = ["scan", str(SCANS / name), "--as-of", "2026-11-30", "--workers", "1"]
    if context:
        args += ["--context", str(SCANS / context)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {r["record_id"]: (r["decision"], {v["rule_id"]: v for v in r["violations"]})
            for r in rows if "record_id" in r}


def test_gifts_from_a_company_and_its_director_add_up():
    found = _scan("gifts_company_and_its_director_365d.jsonl", "gifts_company_and_its_director_365d.context.json")
    decision, rules = found["GIFT-2026-1130"]
    assert decision == "block" and set(rules) == {"BRB-GIFT-AGG-365D"}
    hit = rules["BRB-GIFT-AGG-365D"]
    assert hit["evidence"]["agg.gift_giver_365d_cny"] == 450 + 480 + 400 + 460 + 490
    assert sorted(hit["related_records"]) == ["GIFT-2026-0311", "GIFT-2026-0544", "GIFT-2026-0702", "GIFT-2026-0907"]
    assert "P-5101" in json.dumps(hit["evidence"], ensure_ascii=False)  # the path names the company
    assert found["GIFT-2026-0907"][0] == "review"
    assert found["GIFT-2026-1131"] == ("pass", {})  # handed in at once: good behaviour is not punished
    # without the director link the director's own gifts (1,350) stay under the block limit
    alone = _scan("gifts_company_and_its_director_365d.jsonl")
    assert alone["GIFT-2026-1130"][0] == "review" and set(alone["GIFT-2026-1130"][1]) == {"BRB-GIFT-AGG-365D-REVIEW"}


def test_an_intermediary_with_no_group_is_counted_like_a_client():
    found = _scan("hospitality_from_an_intermediary_90d.jsonl")
    assert [rid for rid, (decision, _) in found.items() if decision != "pass"] == ["ENT-2026-B04"]
    hit = found["ENT-2026-B04"][1]["BRB-ENT-FREQ-90D"]
    assert hit["evidence"]["agg.ent_giver_90d"] == 4  # Aug 14 is 84 days before Nov 6: all four count
    assert "上海某融资服务咨询有限公司" in hit["message"]["zh"]
