"""``cases list|show|assign|comment|verdict|close|approve|reopen|quality`` and ``report rule-quality`` (SPEC §9).

The CLI works on the store directly, as an admin named by ``--actor`` (with ``--employee`` the employee it
is, for the four-eyes checks); every action is a case event in the decision log like one made over HTTP.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer

from conduct_engine.cli.common import EXIT_BAD_INPUT, err, open_store, out

cases_app = typer.Typer(help="Review cases opened by review and block decisions.", no_args_is_help=True)
report_app = typer.Typer(help="Reports over the store.", no_args_is_help=True)
ActorOpt = Annotated[str, typer.Option("--actor", help="Who acts (a key name; shown in the case and the log).")]
EmployeeOpt = Annotated[str | None, typer.Option("--employee", help="The employee the actor is (four eyes).")]


class QualityFormat(StrEnum):
    """Output formats of the rule-quality report."""

    table = "table"
    json = "json"
    csv = "csv"


def _show(case: Any) -> None:
    from conduct_engine.dates import today
    out.print(json.dumps(case.to_dict(today()), ensure_ascii=False), markup=False)


def _act(case_id: str, actor: str, employee: str | None, action: Callable[..., Any]) -> None:
    from conduct_engine.cases.lifecycle import Actor, CaseError
    from conduct_engine.store import CaseNotFound
    who = Actor(actor, "admin", "cli:" + actor, employee)
    try:
        _show(open_store().cases.act(case_id, lambda case: action(case, who)))
    except CaseNotFound:
        err.print(f"no case {case_id}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except CaseError as exc:
        err.print(f"refused ({exc.code}): {exc.message}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@cases_app.command("list")
def cases_list(status: Annotated[str | None, typer.Option("--status")] = None,
               assignee: Annotated[str | None, typer.Option("--assignee")] = None,
               subject: Annotated[str | None, typer.Option("--subject")] = None,
               overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue")] = None,
               limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100) -> None:
    """List cases, newest first, one JSON object per line."""
    from conduct_engine.dates import today
    from conduct_engine.store import CaseQuery
    page, _ = open_store().cases.page(CaseQuery(status=status, assignee=assignee, subject=subject, overdue=overdue,
                                                today=today(), limit=limit))
    for case in page:
        _show(case)


@cases_app.command("show")
def cases_show(case_id: str) -> None:
    """Show one case."""
    case = open_store().cases.get(case_id)
    if case is None:
        err.print(f"no case {case_id}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    _show(case)


@cases_app.command("assign")
def cases_assign(case_id: str, assignee: Annotated[str, typer.Option("--to", help="Reviewer's key name.")],
                 actor: ActorOpt = "cli", employee: EmployeeOpt = None) -> None:
    """Assign a case to a reviewer."""
    from conduct_engine.cases import lifecycle
    _act(case_id, actor, employee, lambda case, who: lifecycle.assign(case, who, assignee, False))


@cases_app.command("comment")
def cases_comment(case_id: str, text: Annotated[str, typer.Option("--text")], actor: ActorOpt = "cli",
                  employee: EmployeeOpt = None) -> None:
    """Comment on a case."""
    from conduct_engine.cases import lifecycle
    _act(case_id, actor, employee, lambda case, who: lifecycle.comment(case, who, text))


@cases_app.command("verdict")
def cases_verdict(case_id: str, rule_id: Annotated[str, typer.Option("--rule")],
                  verdict: Annotated[str, typer.Option("--verdict", help="true_positive or false_positive")],
                  actor: ActorOpt = "cli", employee: EmployeeOpt = None) -> None:
    """Mark a finding true or false positive."""
    from conduct_engine.cases import lifecycle
    if verdict not in ("true_positive", "false_positive"):
        err.print("--verdict must be true_positive or false_positive", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    _act(case_id, actor, employee, lambda case, who: lifecycle.verdicts(case, who, {rule_id: verdict}))


@cases_app.command("close")
def cases_close(case_id: str, disposition: Annotated[str, typer.Option("--disposition")],
                reason: Annotated[str, typer.Option("--reason")],
                action: Annotated[str | None, typer.Option("--action")] = None,
                waiver_expires: Annotated[str | None, typer.Option("--waiver-expires", help="YYYY-MM-DD")] = None,
                actor: ActorOpt = "cli", employee: EmployeeOpt = None) -> None:
    """Close a case (a four-eyes close waits for `cases approve`)."""
    from conduct_engine.cases import lifecycle
    from conduct_engine.dates import parse_date, today
    if disposition not in lifecycle.DISPOSITIONS:
        err.print(f"--disposition must be one of {', '.join(lifecycle.DISPOSITIONS)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        expires = parse_date(waiver_expires) if waiver_expires else None
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    _act(case_id, actor, employee, lambda case, who: lifecycle.close(case, who, disposition, reason, action,
                                                                      expires, today()))


@cases_app.command("approve")
def cases_approve(case_id: str, actor: ActorOpt = "cli", employee: EmployeeOpt = None) -> None:
    """Approve a close awaiting approval (a second reviewer)."""
    from conduct_engine.cases import lifecycle
    _act(case_id, actor, employee, lifecycle.approve)


@cases_app.command("reopen")
def cases_reopen(case_id: str, reason: Annotated[str, typer.Option("--reason")], actor: ActorOpt = "cli",
                 employee: EmployeeOpt = None) -> None:
    """Reopen a closed case."""
    from conduct_engine.cases import lifecycle
    _act(case_id, actor, employee, lambda case, who: lifecycle.reopen(case, who, reason))


def quality(fmt: Annotated[QualityFormat, typer.Option("--format")] = QualityFormat.table,
            opened_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
            opened_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
            min_precision: Annotated[float | None, typer.Option("--min-precision", min=0, max=1)] = None) -> None:
    """Per rule: cases, true and false positives, precision, median days to close, overdue; tuning candidates."""
    from conduct_engine.cases.quality import COLUMNS, rule_quality
    from conduct_engine.dates import parse_date, today
    from conduct_engine.settings import load_settings
    from conduct_engine.store import CaseQuery
    try:
        lo, hi = (parse_date(d) if d else None for d in (opened_from, opened_to))
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    day = today()
    threshold = load_settings().case_min_precision if min_precision is None else min_precision
    report = rule_quality(open_store().cases.all(CaseQuery(opened_from=lo, opened_to=hi, today=day)), today=day,
                          min_precision=threshold, opened_from=lo, opened_to=hi)
    rows = [r.to_dict() for r in report.rows]
    if fmt is QualityFormat.json:
        out.print(json.dumps(report.to_dict(), ensure_ascii=False), markup=False)
    elif fmt is QualityFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        out.print(buffer.getvalue(), end="", markup=False)
    else:
        from rich.table import Table
        table = Table(*COLUMNS, title=f"Rule quality (tuning under precision {threshold})")
        for row in rows:
            table.add_row(*("-" if row[c] is None else str(row[c]) for c in COLUMNS))
        out.print(table)
        out.print("tuning candidates: " + (", ".join(report.tuning_candidates) or "none"), markup=False)


cases_app.command("quality")(quality)
report_app.command("rule-quality")(quality)
