"""Scans as background jobs (for the API): each job runs in its own process and keeps its state in
``<data dir>/scans/jobs/<id>/`` — ``job.json`` (status), the result store (progress), reports."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import threading
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conduct_engine.dates import parse_date
from conduct_engine.job_slots import JobSlots
from conduct_engine.scan import ScanInputError

_ID = re.compile(r"[0-9a-f]{32}")
RESULTS = "results.checkpoint"


def jobs_dir(data_dir: Path, family: str = "scans") -> Path:
    """Where the jobs of a family live (``scans``; ``backtests`` reuse this machinery)."""
    return data_dir / family / "jobs"


def update_state(job: Path, **changes: Any) -> dict[str, Any]:
    """Change fields of a job's state file (atomically); the new state."""
    return _write_state(job, **changes)


def _write_state(job: Path, **changes: Any) -> dict[str, Any]:
    state = read_state(job) if (job / "job.json").exists() else {}
    state.update(changes)
    tmp = job / "job.json.tmp"
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, job / "job.json")
    return state


def read_state(job: Path) -> dict[str, Any]:
    """A job's state file."""
    return json.loads((job / "job.json").read_text(encoding="utf-8"))


def job_path(data_dir: Path, job_id: str, family: str = "scans") -> Path | None:
    """A job's directory, or None for an unknown (or malformed) id."""
    if not _ID.fullmatch(job_id):
        return None
    path = jobs_dir(data_dir, family) / job_id
    return path if (path / "job.json").exists() else None


def slots_dir(data_dir: Path) -> Path:
    """Where the slots of running jobs (scans, backtests) live: one folder, so the cap in all covers both."""
    return data_dir / "scans" / "slots"


def submit(data_dir: Path, inputs: list[Path], *, mapping: Path | None, as_of: dt.date, rules_dir: str | None,
           owner: str, store_url: str | None, workers: int = 1, slots: JobSlots | None = None) -> str:
    """Start a scan job in a new process; returns its id at once.

    ``data_dir`` and ``store_url`` are the app's own (its settings' data dir, its store's URL; None: the app has
    no store, so the scan neither reads stored history nor logs its decisions): the job process is told them,
    it never looks them up in its environment or working directory.
    With ``slots``, the job takes one of them first (JobCapError, nothing started, when none is free).
    """
    return spawn(jobs_dir(data_dir), run_job, slots=slots, family="scan", job_args=(store_url,), owner=owner,
                 inputs=[str(p) for p in inputs], mapping=str(mapping) if mapping else None, as_of=as_of.isoformat(),
                 rules_dir=rules_dir, workers=workers, total=None, error=None)


def spawn(root: Path, target: Callable[..., None], *, slots: JobSlots | None = None, family: str = "scan",
          job_args: tuple[Any, ...] = (), **state: Any) -> str:
    """Start ``target(job_dir, *job_args)`` in a new process on a new job under ``root`` with ``state``; returns
    its id.

    ``job_args`` reach the process as arguments, not through ``job.json`` (a store URL may hold a password).
    With ``slots``, the job takes one of them first (JobCapError, nothing started, when none is free) and gives
    it back when its process ends.
    """
    job_id = uuid.uuid4().hex
    job = root / job_id

    def launch() -> int:
        job.mkdir(parents=True)
        _write_state(job, id=job_id, status="queued", **state,
                     created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        process = multiprocessing.get_context("spawn").Process(target=target, args=(str(job), *job_args),
                                                              daemon=True)
        process.start()

        def reap() -> None:  # when it ends, give its slot back
            process.join()
            if slots is not None:
                slots.release(job_id)
        threading.Thread(target=reap, daemon=True).start()
        return process.pid or 0

    if slots is None:
        launch()
    else:
        slots.start(str(state["owner"]), job_id, family, launch)
    return job_id


def run_job(job_dir: str, store_url: str | None = None) -> None:
    """The job process: run the scan into the job's result store, then record the summary or the error.

    With ``store_url`` (the app's store) the scan reads the stored history and logs its decisions there."""
    from conduct_engine.scan.job import run_scan
    job = Path(job_dir)
    state = _write_state(job, status="running")
    try:
        run = run_scan(state["inputs"], rules_dir=state["rules_dir"], mapping_path=state["mapping"],
                       as_of=parse_date(state["as_of"]), workers=state["workers"], store=job / RESULTS,
                       stored_history=store_url is not None, store_url=store_url, actor=state["owner"],
                       on_start=lambda total, done: _note_total(job, total))
        (job / "summary.json").write_text(json.dumps(run.summary, ensure_ascii=False), encoding="utf-8")
        run.checkpoint.close()
        _write_state(job, status="done")
    except Exception as exc:  # a job reports its failure instead of dying silently
        detail = str(exc) if isinstance(exc, ScanInputError) else f"{type(exc).__name__}: {exc}"
        _write_state(job, status="failed", error=detail, trace=traceback.format_exc(limit=5))


def _note_total(job: Path, total: int) -> None:
    _write_state(job, total=total)


def status(job: Path) -> dict[str, Any]:
    """State, progress (records checked of total) and, when done, the summary."""
    state = read_state(job)
    done = 0
    if (job / RESULTS).exists():
        try:
            with sqlite3.connect(f"file:{job / RESULTS}?mode=ro", uri=True, timeout=5) as db:
                done = int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
        except sqlite3.Error:
            done = 0
    total = state.get("total")
    out = {k: state.get(k) for k in ("id", "status", "owner", "as_of", "created_at", "error")}
    out["inputs"] = [Path(p).name for p in state.get("inputs", [])]
    out["progress"] = {"done": done, "total": total,
                       "percent": round(100.0 * done / total, 1) if total else (100.0 if state["status"] == "done"
                                                                                  else 0.0)}
    if state["status"] == "done":
        out["summary"] = json.loads((job / "summary.json").read_text(encoding="utf-8"))
    return out


def report(job: Path, fmt: str) -> Path:
    """The job's report in ``fmt`` (built once from the result store, then kept)."""
    from conduct_engine.reports import write_report
    from conduct_engine.scan.checkpoint import Checkpoint
    path = job / f"report.{fmt}"
    if not path.exists():
        summary = json.loads((job / "summary.json").read_text(encoding="utf-8"))
        store = Checkpoint(job / RESULTS, summary["scan_id"], resume=True, total=summary["records"])
        try:
            write_report(fmt, store.results(), summary, path)
        finally:
            store.close()
    return path


_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


def upload_name(name: str | None, default: str) -> str:
    """A safe base name for an uploaded file: no directories, no control characters, never ``.`` or ``..``."""
    base = _UNSAFE_NAME.sub("_", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return base[:120] or default


def save_upload(job_root: Path, name: str, data: Any) -> Path:
    """Keep an uploaded file under the data dir (a safe base name, see :func:`upload_name`), for a job to read."""
    folder = job_root / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    target = folder / upload_name(name, "upload")
    with target.open("wb") as fh:
        shutil.copyfileobj(data, fh)
    return target
