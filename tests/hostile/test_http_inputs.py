"""Hostile input over HTTP (SPEC §5, §12), against a real uvicorn server in a subprocess under a memory limit.

Each case sends one hostile request on a fresh keep-alive connection and asserts: a 4xx (never a 5xx) with the
documented error body (``detail``, ``code``, ``errors`` of ``{loc, msg, type}``), no traceback and no server
path in it; then the *same* connection answers the next request, and the server process is alive.

A 413 for a body over the byte limit is the one answer that closes the connection on purpose (the rest of an
oversized body is never read, so the connection cannot carry another request): that case asserts the
``Connection: close`` header and a new connection instead.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import LiveServer, billion_laughs, multipart

AS_OF = "2026-11-30"
GIFT = {"id": "G-1", "kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-10-10",
        "declared_at": "2026-10-11T09:00:00", "direction": "received", "form": "goods", "value_cny": 150,
        "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("http"), env={"CONDUCT_MAX_JOBS_PER_KEY": "2", "CONDUCT_MAX_JOBS": "3",
                                                            "CONDUCT_MAX_BATCH": "20"})
    yield live
    live.stop()


def _gift(**changes: Any) -> dict:
    return {**GIFT, **changes}


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def exchange(server: LiveServer, method: str, path: str, body: bytes | None = None, *, role: str | None = "admin",
             content_type: str = "application/json", expect: tuple[int, ...] = (422,),
             contains: tuple[str, ...] = ()) -> dict:
    """One hostile request on a new connection, then a normal one on the same connection; the error body."""
    conn = server.connect()
    headers = {"Content-Type": content_type} if body is not None else {}
    if role:
        headers["X-API-Key"] = server.keys[role]
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    raw = resp.read().decode("utf-8", errors="replace")
    assert resp.status in expect, (resp.status, raw[:2000])
    assert "Traceback" not in raw and str(server.tmp) not in raw and str(server.data) not in raw, raw[:2000]
    data = json.loads(raw)
    if resp.status >= 400:
        assert set(data) >= {"detail", "code", "errors"} and isinstance(data["code"], str), data
        assert all(set(e) == {"loc", "msg", "type"} for e in data["errors"]), data
    for text in contains:
        assert text in raw, (text, raw[:2000])
    if resp.getheader("connection", "").lower() == "close":
        assert resp.status == 413, "only a 413 for an unread body may close the connection"
        conn.close()
        conn = server.connect()
    conn.request("GET", "/v1/standards", headers={"X-API-Key": server.keys["auditor"]})
    follow = conn.getresponse()
    assert follow.status == 200, follow.read()[:500]
    follow.read()
    conn.close()
    assert server.alive()
    return data


# ---- POST /v1/check, /v1/check/batch, PUT /v1/reference, POST /v1/waivers, /v1/keys: bodies --------------------
BODY_CASES: dict[str, tuple[str, str, bytes, tuple[str, ...]]] = {
    "check: occurred_on in year 1": ("POST", "/v1/check", _json({"record": _gift(occurred_on="0001-01-01")}),
                                     ("record.occurred_on", "between 1900-01-01 and 2199-12-31")),
    "check: offset pushes past year 1": ("POST", "/v1/check", _json({"record": _gift(
        declared_at="0001-01-01T00:00:00+14:00")}), ("record.declared_at",)),
    "check: offset pushes past 9999": ("POST", "/v1/check", _json({"record": _gift(
        declared_at="9999-12-31T23:59:59-14:00")}), ("record.declared_at",)),
    "check: as_of in year 1": ("POST", "/v1/check", _json({"record": GIFT, "as_of": "0001-01-01"}), ("as_of",)),
    "check: duplicate dry_run": ("POST", "/v1/check", b'{"record": ' + _json(GIFT) + b', "dry_run": true, '
                                 b'"dry_run": false}', ("duplicate key 'dry_run'", '"loc": "body"')),
    "check: duplicate key in the record": ("POST", "/v1/check", b'{"record": {"id": "G-1", "kind": "gift", '
                                           b'"kind": "fee"}}', ("record", "duplicate key 'kind'")),
    "check: nested 10,000 deep": ("POST", "/v1/check", b'{"record": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                                  ("nested deeper than 64 levels",)),
    "check: 31-digit number": ("POST", "/v1/check", b'{"record": {"kind": "gift", "value_cny": '
                               + b"1" * 31 + b"}}", ("record.value_cny", "at most 30 digits")),
    "check: 1e400": ("POST", "/v1/check", b'{"record": {"kind": "gift", "value_cny": 1e400}}',
                     ("record.value_cny", "finite")),
    "check: NaN": ("POST", "/v1/check", b'{"record": {"kind": "gift", "value_cny": NaN}}', ("record.value_cny",)),
    "check: lone surrogate": ("POST", "/v1/check", b'{"record": {"kind": "gift", "description": "\\ud800"}}',
                              ("unpaired surrogate",)),
    "check: context date in year 1": ("POST", "/v1/check", _json({"record": GIFT, "context": {"employees": [
        {"id": "E-100", "certifications": [{"type": "fund_sales", "status": "valid", "expires_on": "0001-01-01"}]}]}}),
        ("context.",)),
    "check: body is a list": ("POST", "/v1/check", b"[1, 2]", ("body",)),
    "check: not UTF-8": ("POST", "/v1/check", b'{"record": "\xff\xfe"}', ("UTF-8",)),
    "check: truncated JSON": ("POST", "/v1/check", b'{"record": {"id": ', ("Malformed JSON",)),
    "batch: year-1 date in the second record": ("POST", "/v1/check/batch", _json({"records": [
        GIFT, _gift(id="G-2", occurred_on="0001-01-01")]}), ("records.1.occurred_on",)),
    "batch: duplicate key": ("POST", "/v1/check/batch", b'{"records": [], "records": []}',
                             ("duplicate key 'records'",)),
    "reference: empty object": ("PUT", "/v1/reference", b"{}", ("empty_reference", "allow_empty")),
    "reference: only empty lists": ("PUT", "/v1/reference", b'{"employees": [], "parties": []}',
                                    ("empty_reference",)),
    "reference: date in year 1": ("PUT", "/v1/reference", _json({"employees": [{"id": "E-1", "certifications": [
        {"type": "fund_sales", "status": "valid", "expires_on": "0001-01-01"}]}]}), ("reference.",)),
    "reference: duplicate key": ("PUT", "/v1/reference", b'{"employees": [{"id": "E-1", "id": "E-2"}]}',
                                 ("employees.0", "duplicate key 'id'")),
    "waiver: already expired": ("POST", "/v1/waivers", _json({"rule_id": "BRB-CASH", "subject": "E-1", "reason": "r",
                                                              "approver": "a", "expires_on": "2020-01-01"}),
                                ("waiver_expired", "expires_on")),
    "waiver: unknown rule id": ("POST", "/v1/waivers", _json({"rule_id": "NO-SUCH-RULE", "subject": "E-1",
                                                              "reason": "r", "approver": "a",
                                                              "expires_on": "2099-01-01"}), ("unknown_rule",)),
    "waiver: expiry in year 1": ("POST", "/v1/waivers", _json({"rule_id": "BRB-CASH", "subject": "E-1", "reason": "r",
                                                               "approver": "a", "expires_on": "0001-01-01"}),
                                 ("expires_on",)),
    "waiver: duplicate key": ("POST", "/v1/waivers", b'{"rule_id": "BRB-CASH", "rule_id": "X"}',
                              ("duplicate key 'rule_id'",)),
    "waiver: reason of 100,000 characters": ("POST", "/v1/waivers", _json({
        "rule_id": "BRB-CASH", "subject": "E-1", "reason": "x" * 100_000, "approver": "a",
        "expires_on": "2099-01-01"}), ("reason",)),
    "keys: unknown role": ("POST", "/v1/keys", b'{"name": "x", "role": "root"}', ("role",)),
    "keys: duplicate key": ("POST", "/v1/keys", b'{"name": "x", "role": "admin", "role": "submitter"}',
                            ("duplicate key 'role'",)),
    "keys: 31-digit name": ("POST", "/v1/keys", b'{"name": ' + b"9" * 31 + b', "role": "admin"}',
                            ("at most 30 digits",)),
}


@pytest.mark.parametrize("case", sorted(BODY_CASES))
def test_hostile_bodies_get_422_on_a_connection_that_stays_usable(server, case):
    method, path, body, contains = BODY_CASES[case]
    exchange(server, method, path, body, contains=contains)


def test_empty_reference_can_be_cleared_on_purpose(server):
    exchange(server, "PUT", "/v1/reference?allow_empty=true", b"{}", expect=(200,))


def test_oversized_body_is_413_and_closes_only_that_connection(server):
    conn = server.connect()  # headers only: the server answers before a byte of the 20 MB body is sent
    conn.putrequest("POST", "/v1/check")
    for name, value in (("Content-Type", "application/json"), ("Content-Length", "20971520"),
                        ("X-API-Key", server.keys["admin"])):
        conn.putheader(name, value)
    conn.endheaders()
    resp = conn.getresponse()
    data = json.loads(resp.read())
    assert resp.status == 413 and data["code"] == "payload_too_large" and resp.getheader("connection") == "close"
    conn.close()
    exchange(server, "GET", "/healthz", None, expect=(200,))


def test_oversized_batch_is_413_on_a_connection_that_stays_usable(server):
    data = exchange(server, "POST", "/v1/check/batch", _json({"records": [GIFT] * 21}), expect=(413,))
    assert data["code"] == "batch_too_large"


# ---- POST /v1/scans: paths, uploads, mappings, caps ------------------------------------------------------------
def _scan(server: LiveServer, fields: dict[str, str], files: dict[str, tuple[str, bytes]], **kw: Any) -> dict:
    body, ctype = multipart(fields, files)
    return exchange(server, "POST", "/v1/scans", body, content_type=ctype, **kw)


CSV = b"id,kind,employee_id,occurred_on,direction,form,value_cny\nG-1,gift,E-100,2026-10-10,received,goods,150\n"
MAPPING_CASES: dict[str, tuple[str, bytes, tuple[str, ...]]] = {
    "billion laughs": ("m.yaml", billion_laughs(12).encode(), ("m.yaml:6", "more than 100,000 nodes")),
    "recursive alias": ("m.yaml", b"kind: &a [*a]\n", ("m.yaml:1", "refers to a node that contains it")),
    "python tag": ("m.yaml", b"kind: !!python/object/apply:os.system [id]\n", ("custom tags",)),
    "kind nonsense": ("m.yaml", b"kind: nonsense\ncolumns: {id: id}\n", ("'nonsense' is not a record kind",)),
    "object and its field": ("m.yaml", b"kind: gift\ncolumns: {id: id, counterparty: a, counterparty.name: b}\n",
                             ("counterparty and counterparty.name are both given",)),
    "duplicate key": ("m.yaml", b"kind: gift\nkind: fee\n", ("m.yaml:2", "duplicate key 'kind'")),
    "JSON mapping too deep": ("m.json", b"[" * 5000 + b"]" * 5000, ("m.json:1", "nested deeper")),
    "mapping of type .exe": ("m.exe", b"kind: gift\n", ("unsupported_upload",)),
}


@pytest.mark.parametrize("case", sorted(MAPPING_CASES))
def test_bad_uploaded_mappings_are_422_without_server_paths(server, case):
    name, data, contains = MAPPING_CASES[case]
    _scan(server, {}, {"file": ("in.csv", CSV), "mapping": (name, data)}, role="auditor", contains=contains)


UPLOAD_CASES: dict[str, tuple[dict[str, str], dict[str, tuple[str, bytes]], tuple[int, ...], tuple[str, ...]]] = {
    "upload named ..": ({}, {"file": ("..", CSV)}, (422,), ("unsupported_upload",)),
    "upload named x.exe": ({}, {"file": ("x.exe", b"MZ\x90\x00")}, (422,), ("unsupported file type 'x.exe'",)),
    "upload with a path in its name": ({}, {"file": ("../../../etc/passwd", b"root:x:0:0")}, (422,),
                                       ("unsupported file type 'passwd'",)),
    "scan path with a NUL byte": ({"path": "a\x00b.csv"}, {}, (422,), ("NUL",)),
    "scan path outside the root": ({"path": "../../../../etc/passwd"}, {}, (403,), ("import folder",)),
    "scan path that does not exist": ({"path": "nope.csv"}, {}, (422,), ("No such file",)),
    "no file and no path": ({}, {}, (422,), ("exactly one of",)),
    "as_of in year 1": ({"as_of": "0001-01-01"}, {"file": ("in.csv", CSV)}, (422,), ("as_of",)),
}


@pytest.mark.parametrize("case", sorted(UPLOAD_CASES))
def test_bad_scan_requests_are_4xx(server, case):
    fields, files, expect, contains = UPLOAD_CASES[case]
    _scan(server, fields, files, expect=expect, contains=contains)


def test_a_symlink_out_of_the_scan_root_is_refused(server, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_bytes(CSV)
    folder = server.imports / "batch"
    folder.mkdir()
    (folder / "ok.csv").write_bytes(CSV)
    os.symlink(outside, folder / "leak.csv")
    _scan(server, {"path": "batch"}, {}, expect=(403,), contains=("leads outside the import folder",))
    os.symlink(outside, server.imports / "direct.csv")
    _scan(server, {"path": "direct.csv"}, {}, expect=(403,), contains=("inside the import folder",))


def _wait_for_free_slots(server: LiveServer) -> None:
    from conduct_engine.job_slots import JobSlots
    from conduct_engine.scan.jobs import slots_dir
    slots = JobSlots(slots_dir(server.data), per_key=1, total=1)
    deadline = time.monotonic() + 120
    while slots.active() and time.monotonic() < deadline:
        time.sleep(0.2)


def test_scan_jobs_are_capped_per_key_and_in_all(server):
    _wait_for_free_slots(server)
    started, refused = [], []
    for role in ("auditor", "auditor", "auditor", "admin", "admin"):
        body, ctype = multipart({}, {"file": ("in.csv", CSV)})
        conn = server.connect()
        conn.request("POST", "/v1/scans", body=body, headers={"Content-Type": ctype, "X-API-Key": server.keys[role]})
        resp = conn.getresponse()
        data = json.loads(resp.read())
        (started if resp.status == 202 else refused).append((role, resp.status, data))
        conn.close()
    assert [r for r, *_ in started] == ["auditor", "auditor", "admin"], started  # 2 per key, 3 in all
    assert [(r, s, d["code"]) for r, s, d in refused] == [("auditor", 429, "too_many_jobs"),
                                                          ("admin", 429, "too_many_jobs")], refused
    assert "per key" in refused[0][2]["detail"] and "in all" in refused[1][2]["detail"]
    conn = server.connect()
    for _, _, data in started:  # the slots come back when the jobs end
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            conn.request("GET", f"/v1/scans/{data['id']}", headers={"X-API-Key": server.keys["admin"]})
            status = json.loads(conn.getresponse().read())["status"]
            if status in ("done", "failed"):
                break
            time.sleep(0.3)
        assert status == "done"
    conn.close()
    _wait_for_free_slots(server)
    _scan(server, {}, {"file": ("in.csv", CSV)}, role="auditor", expect=(202,))


# ---- POST /v1/packs/reload: broken packs are 422 with file:line, the packs in force keep serving ----------------
def _rule(rule_id: str, when: str) -> str:
    return (f"  - id: {rule_id}\n    standard: anti_bribery\n    severity: review\n    applies_to: gift\n"
            f"    when: {json.dumps(when)}\n    message: {{zh: 测试, en: test}}\n    remediation: {{zh: 测试, en: test}}\n"
            "    source: 职业操守 九\n    tests: {fires: [{value_cny: 5000}], silent: [{value_cny: 0}]}\n")


RELOAD_CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "alias bomb": ("pack: zz\nversion: '1'\n" + billion_laughs(12), ("zz.yaml:8", "more than 100,000 nodes")),
    "recursive alias": ("pack: zz\nversion: '1'\nrules: &r [*r]\n", ("zz.yaml:3", "contains it")),
    "1e400 in a condition": ("pack: zz\nversion: '1'\nrules:\n" + _rule("ZZ-1", "value_cny > 1e400"),
                             ("zz.yaml:8", "not finite")),
    "number plus text": ("pack: zz\nversion: '1'\nrules:\n" + _rule("ZZ-1", 'value_cny + "a" > 1'),
                         ("zz.yaml:8", "arithmetic on 'a'")),
    "401 rules for one kind": ("pack: zz\nversion: '1'\nrules:\n" + "".join(
        _rule(f"ZZ-{i}", f"value_cny > {i}") for i in range(398)), ("401 rules for record kind 'gift'",)),
    "regex the engine cannot match": ("pack: zz\nversion: '1'\nrules:\n" + _rule(
        "ZZ-1", 'matches(description, "a{100}a{100}")'), ("zz.yaml:8", "the engine cannot match it")),
}


@pytest.mark.parametrize("case", sorted(RELOAD_CASES))
def test_broken_packs_are_422_on_reload_and_the_old_packs_serve(server, case):
    text, contains = RELOAD_CASES[case]
    bad = server.rules / "conduct" / "zz.yaml"
    bad.write_text(text, encoding="utf-8")
    try:
        data = exchange(server, "POST", "/v1/packs/reload", None, contains=contains)
        assert data["code"] == "invalid_pack" and data["errors"], data
    finally:
        bad.unlink()
    exchange(server, "POST", "/v1/check", _json({"record": _gift(form="shopping_card", value_cny=2000),
                                                 "as_of": AS_OF, "dry_run": True}), expect=(200,))


# ---- reads with hostile ids; and the application log ------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/scans/..%2F..%2Fetc", "/v1/scans/%00", "/v1/rules/" + "X" * 5000,
                                  "/v1/decisions/%ff%fe"])
def test_hostile_ids_in_paths_are_404(server, path):
    exchange(server, "GET", path, None, expect=(404, 422))


def test_decisions_and_errors_reach_the_application_log(server):
    exchange(server, "POST", "/v1/check", _json({"record": _gift(id="G-LOG", form="shopping_card", value_cny=2000),
                                                 "as_of": AS_OF, "dry_run": True}), expect=(200,))
    deadline = time.monotonic() + 10
    lines: list[dict] = []
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in Path(server.log_file).read_text(encoding="utf-8").splitlines() if line]
        if any(line.get("event") == "decision" and line.get("record") == "G****" for line in lines):
            break
        time.sleep(0.2)
    decisions = [line for line in lines if line.get("event") == "decision"]
    assert decisions, lines
    last = decisions[-1]
    assert last["level"] == "INFO" and last["decision"] == "block" and last["rules"], last
    assert "上海某贸易公司" not in json.dumps(lines, ensure_ascii=False) and last["name"].startswith("上*")
    assert "G-LOG" not in json.dumps(lines)


# ---- a 5xx keeps the connection too -----------------------------------------------------------------------------
def test_a_500_and_a_503_keep_the_connection_alive(tmp_path):
    """A bug (500) or a store that is down (503) is answered with the one body, and the connection goes on."""
    import http.client
    import socket
    import threading

    import uvicorn
    from sqlalchemy.exc import OperationalError

    from api import create_app
    from conduct_engine.engine import Engine

    from .conftest import RULES

    app = create_app(Engine.from_paths(RULES))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.get("/store-down")
    def store_down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path, status, code in (("/boom", 500, "internal_error"), ("/store-down", 503, "store_unavailable"),
                                   ("/boom", 500, "internal_error")):
            conn.request("GET", path)
            resp = conn.getresponse()
            body = json.loads(resp.read())
            assert resp.status == status and body["code"] == code and "Traceback" not in json.dumps(body)
            assert resp.getheader("connection", "").lower() != "close"
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            assert resp.status == 200, resp.read()
            resp.read()
        conn.close()
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
