"""The HTML report: one self-contained page (Jinja2; inline SVG charts from matplotlib; a little inline JS
to filter the findings table). No external scripts, styles or fonts: it works offline."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from jinja2 import Environment, PackageLoader, select_autoescape

from conduct_engine.reports import Results
from conduct_engine.reports.charts import COLORS, bar_chart, time_chart

MAX_ROWS = 5000  # larger scans: the table shows the first findings; every finding is in the other formats


def _env() -> Environment:
    return Environment(loader=PackageLoader("conduct_engine.reports", "templates"), autoescape=select_autoescape(),
                       trim_blocks=True, lstrip_blocks=True)


def write(results: Results, summary: dict[str, Any], fh: BinaryIO) -> None:
    """Render the report."""
    rows: list[dict[str, Any]] = []
    total = 0
    for result, meta in results:
        for v in result["violations"]:
            total += 1
            if len(rows) < MAX_ROWS:
                rows.append({"record_id": result["record_id"], "kind": result["kind"], "decision": result["decision"],
                             "rule_id": v["rule_id"], "standard": v["standard"], "severity": v["severity"],
                             "message": v["message"], "branch": meta.get("branch") or "",
                             "employee_id": meta.get("employee_id") or "", "date": meta["date"],
                             "where": f"{meta['source']}:{meta['row']}",
                             "evidence": json.dumps(v["evidence"], ensure_ascii=False, sort_keys=True)})
    names = summary["standards"]
    by_standard = {f"{code} {names.get(code, {}).get('en', '')}".strip(): n for code, n in summary["by_standard"].items()}
    charts = [("Findings by standard", bar_chart(by_standard, "Findings by standard")),
              ("Findings by severity", bar_chart(summary["by_severity"], "Findings by severity", COLORS)),
              ("Findings by branch", bar_chart(summary["by_branch"], "Findings by branch")),
              ("Top employees", bar_chart({e["employee_id"]: e["findings"] for e in summary["top_employees"]},
                                          "Top employees by findings"))]
    page = _env().get_template("report.html.j2").render(
        s=summary, charts=charts, time_chart=time_chart(summary["by_month"], "Findings over time (by record date)"),
        rows=rows, total=total, max_rows=MAX_ROWS, standards=sorted({r["standard"] for r in rows}))
    fh.write(page.encode())
