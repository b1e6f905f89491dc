"""The CLI's contract: output and exit codes (0 pass, 1 findings, 2 bad input or bad packs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from conduct_engine.cli import app

ROOT = Path(__file__).resolve().parents[2]
STARTER = ["--pack", str(ROOT / "tests" / "data" / "starter_rules")]
runner = CliRunner()


def _write(tmp_path: Path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_check_example_blocks_exit_1():
    result = runner.invoke(app, ["check", str(ROOT / "examples/gift_shopping_card.record.json"), "--as-of", "2026-11-30",
                                *STARTER])
    assert result.exit_code == 1
    out = json.loads(result.stdout.strip())
    assert out["decision"] == "block" and out["violations"][0]["rule_id"] == "BRB-CASH-EQUIV"
    assert "购物卡" in out["violations"][0]["message"]["zh"] and "CNY 2,000" in out["violations"][0]["message"]["en"]


def test_check_accepts_the_http_request_body():
    result = runner.invoke(app, ["check", str(ROOT / "examples/gift_shopping_card.json"), *STARTER])
    assert result.exit_code == 1
    out = json.loads(result.stdout.strip())
    assert (out["decision"], out["as_of"]) == ("block", "2026-11-30")


def test_check_pass_exit_0_and_jsonl(tmp_path, gift):
    lines = "\n".join(json.dumps({**gift, "id": f"G-{i}"}) for i in range(3))
    result = runner.invoke(app, ["check", _write(tmp_path, "r.jsonl", lines), *STARTER])
    assert result.exit_code == 0
    assert [json.loads(line)["decision"] for line in result.stdout.splitlines()] == ["pass"] * 3


def test_fail_on_block_relaxes_review(tmp_path, gift):
    gift.update(value_cny=800, disposition="kept")  # review only
    path = _write(tmp_path, "r.json", gift)
    assert runner.invoke(app, ["check", path, *STARTER]).exit_code == 1
    assert runner.invoke(app, ["check", path, "--fail-on", "block", *STARTER]).exit_code == 0


def test_bad_input_exit_2(tmp_path, gift):
    result = runner.invoke(app, ["check", _write(tmp_path, "bad.json", '{"id": 1')])
    assert result.exit_code == 2 and "invalid JSON" in result.stderr
    gift["value_cny"] = "2000"
    result = runner.invoke(app, ["check", _write(tmp_path, "typed.json", gift)])
    assert result.exit_code == 2 and "value_cny" in result.stderr
    assert runner.invoke(app, ["check", str(tmp_path / "missing.json")]).exit_code == 2


def test_broken_pack_exit_2_lists_errors(tmp_path):
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    path = root / "conduct" / "anti_bribery.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("form in cash_equivalents", "frm in cash_equivalents"),
                    encoding="utf-8")
    result = runner.invoke(app, ["rules", "lint", "--pack", str(root)])
    assert result.exit_code == 2
    assert "rules/conduct/anti_bribery.yaml:" in result.stderr and "unknown field or parameter 'frm'" in result.stderr


def test_rules_test_and_list():
    result = runner.invoke(app, ["rules", "test"])
    assert result.exit_code == 0 and ", 0 failed" in result.stdout
    listing = runner.invoke(app, ["rules", "list"])
    assert listing.exit_code == 0 and "BRB-CASH-EQUIV" in listing.stdout


def test_schema_command():
    result = runner.invoke(app, ["schema", "gift"])
    assert result.exit_code == 0 and json.loads(result.stdout)["properties"]["form"]
    assert runner.invoke(app, ["schema", "gfit"]).exit_code == 2


def test_bad_second_json_line_names_its_line(tmp_path, gift):
    path = _write(tmp_path, "r.jsonl", json.dumps(gift) + "\n{\"id\": \n")
    result = runner.invoke(app, ["check", path, *STARTER])
    assert result.exit_code == 2 and "r.jsonl:2: invalid JSON" in result.stderr
