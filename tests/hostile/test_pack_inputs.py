"""`conduct-check rules lint`, `waivers add` and `reference load` refuse hostile packs and admin input: exit 2,
``file:line`` and a reason, never a traceback (SPEC §7, §12). Lint-clean means the engine loads the pack and
every condition can fire: what the engine cannot evaluate is a lint error, not a runtime surprise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conduct_engine.errors import PackError
from conduct_engine.packs.loader import load_packs

from .conftest import RULES, assert_refused, billion_laughs, cli


def _rule(rule_id: str, when: str, kind: str = "gift") -> str:
    return (f"  - id: {rule_id}\n    standard: anti_bribery\n    severity: review\n    applies_to: {kind}\n"
            f"    when: {json.dumps(when)}\n    message: {{zh: 测试, en: test}}\n    remediation: {{zh: 测试, en: test}}\n"
            "    source: 职业操守 九\n    tests: {fires: [{value_cny: 5000}], silent: [{value_cny: 0}]}\n")


def _pack(*rules: str) -> str:
    return "pack: conduct.zz\nversion: 1.0.0\nrules:\n" + "".join(rules)


PACK_CASES: dict[str, tuple[str, list[str]]] = {
    "alias bomb": ("pack: zz\nversion: '1'\n" + billion_laughs(12), ["zz.yaml:8: yaml.too_many_nodes", "more than"]),
    "recursive alias": ("pack: zz\nversion: '1'\nrules: &r [*r]\n", ["zz.yaml:3: yaml.recursive_alias"]),
    "python tag": ("pack: !!python/object/apply:os.system [id]\n", ["zz.yaml:1: yaml.custom_tag"]),
    "duplicate key": ("pack: zz\nversion: '1'\npack: yy\n", ["zz.yaml:3: yaml.duplicate_key", "first given at line 1"]),
    "YAML nested 1,000 deep": ("pack: " + "[" * 1000 + "]" * 1000 + "\n", ["zz.yaml:1: yaml.too_deep"]),
    "literal 1e400": (_pack(_rule("ZZ-1", "value_cny > 1e400")), ["zz.yaml:8: condition.number", "not finite"]),
    "literal 1e-05": (_pack(_rule("ZZ-1", "value_cny > 0.00001")), ["zz.yaml:8: condition.number", "too small"]),
    "folded to infinity": (_pack(_rule("ZZ-1", "value_cny > 1e200 * 1e200")), ["zz.yaml:8: condition.number"]),
    "number plus text": (_pack(_rule("ZZ-1", 'value_cny + "a" > 1')), ["zz.yaml:8: condition.type",
                                                                         "arithmetic on 'a'"]),
    "text field in arithmetic": (_pack(_rule("ZZ-1", "description + 1 > 1")), ["zz.yaml:8: condition.type",
                                                                                "arithmetic on field 'description'"]),
    "900 nested nots": (_pack(_rule("ZZ-1", "not " * 900 + "value_cny > 1")), ["zz.yaml:8: condition.too_deep"]),
    "3,000 terms": (_pack(_rule("ZZ-1", " and ".join(["value_cny > 1"] * 3000))), ["zz.yaml:8: condition.too_long"]),
    "chained additions": (_pack(_rule("ZZ-1", "value_cny" + " + 1" * 900 + " > 1")), ["zz.yaml:8: condition.too_"]),
    "300 parentheses": (_pack(_rule("ZZ-1", "(" * 300 + "value_cny > 1" + ")" * 300)), ["zz.yaml:8: condition."]),
    "too many slots": (_pack(_rule("ZZ-1", " or ".join(f"value_cny == {i}" for i in range(40)))),
                       ["zz.yaml:8: condition.too_complex", "expression slots"]),
    "regex repeat over 100": (_pack(_rule("ZZ-1", 'matches(description, "a{101}")')),
                              ["zz.yaml:8: condition.regex", "limit of 100"]),
    "regex the engine never matches": (_pack(_rule("ZZ-1", 'matches(description, "a{100}a{100}")')),
                                       ["zz.yaml:8: condition.regex", "the engine cannot match it"]),
    "regex with 21 classes": (_pack(_rule("ZZ-1", 'matches(description, "' + "[a-z]" * 21 + '")')),
                              ["zz.yaml:8: condition.regex", "at most 20"]),
    "401 rules for one kind": (_pack(*(_rule(f"ZZ-{i}", f"value_cny > {i}") for i in range(398))),  # + 3 starters
                               ["ruleset.too_large", "401 rules for record kind 'gift'", "at most 400"]),
}


@pytest.mark.parametrize("case", sorted(PACK_CASES))
def test_rules_lint_refuses_hostile_packs(tmp_path, case):
    text, expected = PACK_CASES[case]
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "conduct" / "zz.yaml").write_text(text, encoding="utf-8")
    proc = cli("rules", "lint", "--pack", str(rules), tmp=tmp_path, pack=False, timeout=120)
    assert_refused(proc, *expected)


def test_a_lint_clean_pack_loads_into_the_engine_and_its_regex_fires(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    rule = _rule("ZZ-1", 'matches(description, "a{100}b{100}")').replace(
        "tests: {fires: [{value_cny: 5000}], silent: [{value_cny: 0}]}",
        "tests: {fires: [{description: '" + "a" * 100 + "b" * 100 + "'}], silent: [{description: ab}]}")
    (rules / "conduct" / "zz.yaml").write_text(_pack(rule), encoding="utf-8")
    proc = cli("rules", "test", "--pack", str(rules), tmp=tmp_path, pack=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---- waivers and reference data in the CLI ----------------------------------------------------------------------
@pytest.mark.parametrize("args, expected", [
    (["--rule", "BRB-CASH-EQUIV", "--expires", "2020-01-01"], "the waiver would already be expired"),
    (["--rule", "NO-SUCH-RULE", "--expires", "2099-01-01"], "unknown rule id 'NO-SUCH-RULE'"),
    (["--rule", "BRB-CASH-EQUIV", "--expires", "0001-01-01"], "expired"),
    (["--rule", "BRB-CASH-EQUIV", "--expires", "2026-13-45"], "--expires: not a date"),
])
def test_waivers_add_refuses_expired_and_unknown(tmp_path, args, expected):
    proc = cli("waivers", "add", *args, "--reason", "r", "--approver", "a", "--subject", "E-1", tmp=tmp_path)
    assert_refused(proc, expected)


def test_reference_load_refuses_replacing_everything_with_nothing(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text('{"employees": []}', encoding="utf-8")
    assert_refused(cli("reference", "load", str(empty), tmp=tmp_path, pack=False), "--allow-empty")
    proc = cli("reference", "load", str(empty), "--allow-empty", tmp=tmp_path, pack=False)
    assert proc.returncode == 0, proc.stderr


# ---- bounded fuzz of the pack loader ----------------------------------------------------------------------------
SEED = (RULES / "conduct" / "anti_bribery.yaml").read_bytes()[:3000]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


def _mutations():
    cut = st.integers(0, len(SEED)).map(lambda n: SEED[:n])
    flip = st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)).map(
        lambda t: SEED[:t[0]] + bytes([t[1]]) + SEED[t[0] + 1:])
    insert = st.tuples(st.integers(0, len(SEED)), st.sampled_from(
        [b"&a ", b"*a", b"!!python/name:os.system ", b"<<: *a\n", b"\t", b"{", b"[", b": :", b"1e400", b"\x00",
         b"\n  - ", b"not not not ", b' + "a"', b"---\n"])).map(lambda t: SEED[:t[0]] + t[1] + SEED[t[0]:])
    return st.one_of(cut, flip, insert, st.binary(max_size=300))


@pytest.fixture(scope="module")
def fuzz_rules(tmp_path_factory) -> Path:
    rules = tmp_path_factory.mktemp("fuzz") / "rules"
    shutil.copytree(RULES, rules)
    return rules


@FUZZ
@given(data=_mutations())
def test_pack_loader_raises_only_pack_errors(fuzz_rules, data):
    target = fuzz_rules / "conduct" / "anti_bribery.yaml"
    target.write_bytes(data)
    try:
        load_packs(fuzz_rules)
    except PackError as exc:
        assert exc.issues and all(i.file for i in exc.issues)
