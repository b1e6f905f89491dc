"""Every conduct and duty rule's message, rendered with its own ``fires`` records, reads fully filled in zh and en.

No ``{placeholder}`` may be left, and no value the rule's own condition reads (a record field, a joined
fact's field, an aggregate, a derived value or a parameter) may be shown as "—".
"""

from __future__ import annotations

import re

import pytest

from conduct_engine.packs.model import ANCHOR
from conduct_engine.packs.testing import cases_for
from tests.packs.test_conduct_coverage import MIN_RULES

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _cases():
    from conduct_engine.engine import Engine
    from tests.conftest import RULES
    engine = Engine.from_paths(RULES)
    return [(rule_id, case.index) for rule_id in sorted(engine.packs.rules)
            if engine.packs.rules[rule_id].rule.standard in MIN_RULES
            for case in cases_for(engine, rule_id) if case.expect == "fires"]


MISSING_CALL = re.compile(r"missing\(\s*([A-Za-z_][\w.]*)\s*\)")


def _required(rdef, params: dict) -> list[tuple[str, str | None, str]]:
    """Placeholders the rule's condition needs present: (placeholder, alias or None, field).

    A field the condition also accepts as absent (``missing(f) or …``) is optional, not required.
    """
    texts = [rdef.rule.when or ""] + list(rdef.rule.match)
    optional = {m for text in texts for m in MISSING_CALL.findall(text)}
    out = []
    for name in rdef.placeholders:
        head, _, rest = name.partition(".")
        if name in optional or rest in optional:
            continue
        if name in params:
            out.append((name, None, "<param>"))
        elif name in rdef.refs.get(ANCHOR, set()):
            out.append((name, None, name))
        elif rest and head in rdef.refs and head != ANCHOR and rest in rdef.refs[head]:
            out.append((name, head, rest))
    return out


@pytest.mark.parametrize(("rule_id", "index"), _cases())
def test_message_filled_in_both_languages(engine, rule_id, index):
    case = next(c for c in cases_for(engine, rule_id) if c.expect == "fires" and c.index == index)
    result = engine.evaluate(case.record, context=case.context, history=case.history, as_of=case.as_of)
    found = [v for v in result.violations if v.rule_id == rule_id]
    assert found, f"{rule_id} did not fire on its fires[{index}] case"
    rdef = engine.packs.rules[rule_id]
    params = engine.packs.params_for(case.record.get("branch"))
    for v in found:
        for lang in ("zh", "en"):
            for text in (getattr(v.message, lang), getattr(v.remediation, lang)):
                assert not PLACEHOLDER.search(text), f"{rule_id} {lang}: unfilled placeholder in {text!r}"
        for name, alias, field in _required(rdef, params):
            if field == "<param>":
                continue
            shown = v.evidence.get(alias, {}).get(field) if alias else v.evidence.get(field)
            assert shown is not None, f"{rule_id}: {{{name}}} is required by the condition but shows '—'"


def test_message_example_reads_naturally(engine):
    record = {"id": "G-1", "kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-10-08",
              "declared_at": "2026-10-09T09:00:00", "direction": "received", "form": "goods", "value_cny": 1500,
              "disposition": "pending", "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}
    v = next(v for v in engine.evaluate(record, as_of="2026-11-30").violations if v.rule_id == "BRB-GIFT-HANDIN-LATE")
    assert v.message.zh == ("2026-10-08 收受的礼品价值 1500 元，超过可留存上限 500 元，"
                            "30 天内仍未退还或上交（当前处置：待处理）")
    assert v.message.en == ("The gift worth CNY 1,500 received on 2026-10-08 exceeds the keep limit of CNY 500 and was "
                            "not returned or handed in within 30 days (disposition pending)")
