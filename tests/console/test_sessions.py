"""Sessions and CSRF: every form refuses a missing token and another session's token; signing out ends the
session for the old cookie; cookies are HttpOnly and SameSite=Strict (Secure over TLS); a revoked key's session
ends; without auth the console signs in as the local admin; the JSON API keeps its error body."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import build_app
from conduct_engine.settings import load_settings

from .conftest import CSRF, signin

#: every form of the console: path -> fields (without the token) and files
FORMS = {
    "/ui/lang": ({"lang": "en", "next": "/ui/rules"}, None),
    "/ui/declare": ({"form_kind": "gift", "employee_id": "E-1", "occurred_on": "2026-11-20", "direction": "received",
                     "form": "goods", "value_cny": "100"}, None),
    "/ui/declare/json": ({"record": '{"id": "G-J", "kind": "gift", "employee_id": "E-1", "direction": "received", '
                                    '"form": "goods", "value_cny": 100}'}, None),
    "/ui/loan-check": ({"record": '{"id": "LF-1", "kind": "loan_file"}'}, None),
    "/ui/scans": ({"as_of": "2026-11-30"}, {"file": ("g.jsonl", b"{}\n", "application/json")}),
    "/ui/signout": ({}, None),
    "/ui/cases/{case}/assign": ({}, None),
    "/ui/cases/{case}/verdicts": ({"verdict.BRB-GIFT-KEEP": "true_positive"}, None),
    "/ui/cases/{case}/comments": ({"text": "看过了"}, None),
    "/ui/cases/{case}/close": ({"disposition": "substantiated", "action": "returned", "reason": "已退还"}, None),
    "/ui/cases/{case}/approve": ({}, None),
    "/ui/cases/{case}/reopen": ({"reason": "重新核查"}, None),
    "/ui/cases/{case}/acknowledge": ({}, None),
}


def _a_case(client: TestClient, info) -> str:
    """A review case (a gift of goods worth 900 yuan, declared through the API by the submitter)."""
    answer = client.post("/v1/check", headers={"Authorization": f"Bearer {info.keys['submitter']}"},
                         json={"record": {"id": "G-CSRF", "kind": "gift", "employee_id": "E-1",
                                          "occurred_on": "2026-11-20", "direction": "received", "form": "goods",
                                          "value_cny": 900, "counterparty": {"name": "X"}}})
    assert answer.status_code == 200, answer.text
    case = info.store.cases.for_record("gift", "G-CSRF")
    assert case is not None
    return case.id


def _post(client: TestClient, path: str, token: str | None, form: str | None = None) -> int:
    fields, files = FORMS[form or path]
    data = dict(fields) | ({"csrf": token} if token is not None else {})
    return client.post(path, data=data, files=files, follow_redirects=False).status_code


@pytest.mark.parametrize("path", sorted(FORMS))
def test_every_form_refuses_a_missing_or_foreign_csrf_token(console, path):
    client, info = console
    secret = info.keys["admin"]  # admin may post every form (but only the subject acknowledges)
    form = path
    if "{case}" in path:
        path = path.format(case=_a_case(client, info))
        secret = info.keys["submitter"] if path.endswith("/acknowledge") else secret
    mine = signin(client, secret)
    other = TestClient(client.app, base_url=info.base)
    theirs = signin(other, info.keys["submitter"])
    assert _post(client, path, None, form) == 403
    assert _post(client, path, "", form) == 403
    assert _post(client, path, theirs, form) == 403
    page = client.post(path, data={**FORMS[form][0], "csrf": theirs}, files=FORMS[form][1])
    assert "表单已过期或来源不明" in page.text and page.headers["content-type"].startswith("text/html")
    # the right token passes (422: the form's own errors; 409: the case's status does not allow it yet)
    assert _post(client, path, mine, form) in (200, 303, 409, 422)


def test_the_signin_form_refuses_a_missing_or_foreign_token(console):
    client, info = console
    client.get("/ui/signin")
    foreign = CSRF.search(TestClient(client.app, base_url=info.base).get("/ui/signin").text).group(1)
    for token in (None, "", foreign):
        data = {"key": info.keys["submitter"], "next": "/ui/"} | ({"csrf": token} if token is not None else {})
        assert client.post("/ui/signin", data=data, follow_redirects=False).status_code == 403
    assert client.cookies.get("cc_session") is None


def test_sign_out_ends_the_session_for_the_old_cookie(console):
    client, info = console
    csrf = signin(client, info.keys["submitter"])
    old = client.cookies.get("cc_session")
    assert client.get("/ui/declare", follow_redirects=False).status_code == 200
    answer = client.post("/ui/signout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/signin"
    assert "cc_session=" in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
    replay = TestClient(client.app, base_url=info.base, cookies={"cc_session": old})
    gone = replay.get("/ui/declare", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/ui/signin?next=/ui/declare"
    assert replay.post("/ui/declare", data={"csrf": csrf}, follow_redirects=False).status_code == 303


def test_cookies_are_http_only_strict_and_secure_over_tls(console):
    client, info = console
    tls = TestClient(client.app, base_url="https://testserver")
    tls.get("/ui/signin")
    token = CSRF.search(tls.get("/ui/signin").text).group(1)
    answer = tls.post("/ui/signin", data={"csrf": token, "key": info.keys["auditor"], "next": "/ui/scans"},
                      follow_redirects=False)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("cc_session="))
    assert {"HttpOnly", "Secure", "SameSite=strict", "Path=/ui"} <= {p.strip() for p in cookie.split(";")}
    assert answer.headers["location"] == "/ui/scans"
    plain = TestClient(client.app, base_url=info.base)
    plain.get("/ui/signin")
    token = CSRF.search(plain.get("/ui/signin").text).group(1)
    answer = plain.post("/ui/signin", data={"csrf": token, "key": info.keys["auditor"]}, follow_redirects=False)
    assert "Secure" not in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]


def test_a_bad_key_comes_back_on_the_form_and_next_stays_on_this_server(console):
    client, info = console
    page = client.get("/ui/signin?lang=en&next=//evil.example/x")
    token = CSRF.search(page.text).group(1)
    bad = client.post("/ui/signin", data={"csrf": token, "key": "cc_nope", "lang": "en"})
    assert bad.status_code == 401 and "Unknown or revoked API key" in bad.text and 'aria-invalid="true"' in bad.text
    token = CSRF.search(bad.text).group(1)
    ok = client.post("/ui/signin", data={"csrf": token, "key": info.keys["submitter"], "next": "//evil.example/x"},
                     follow_redirects=False)
    assert ok.headers["location"] == "/ui/"


def test_a_revoked_key_or_an_expired_session_no_longer_works(console):
    client, info = console
    signin(client, info.keys["auditor"])
    assert client.get("/ui/audit", follow_redirects=False).status_code == 200
    auditor = next(k for k in info.store.keys.all() if k.role == "auditor")
    info.store.keys.revoke(auditor.id)
    assert client.get("/ui/audit", follow_redirects=False).status_code == 303
    token, _ = info.store.sessions.create("K-x", "x", "admin", "zh", dt.timedelta(seconds=-1))
    assert info.store.sessions.get(token) is None


def test_roles_decide_the_menu_and_every_page_checks_again(console):
    client, info = console
    signin(client, info.keys["submitter"])
    menu = client.get("/ui/rules").text
    assert 'href="/ui/declare"' in menu and 'href="/ui/scans"' not in menu and 'href="/ui/audit"' not in menu
    for path in ("/ui/scans", "/ui/audit", "/ui/scans/" + "0" * 32):
        answer = client.get(path)
        assert answer.status_code == 403 and "您的角色无权访问此页面" in answer.text, path
    reviewer = TestClient(client.app, base_url=info.base)
    signin(reviewer, info.keys["reviewer"])
    assert reviewer.get("/ui/declare").status_code == 403 and reviewer.get("/ui/rules").status_code == 200


def test_decisions_of_another_key_are_not_shown(console):
    client, info = console
    csrf = signin(client, info.keys["submitter"])
    answer = client.post("/ui/declare", data={**FORMS["/ui/declare"][0], "csrf": csrf}, follow_redirects=False)
    decision = answer.headers["location"]
    assert client.get(decision).status_code == 200
    other = TestClient(client.app, base_url=info.base)
    signin(other, info.keys["submitter2"])
    assert other.get(decision).status_code == 404
    assert "E-1" not in other.get("/ui/declarations").text
    auditor = TestClient(client.app, base_url=info.base)
    signin(auditor, info.keys["auditor"])
    assert auditor.get(decision).status_code == 200


def test_field_errors_follow_the_language_and_keep_what_was_typed(console):
    client, info = console
    csrf = signin(client, info.keys["submitter"], lang="en")
    page = client.post("/ui/declare", data={"csrf": csrf, "form_kind": "entertainment", "employee_id": "E-1",
                                            "attendees": "many", "counterparty.name": "<b>ACME</b>"})
    assert page.status_code == 422
    assert "Field required" in page.text and 'value="many"' in page.text
    assert 'value="&lt;b&gt;ACME&lt;/b&gt;"' in page.text  # kept, and escaped
    assert 'id="f-attendees-err1"' in page.text
    assert 'id="f-occurred_on-err1"' in page.text  # the form asks for the date although the model does not


def test_json_paste_and_upload(console):
    client, info = console
    csrf = signin(client, info.keys["submitter"])
    dup = client.post("/ui/declare/json", data={"csrf": csrf, "record": '{"id": "a", "id": "b"}'})
    assert dup.status_code == 422 and "duplicate key" in dup.text
    record = (b'{"record": {"id": "O-1", "kind": "outside_activity", "employee_id": "E-1", "type": "gambling",'
              b' "occurred_on": "2026-11-01"}, "as_of": "2026-11-30"}')
    answer = client.post("/ui/declare/json", data={"csrf": csrf}, files={"file": ("o.json", io.BytesIO(record))},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert "O-1" in client.get(answer.headers["location"]).text


def test_without_auth_the_console_signs_in_as_the_local_admin(tmp_path, real_engine):
    app = build_app(load_settings(auth=False, data_dir=tmp_path), engine=real_engine)  # no store: sessions in memory
    client = TestClient(app)
    page = client.get("/ui/audit")
    assert page.status_code == 200 and "local" in page.text and "管理员" in page.text
    assert "没有配置存储" in page.text


def test_the_json_api_keeps_its_error_body(console):
    client, _ = console
    answer = client.get("/v1/nothing-here")
    assert answer.status_code == 404 and answer.json()["code"]
    assert client.get("/ui/nothing-here").headers["content-type"].startswith("text/html")
    assert client.get("/ui/nothing-here").status_code == 404
