"""The ``conduct-check scan`` command: a thin edge over ``job.run_scan`` and ``reports.write_report``."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from conduct_engine.errors import ConductError, PackError, RecordError

EXIT_PASS, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
_err = Console(stderr=True, soft_wrap=True)


class ScanFormat(StrEnum):
    """Report formats of ``scan``."""

    jsonl = "jsonl"
    csv = "csv"
    sarif = "sarif"
    junit = "junit"
    html = "html"
    xlsx = "xlsx"


class _Rate(ProgressColumn):
    """Records per second."""

    def render(self, task: Task) -> Text:
        """The task's speed."""
        return Text(f"{task.speed:,.0f} rec/s" if task.speed else "– rec/s", style="cyan")


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("scan"), BarColumn(), MofNCompleteColumn(), _Rate(), TextColumn("ETA"),
                    TimeRemainingColumn(), TimeElapsedColumn(), console=console, transient=False,
                    disable=not console.is_terminal)


def scan(
    paths: Annotated[list[str], typer.Argument(help="Files (.json, .jsonl, .csv, .xlsx, optionally .gz) or directories.")],
    mapping: Annotated[str | None, typer.Option("--mapping", help="Column mapping (YAML/JSON, SPEC §6).")] = None,
    context: Annotated[str | None, typer.Option("--context", help="Reference data (JSON/YAML).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD (default today).")] = None,
    format: Annotated[ScanFormat, typer.Option("--format", help="Report format.")] = ScanFormat.jsonl,
    out: Annotated[Path | None, typer.Option("--out", help="Report file (default: standard output).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Worker processes (default: cores).")] = None,
    cluster: Annotated[str | None, typer.Option("--cluster", help="Dask scheduler, e.g. tcp://host:8786.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted scan from its checkpoint.")] = False,
    pack: Annotated[Path | None, typer.Option("--pack", help="Rules directory (default: bundled rules/).")] = None,
    with_store: Annotated[bool, typer.Option("--with-store", help="Add the records kept in the store "
                                             "($CONDUCT_DATABASE_URL or ./data) to the batch's history.")] = False,
) -> None:
    """Audit scan: check every record of the inputs (each other's history); exit 0 clean, 1 findings or skipped rows."""
    from conduct_engine.dates import as_of_date
    from conduct_engine.inputs import read_mapping
    from conduct_engine.reports import write_report
    from conduct_engine.scan.job import run_scan
    if format is ScanFormat.xlsx and out is None:
        _err.print("--format xlsx needs --out FILE", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    started = time.perf_counter()
    progress = _progress(_err)
    task: Any = None

    def on_start(total: int, done: int) -> None:
        nonlocal task
        task = progress.add_task("scan", total=total, completed=done)
        if done:
            _err.print(f"resuming: {done} of {total} records already checked", markup=False)

    try:
        day = as_of_date(as_of)
        ctx = read_mapping(context) if context else None
        store = out.with_name(out.name + ".checkpoint") if out else None
        with progress:
            run = run_scan(paths, rules_dir=str(pack) if pack else None, mapping_path=mapping, context=ctx, as_of=day,
                           workers=workers, cluster=cluster, store=store, resume=resume, on_start=on_start,
                           stored_history=with_store,
                           on_progress=lambda n: progress.advance(task, n))
    except PackError as exc:
        _err.print(f"rule pack error ({len(exc.issues)}):", markup=False)
        for issue in exc.issues:
            _err.print(f"  {issue}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except RecordError as exc:  # a bad --context (or records file): listed like `check` does, before any worker
        _err.print("invalid input:", markup=False)
        for e in exc.errors:
            _err.print(f"  {(context + ': ') if context and not str(e['loc']).startswith(context) else ''}"
                       f"{e['loc']}: {e['msg']}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ConductError as exc:
        _err.print(f"scan error: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    summary = run.summary
    if out is None:
        import io
        buffer = io.BytesIO()
        from conduct_engine.reports import writer
        writer(format.value)(run.checkpoint.results(), summary, buffer)
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.flush()
    else:
        write_report(format.value, run.checkpoint.results(), summary, out)
    run.checkpoint.close(remove=True)
    elapsed = time.perf_counter() - started
    checked = summary["records"] - run.resumed
    d = summary["decisions"]
    _err.print(f"scanned {summary['records']} records from {summary['rows']} rows ({summary['skipped']} rows skipped) "
               f"in {elapsed:.1f} s ({checked / elapsed if elapsed else 0:,.0f} records/s): block {d['block']}, "
               f"review {d['review']}, pass {d['pass']}; {summary['findings']} findings"
               + (f" → {out}" if out else ""), markup=False, highlight=False)
    for f in summary.get("unreadable_files", []):
        _err.print(f"  unreadable {f['source']}: stopped at row {f['row']}: {f['reason']}", markup=False,
                   highlight=False)
    for p in summary["skipped_rows"][:20]:
        _err.print(f"  skipped {p['source']}:{p['row']} {p['column'] or '(row)'}: {p['reason']}", markup=False,
                   highlight=False)
    if len(summary["skipped_rows"]) > 20:
        _err.print(f"  … {len(summary['skipped_rows']) - 20} more problems listed in the report", markup=False)
    raise typer.Exit(EXIT_FINDINGS if d["block"] or d["review"] or summary["skipped"] else EXIT_PASS)
