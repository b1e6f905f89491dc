"""``backtest``: the current packs and changed ones over the same records; what moves (SPEC §10)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from conduct_engine.cli.common import EXIT_BAD_INPUT, EXIT_PASS, bad_input, err, open_store
from conduct_engine.errors import ConductError, PackError, RecordError


def backtest(
    data: Annotated[list[str], typer.Argument(help="Record files or directories (as for scan).")],
    mapping: Annotated[str | None, typer.Option("--mapping", help="Column mapping for CSV/XLSX inputs.")] = None,
    context: Annotated[str | None, typer.Option("--context", help="Reference data (JSON/YAML).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="PARAM=VALUE or BRANCH:PARAM=VALUE (repeatable).")]
    = None,
    pack: Annotated[Path | None, typer.Option("--pack", help="Candidate rules directory (the changed packs).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Baseline rules directory (default: the packs "
                                                               "in force).")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json, html or xlsx.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report here (default: stdout).")] = None,
    actor: Annotated[str, typer.Option("--actor", help="Who runs it (named in the decision log).")] = "cli",
    log: Annotated[bool, typer.Option("--log/--no-log", help="Append the backtest's entry to the decision "
                                                             "log.")] = True,
) -> None:
    """Compare the current packs with changed ones over the same records; nothing is stored."""
    from conduct_engine.backtest import build, log_backtest, run_backtest
    from conduct_engine.backtest.report import FORMATS, render
    from conduct_engine.dates import as_of_date
    from conduct_engine.engine import default_rules_dir
    from conduct_engine.inputs import read_mapping
    from conduct_engine.scan import ScanInputError
    from conduct_engine.scan.mapping import Mapping
    from conduct_engine.scan.prepare import prepare
    if format not in FORMATS:
        err.print(f"unknown format {format!r}; use one of {', '.join(FORMATS)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if not set_ and pack is None:
        err.print("nothing to compare: give --set PARAM=VALUE, --set BRANCH:PARAM=VALUE or --pack DIR", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        day = as_of_date(as_of)
        test = build(rules or default_rules_dir(), list(set_ or []), pack)
        packs = test.baseline.packs
        ctx = read_mapping(context) if context else None
        mapped = Mapping.load(mapping, packs.fx) if mapping else None
        text = Path(mapping).read_text(encoding="utf-8", errors="replace") if mapping else ""
        plan = prepare(list(data), packs=packs, as_of=day, mapping=mapped, mapping_text=text, context=ctx)
        if plan.problems:
            err.print(f"{len(plan.problems_by_row())} rows skipped (see `conduct-check scan` for the list)",
                      markup=False)
        report = run_backtest(test, [item.model for item in plan.items], as_of=day, context=ctx)
    except PackError as exc:
        err.print(f"rule pack error ({len(exc.issues)}):", markup=False)
        for issue in exc.issues:
            err.print(f"  {issue}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except RecordError as exc:
        raise bad_input(exc) from None
    except (ConductError, ScanInputError, ValueError) as exc:
        where = f" ({exc.loc})" if isinstance(exc, ConductError) and exc.loc else ""
        err.print(f"error{where}: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if log:
        store = open_store()
        try:
            log_backtest(store, report, actor, "cli-backtest")
        finally:
            store.close()
    body = render(report, format)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    raise typer.Exit(EXIT_PASS)
