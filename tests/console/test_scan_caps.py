"""The console's scan form takes a job slot like POST /v1/scans: when all slots are taken it answers 429 on the
same form, in the chosen language, and starts nothing."""

from __future__ import annotations

import json
import os

from conduct_engine.scan import jobs
from tests.console.conftest import signin

CSV = "id,kind,employee_id,occurred_on,direction,form,value_cny\nG-1,gift,E-1,2026-10-10,received,goods,100\n"


def _fill_slots(data_dir, count: int) -> None:
    folder = jobs.slots_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):  # held by a live process (this one) under another key
        (folder / f"busy-{i}.json").write_text(json.dumps({"job_id": f"busy-{i}", "owner": "K-OTHER", "kind": "scan",
                                                           "pid": os.getpid()}), encoding="utf-8")


def _post(client, token, lang):
    return client.post("/ui/scans", data={"csrf": token, "as_of": "2026-11-30"},
                       files={"file": ("in.csv", CSV.encode(), "text/csv")}, follow_redirects=False)


def test_a_console_scan_waits_for_a_free_slot(console):
    client, info = console
    token = signin(client, info.keys["auditor"], "zh")
    _fill_slots(info.data_dir, 4)  # CONDUCT_MAX_JOBS defaults to 4
    refused = _post(client, token, "zh")
    assert refused.status_code == 429
    assert "同时运行的扫描已达上限" in refused.text
    assert not [p for p in jobs.jobs_dir(info.data_dir).glob("*/job.json")]  # nothing was started
    for path in jobs.slots_dir(info.data_dir).glob("busy-*.json"):
        path.unlink()
    started = _post(client, token, "zh")
    assert started.status_code == 303 and started.headers["location"].startswith("/ui/scans/")
    assert len(list(jobs.jobs_dir(info.data_dir).glob("*/job.json"))) == 1  # the check above can see a job
