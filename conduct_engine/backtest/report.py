"""The backtest report in each format: ``table`` (text), ``json``, ``html`` (Jinja2, an inline SVG chart of the
moves, offline) and ``xlsx`` (openpyxl)."""

from __future__ import annotations

import io
import json
from typing import Any

from conduct_engine.backtest.diff import moved_findings

FORMATS = ("table", "json", "html", "xlsx")


def as_table(report: dict[str, Any]) -> str:
    """A plain-text summary: decisions before and after, moves, and the rules whose findings moved."""
    from rich.console import Console
    from rich.table import Table
    buf = io.StringIO()
    console = Console(file=buf, width=140, soft_wrap=True)
    base, cand = report["baseline"], report["candidate"]
    console.print(f"backtest of {report['records']} records as of {report['as_of']}: {base['pack']['name']} "
                  f"{base['pack']['version']} → {cand['pack']['version']}", markup=False, highlight=False)
    decisions = Table("decision", "baseline", "candidate", title="Decisions")
    for name in ("pass", "review", "block"):
        decisions.add_row(name, str(base["decisions"][name]), str(cand["decisions"][name]))
    console.print(decisions)
    moves = Table("moved", "records", title="Decisions moved")
    for move, n in report["decisions_moved"].items():
        moves.add_row(move, str(n))
    console.print(moves)
    rules = Table("rule", "added", "removed", "unchanged", title="Findings by rule (rules that moved)")
    for rule_id, t in moved_findings(report).items():
        rules.add_row(rule_id, str(t["added"]), str(t["removed"]), str(t["unchanged"]))
    console.print(rules)
    return buf.getvalue()


def as_html(report: dict[str, Any]) -> bytes:
    """One self-contained page with a chart of the moves."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from conduct_engine.reports.charts import bar_chart
    env = Environment(loader=PackageLoader("conduct_engine.backtest", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    moved = moved_findings(report)
    charts = [("Decisions moved", bar_chart(report["decisions_moved"] or {"none": 0}, "Decisions moved")),
              ("Findings added by rule", bar_chart({r: t["added"] for r, t in moved.items() if t["added"]}
                                                  or {"none": 0}, "Findings added")),
              ("Findings removed by rule", bar_chart({r: t["removed"] for r, t in moved.items() if t["removed"]}
                                                    or {"none": 0}, "Findings removed"))]
    return env.get_template("backtest.html.j2").render(r=report, moved=moved, charts=charts).encode()


def as_xlsx(report: dict[str, Any]) -> bytes:
    """A workbook: Summary, By rule, By branch, By employee, Changed records."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append(["records", report["records"]])
    sheet.append(["as of", report["as_of"]])
    sheet.append(["changes", json.dumps(report["changes"], ensure_ascii=False)])
    sheet.append(["decision", "baseline", "candidate"])
    for name in ("pass", "review", "block"):
        sheet.append([name, report["baseline"]["decisions"][name], report["candidate"]["decisions"][name]])
    for move, n in report["decisions_moved"].items():
        sheet.append([move, n])
    for title, key in (("By rule", "by_rule"), ("By standard", "by_standard"), ("By branch", "by_branch"),
                       ("By employee", "by_employee")):
        part = book.create_sheet(title)
        part.append([key[3:], "added", "removed", "unchanged"])
        for name, t in report[key].items():
            part.append([name, t["added"], t["removed"], t["unchanged"]])
    changed = book.create_sheet("Changed records")
    changed.append(["record_id", "kind", "branch", "employee_id", "from", "to", "added", "removed"])
    for c in report["changed_records"]:
        changed.append([c["record_id"], c["kind"], c["branch"], c["employee_id"], c["from"], c["to"],
                        ", ".join(c["added"]), ", ".join(c["removed"])])
    for ws in book.worksheets:  # data, never formulas
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def render(report: dict[str, Any], fmt: str) -> bytes:
    """The report in ``fmt`` as bytes."""
    if fmt == "json":
        return (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode()
    if fmt == "table":
        return as_table(report).encode()
    if fmt == "html":
        return as_html(report)
    if fmt == "xlsx":
        return as_xlsx(report)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
