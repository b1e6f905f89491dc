"""Backtests as background jobs over the records in the store between two dates (the API's ``/v1/backtests``),
on the scan job machinery: one process per job, its state in ``<data dir>/backtests/jobs/<id>/job.json``
(status and progress), the report beside it."""

from __future__ import annotations

import datetime as dt
import json
import traceback
from pathlib import Path
from typing import Any

from conduct_engine.dates import parse_date
from conduct_engine.scan import jobs

FAMILY = "backtests"
REPORT = "report.json"


def submit(data_dir: Path, *, store_url: str, rules_dir: str, sets: list[str], start: dt.date, end: dt.date,
           as_of: dt.date | None, context: dict | None, owner: str) -> str:
    """Start a backtest job over the store at ``store_url`` (the app's: the job process is told it, it never looks
    it up in its environment or working directory); returns its id at once (``sets`` already checked)."""
    return jobs.spawn(jobs.jobs_dir(data_dir, FAMILY), run_job, job_args=(store_url,), owner=owner,
                      rules_dir=rules_dir, sets=sets, start=start.isoformat(), end=end.isoformat(),
                      as_of=as_of.isoformat() if as_of else None, context=context, total=None, done=0, error=None)


#: a job queued or running for longer than this is taken for dead (its process was killed) and not counted
STALE_SECONDS = 3600


def active(data_dir: Path) -> list[dict[str, Any]]:
    """The states of the backtest jobs queued or running now (for the caps of SPEC §12)."""
    root = jobs.jobs_dir(data_dir, FAMILY)
    now = dt.datetime.now(dt.UTC)
    out = []
    for state_file in root.glob("*/job.json") if root.is_dir() else ():
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
            age = (now - dt.datetime.fromisoformat(state["created_at"])).total_seconds()
        except (OSError, ValueError, KeyError):
            continue
        if state.get("status") in ("queued", "running") and age < STALE_SECONDS:
            out.append(state)
    return out


def job_path(data_dir: Path, job_id: str) -> Path | None:
    """A backtest job's directory, or None."""
    return jobs.job_path(data_dir, job_id, FAMILY)


def run_job(job_dir: str, store_url: str) -> None:
    """The job process: read the records stored at ``store_url``, run both packs over them, keep the report,
    log one entry."""
    from conduct_engine.backtest import build, log_backtest, run_backtest
    from conduct_engine.records import MODEL_BY_KIND
    from conduct_engine.store import Store
    job = Path(job_dir)
    state = jobs.update_state(job, status="running")
    try:
        test = build(state["rules_dir"], state["sets"])
        start, end = parse_date(state["start"]), parse_date(state["end"])
        aggregates = test.baseline.packs.aggregates.values()
        before = max((a.within_days for a in aggregates), default=0)
        after = max((a.after_days for a in aggregates), default=0)
        store = Store.open(store_url)
        try:
            stored = store.register.history(set(MODEL_BY_KIND), start - dt.timedelta(days=before),
                                            end + dt.timedelta(days=after))
            in_range = [h for h in stored if start <= h.day <= end]
            others = [h for h in stored if not start <= h.day <= end]
            models = [test.baseline.parse(h.dump, lenient=True) for h in sorted(in_range, key=lambda h: (h.day, h.id))]
            jobs.update_state(job, total=len(models))
            as_of = parse_date(state["as_of"]) if state.get("as_of") else end
            report = run_backtest(test, models, as_of=as_of, context=state.get("context"), history=others,
                                  on_progress=lambda done, _total: _progress(job, done), every=50)
            report["period"] = {"from": start.isoformat(), "to": end.isoformat()}
            (job / REPORT).write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
            report["decision_id"] = log_backtest(store, report, state["owner"], "api-backtest")
        finally:
            store.close()
        jobs.update_state(job, status="done", done=len(models), decision_id=report["decision_id"])
    except Exception as exc:  # a job reports its failure instead of dying silently
        jobs.update_state(job, status="failed", error=f"{type(exc).__name__}: {exc}",
                          trace=traceback.format_exc(limit=5))


def _progress(job: Path, done: int) -> None:
    jobs.update_state(job, done=done)


def status(job: Path) -> dict[str, Any]:
    """State, progress (records compared of total) and, when done, the report."""
    state = jobs.read_state(job)
    total, done = state.get("total"), state.get("done") or 0
    out = {k: state.get(k) for k in ("id", "status", "owner", "start", "end", "as_of", "sets", "created_at", "error",
                                     "decision_id")}
    out["progress"] = {"done": done, "total": total, "percent": round(100.0 * done / total, 1) if total else
                       (100.0 if state["status"] == "done" else 0.0)}
    if state["status"] == "done":
        out["result"] = json.loads((job / REPORT).read_text(encoding="utf-8"))
    return out


def report(job: Path) -> dict[str, Any]:
    """The finished job's report."""
    data: dict[str, Any] = json.loads((job / REPORT).read_text(encoding="utf-8"))
    return data
