"""The case pages without a browser: four eyes is a 403 page, a refused transition a friendly 409 on the case page
in the reader's language, a submitter sees its declaration's case and acknowledges it, and the rule-quality page
shows the figures of the JSON report."""

from __future__ import annotations

import re
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from .conftest import signin

GIFT = {"kind": "gift", "employee_id": "E-300", "occurred_on": "2026-11-20", "direction": "received", "form": "goods",
        "value_cny": 900, "counterparty": {"name": "某公司"}}


def _case(client: TestClient, info, record_id: str, key: str = "submitter") -> str:
    answer = client.post("/v1/check", headers={"Authorization": f"Bearer {info.keys[key]}"},
                         json={"record": {**GIFT, "id": record_id}})
    assert answer.status_code == 200 and answer.json()["decision"] == "review", answer.text
    return info.store.cases.for_record("gift", record_id).id


def test_a_reviewer_who_is_the_subject_gets_the_403_page(console):
    client, info = console
    case_id = _case(client, info, "G-OWN")
    info.keys["e300"] = info.store.keys.create("rev-e300", "reviewer", "E-300")[1]
    token = signin(client, info.keys["e300"], lang="en")
    page = client.get(f"/ui/cases/{case_id}")
    assert page.status_code == 200 and 'id="own-note"' in page.text and "/verdicts" not in page.text
    answer = client.post(f"/ui/cases/{case_id}/assign", data={"csrf": token})
    assert answer.status_code == 403 and "Four eyes: you are the subject" in answer.text
    assert info.store.cases.get(case_id).status == "open"


def test_a_refused_transition_is_a_friendly_409_in_the_readers_language(console):
    client, info = console
    case_id = _case(client, info, "G-409")
    token = signin(client, info.keys["reviewer"])
    answer = client.post(f"/ui/cases/{case_id}/approve", data={"csrf": token})
    assert answer.status_code == 409
    assert "案件当前状态为“待处理”，不能批准。" in answer.text and 'role="alert"' in answer.text
    answer = client.post(f"/ui/cases/{case_id}/close", data={"csrf": token, "disposition": "substantiated",
                                                             "reason": "x"})
    assert answer.status_code == 409
    client.post(f"/ui/cases/{case_id}/assign", data={"csrf": token})
    missing = client.post(f"/ui/cases/{case_id}/close", data={"csrf": token, "disposition": "substantiated",
                                                              "reason": "已退还"})
    assert missing.status_code == 422 and "问题成立时须选择处理措施。" in missing.text
    assert 'value="已退还"' not in missing.text and ">已退还</textarea>" in missing.text  # what was typed stays
    falsely = client.post(f"/ui/cases/{case_id}/close", data={"csrf": token, "disposition": "not_substantiated",
                                                              "reason": "误报"})
    assert falsely.status_code == 409 and "须先将每个问题标记为误报" in falsely.text


def test_a_submitter_sees_its_case_on_my_declarations_and_acknowledges_it(console):
    client, info = console
    case_id = _case(client, info, "G-ACK")
    token = signin(client, info.keys["submitter"])
    mine = client.get("/ui/declarations")
    assert f'href="/ui/cases/{case_id}">待处理</a>' in mine.text
    assert client.get("/ui/cases").status_code == 403
    page = client.get(f"/ui/cases/{case_id}")
    assert "确认已阅" in page.text and "/close" not in page.text
    answer = client.post(f"/ui/cases/{case_id}/acknowledge", data={"csrf": token})
    assert answer.status_code == 200 and 'id="case-ack"' in answer.text
    assert info.store.cases.get(case_id).acknowledged_at is not None
    other = TestClient(client.app, base_url=info.base)
    signin(other, info.keys["submitter2"])
    assert other.get(f"/ui/cases/{case_id}").status_code == 404  # another submitter's case does not exist for it


def test_the_rule_quality_page_shows_the_figures_of_the_json_report(console):
    client, info = console
    _case(client, info, "G-Q1")
    case_id = _case(client, info, "G-Q2")
    token = signin(client, info.keys["reviewer"])
    client.post(f"/ui/cases/{case_id}/verdicts", data={"csrf": token, "verdict.BRB-GIFT-KEEP": "false_positive"})
    report = client.get("/v1/reports/rule-quality", headers={"Authorization": f"Bearer {info.keys['auditor']}"}).json()
    auditor = TestClient(client.app, base_url=info.base)
    signin(auditor, info.keys["auditor"])
    page = auditor.get("/ui/reports/rule-quality")
    assert page.status_code == 200
    for row in report["rules"]:
        cells = re.search(rf'<tr id="q-{row["rule_id"]}">(.*?)</tr>', page.text, re.S).group(1)
        numbers = re.findall(r"<td>([^<]*)</td>", cells)[1:]
        expected = [row[k] for k in ("cases", "true_positives", "false_positives", "unreviewed", "precision",
                                     "median_days_to_close", "overdue")]
        assert numbers == ["—" if v is None else str(v) for v in expected]
    assert report["tuning_candidates"] == ["BRB-GIFT-KEEP"] and '<ul id="candidates"><li>BRB-GIFT-KEEP' in page.text
    assert auditor.get("/ui/reports/rule-quality?from=2026-13-01").status_code == 422
