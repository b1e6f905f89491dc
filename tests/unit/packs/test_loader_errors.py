"""A broken pack never loads: every error is listed as file:line: code: message (did you mean …?)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from conduct_engine.errors import PackError
from conduct_engine.packs.loader import load_packs

RULES = Path(__file__).resolve().parents[3] / "rules"

GOOD_RULE = """
  - id: TST-ONE
    standard: anti_bribery
    severity: block
    applies_to: gift
    when: {when}
    message:
      zh: 测试 {{value_cny}}
      en: test {{value_cny}}
    remediation: {{zh: 退还, en: return it}}
    source: 职业操守 9
    tests:
      fires: [{{value_cny: 900}}]
      silent: [{{value_cny: 100}}]
"""


def _pack(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "rules"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copy(RULES / "standards.yaml", root / "standards.yaml")
    (root / "bundle.yaml").write_text("name: test\nversion: '1'\n", encoding="utf-8")
    (root / "p.yaml").write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return root


def _issues(root: Path) -> list[str]:
    with pytest.raises(PackError) as info:
        load_packs(root)
    return [str(i) for i in info.value.issues]


def _one_rule(tmp_path: Path, when: str) -> Path:
    return _pack(tmp_path, "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when=when))


def test_good_rule_loads(tmp_path):
    packs = load_packs(_one_rule(tmp_path, "'value_cny > 500'"))
    assert list(packs.rules) == ["TST-ONE"]


def test_misspelt_field_names_line_and_hint(tmp_path):
    assert _issues(_one_rule(tmp_path, "'valu_cny > 500'")) == [
        "rules/p.yaml:8: condition.unknown_field: rule TST-ONE: unknown field or parameter 'valu_cny' "
        "(did you mean value_cny?)"]


def test_wrong_enum_value(tmp_path):
    assert _issues(_one_rule(tmp_path, "'form == \"shoping_card\"'")) == [
        "rules/p.yaml:8: condition.enum: rule TST-ONE: 'shoping_card' is not a value of field 'form' (one of goods, "
        "cash, red_packet, digital_red_packet, prepaid_card, shopping_card, securities, payment_voucher, travel, "
        "membership, discount, loan_or_credit, promotional_item) (did you mean shopping_card?)"]


def test_pcre_regex_rejected_with_hint(tmp_path):
    assert _issues(_one_rule(tmp_path, "'matches(description, \"\\\\d+ cards\")'")) == [
        "rules/p.yaml:8: condition.regex: rule TST-ONE: pattern '\\\\d+ cards': PCRE '\\d' is not supported "
        "(did you mean %d?)"]


def test_catastrophic_regex_rejected(tmp_path):
    issues = _issues(_one_rule(tmp_path, "'matches(description, \"(a+)+b\")'"))
    assert issues == ["rules/p.yaml:8: condition.regex: rule TST-ONE: pattern '(a+)+b': nested repeats such as "
                      "(a+)+ are unsafe (catastrophic backtracking) (did you mean a single repeat?)"]


def test_missing_message_language_and_duplicate_id_all_listed(tmp_path):
    body = "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when="'value_cny > 500'") + """
  - id: TST-ONE
    standard: anti_bribery
    severity: block
    applies_to: gift
    when: value_cny > 1
    message: {zh: 只有中文}
    remediation: {zh: 退还, en: return it}
    source: x
    tests: {fires: [{}], silent: [{}]}
"""
    assert _issues(_pack(tmp_path, body)) == [
        "rules/p.yaml:23: pack.shape: missing message.en",
    ]


def test_duplicate_rule_id(tmp_path):
    body = "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when="'value_cny > 500'") \
        + GOOD_RULE.format(when="'value_cny > 600'")
    assert _issues(_pack(tmp_path, body)) == [
        "rules/p.yaml:18: rule.duplicate_id: rule id 'TST-ONE' already used at rules/p.yaml:4"]


def test_unknown_rule_key_and_standard_hint(tmp_path):
    body = "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when="'value_cny > 500'").replace(
        "standard: anti_bribery", "standard: anti_bribary").replace("    source:", "    sourc: x\n    source:")
    assert _issues(_pack(tmp_path, body)) == [
        "rules/p.yaml:13: pack.shape: unknown key sourc (did you mean source?)"]
    body = "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when="'value_cny > 500'").replace(
        "standard: anti_bribery", "standard: anti_bribary")
    assert _issues(_pack(tmp_path, body)) == [
        "rules/p.yaml:5: rule.standard: rule TST-ONE: unknown standard 'anti_bribary' (did you mean anti_bribery?)"]


def test_every_error_collected_and_nothing_loads(tmp_path):
    body = "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when="'valu_cny > 500'") + GOOD_RULE.replace(
        "TST-ONE", "TST-TWO").format(when="'form == \"cahs\"'") + GOOD_RULE.replace(
        "TST-ONE", "TST-THREE").format(when="'value_cny > 1'")
    issues = _issues(_pack(tmp_path, body))
    assert [i.split(": ")[1] for i in issues] == ["condition.unknown_field", "condition.enum"]
    assert issues[0].startswith("rules/p.yaml:8:") and issues[1].startswith("rules/p.yaml:22:")


def test_placeholder_must_name_something(tmp_path):
    body = "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when="'value_cny > 500'").replace(
        "en: test {value_cny}", "en: test {valu_cny}")
    assert _issues(_pack(tmp_path, body)) == [
        "rules/p.yaml:9: rule.placeholder: rule TST-ONE: message.en placeholder {valu_cny} names nothing this "
        "rule can fill (did you mean value_cny?)"]


def test_yaml_syntax_error_has_line(tmp_path):
    issues = _issues(_pack(tmp_path, "pack: t\nversion: '1'\nrules:\n  - id: [unclosed\n"))
    assert len(issues) == 1 and issues[0].startswith("rules/p.yaml:5: yaml.syntax:")


def test_branch_override_of_unknown_parameter(tmp_path):
    body = "pack: t\nversion: '1'\nparameters:\n  keep_max: {value: 500}\nbranches:\n  BJ-001: {keep_mx: 300}\n"
    assert _issues(_pack(tmp_path, body)) == [
        "rules/p.yaml:6: branch.unknown_param: branch 'BJ-001' overrides unknown parameter 'keep_mx' "
        "(did you mean keep_max?)"]


@pytest.mark.parametrize(("case", "empty"), [("fires", "      fires: []\n"), ("silent", "      silent: []\n")])
def test_rule_without_tests_rejected(tmp_path, case, empty):
    cases = {"fires": "      fires: [{value_cny: 900}]\n", "silent": "      silent: [{value_cny: 100}]\n"}
    body = "pack: t\nversion: '1'\nrules:" + GOOD_RULE.format(when="'value_cny > 500'").replace(cases[case], empty)
    assert _issues(_pack(tmp_path, body)) == [
        "rules/p.yaml:14: rule.tests: rule TST-ONE: needs test records under tests.fires and tests.silent"]


def test_standards_must_list_exactly_the_spec_codes(tmp_path):
    """standards.yaml lists the 35 codes of SPEC §2, no fewer and no others; loaded in SPEC order."""
    from conduct_engine.standards import STANDARD_CODES
    assert len(STANDARD_CODES) == 35
    root = _one_rule(tmp_path, "'value_cny > 500'")
    assert tuple(load_packs(root).standards) == STANDARD_CODES
    text = (root / "standards.yaml").read_text(encoding="utf-8")
    dropped = text.replace("code: insider_dealing", "code: insider_trading")
    assert dropped != text
    (root / "standards.yaml").write_text(dropped, encoding="utf-8")
    assert [i for i in _issues(root) if ": standards." in i] == [
        f"{root / 'standards.yaml'}:1: standards.missing: codes missing: insider_dealing",
        f"{root / 'standards.yaml'}:1: standards.unknown: codes not in SPEC §2: insider_trading"]
