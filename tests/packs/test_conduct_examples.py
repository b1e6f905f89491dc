"""``conduct-check check`` on every example declaration prints the decision its file name promises.

Files are ``examples/declarations/<scenario>.<block|review|pass>.json``, each a check request body
``{"record": …, "context": …?, "as_of": …}`` (the shape ``POST /v1/check`` takes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conduct_engine.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "declarations"
FILES = sorted(EXAMPLES.glob("*.json"))
DECISIONS = ("block", "review", "pass")


def test_enough_examples_covering_every_decision():
    assert len(FILES) >= 30
    promised = [f.name.rsplit(".", 2)[1] for f in FILES]
    assert set(promised) == set(DECISIONS), sorted(f.name for f in FILES)
    assert len({json.loads(f.read_text(encoding="utf-8"))["record"]["kind"] for f in FILES}) >= 12


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_decision_matches_its_name(path):
    promised = path.name.rsplit(".", 2)[1]
    assert promised in DECISIONS, f"{path.name}: name must end in .block.json, .review.json or .pass.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    assert set(body) <= {"record", "context", "as_of"} and body.get("as_of")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == (0 if promised == "pass" else 1), result.output
    out = json.loads(result.stdout.splitlines()[0])
    assert out["decision"] == promised, [(v["rule_id"], v["message"]["en"]) for v in out["violations"]]
    assert out["record_id"] == body["record"]["id"]
    for v in out["violations"]:  # messages are filled in, in both languages
        assert "{" not in v["message"]["zh"] and "{" not in v["message"]["en"]
