"""A scan's history is the batch plus what the store holds (SPEC §3.4), with --with-store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conduct_engine.cli import app
from conduct_engine.history import HistoryItem
from conduct_engine.store import Store
from tests.conftest import STARTER_RULES

GIFT = {"kind": "gift", "employee_id": "E-1", "direction": "received", "form": "goods", "disposition": "returned",
        "counterparty": {"party_id": "P-1", "group_id": "GRP-1"}}


def test_stored_records_join_the_batch_history(tmp_path, monkeypatch):
    import datetime as dt
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    store = Store.open()
    earlier = {**GIFT, "id": "G-OLD", "value_cny": 1500, "occurred_on": "2026-03-01"}
    with store.transaction() as conn:
        store.put_records(conn, [HistoryItem("gift", "G-OLD", dt.date(2026, 3, 1), earlier)], "test")
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({**GIFT, "id": "G-NEW", "value_cny": 600, "occurred_on": "2026-06-01"}) + "\n",
                     encoding="utf-8")
    runner = CliRunner()
    args = ["scan", str(batch), "--as-of", "2026-11-30", "--workers", "1", "--pack", str(STARTER_RULES)]
    alone = runner.invoke(app, args + ["--out", str(tmp_path / "a.jsonl")])
    with_store = runner.invoke(app, args + ["--with-store", "--out", str(tmp_path / "b.jsonl")])
    assert alone.exit_code == 0, alone.stderr
    assert with_store.exit_code == 1, with_store.stderr

    def results(name):
        lines = [json.loads(x) for x in (tmp_path / name).read_text(encoding="utf-8").splitlines()]
        return [r for r in lines if "record_id" in r], lines[-1]
    (only,), _ = results("a.jsonl")
    (joined,), summary = results("b.jsonl")
    assert only["violations"] == []
    assert [v["rule_id"] for v in joined["violations"]] == ["BRB-GIFT-AGG-365D"]
    assert joined["violations"][0]["related_records"] == ["G-OLD"]
