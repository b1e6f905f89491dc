"""Every code a pack problem or an untrusted-input error carries comes from conduct_engine/error_codes.py (one
place for the codes users and tests see), never a string literal at the raise site."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conduct_engine import error_codes

ROOT = Path(__file__).resolve().parents[2] / "conduct_engine"
FILES = sorted([*(ROOT / "packs").glob("*.py"), ROOT / "untrusted.py"])
#: call name -> the positional index of its code argument
CODE_ARG = {"PackIssue": 2, "ExprError": 0, "_fail": 1}


def _literal_codes(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        args = [node.args[CODE_ARG[name]]] if name in CODE_ARG and len(node.args) > CODE_ARG[name] else []
        args += [kw.value for kw in node.keywords if kw.arg == "code"]
        out += [f"{path.name}:{a.lineno} {a.value!r}" for a in args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_codes_are_named_in_error_codes(path):
    assert _literal_codes(path) == []


def test_the_finder_sees_a_literal(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('raise ExprError("condition.call", "x")\nPackIssue(f, 1, error_codes.PACK_SHAPE, "m")\n')
    assert _literal_codes(sample) == ["sample.py:1 'condition.call'"]


def test_pack_codes_are_unique_values():
    values = [v for k, v in vars(error_codes).items() if k.isupper() and isinstance(v, str)]
    assert len(values) == len(set(values))
