"""XLSX: a Summary sheet, one sheet of findings per standard, and a sheet of skipped rows (openpyxl)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Font

from conduct_engine.reports import Results

FINDING_COLUMNS = ["record_id", "kind", "decision", "rule_id", "severity", "branch", "employee_id", "record_date",
                   "message_zh", "message_en", "evidence", "source_file", "source_row"]
_BOLD = Font(bold=True)


def _row(sheet: Any, values: list[Any], bold: bool = False) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"  # data, never a formula
        if bold:
            cell.font = _BOLD


def _title(code: str) -> str:
    return "".join("_" if c in "[]:*?/\\" else c for c in code)[:31]


def write(results: Results, summary: dict[str, Any], fh: BinaryIO) -> None:
    """Write the workbook."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    _row(sheet, ["conduct-check scan", summary["scan_id"]], bold=True)
    for label, value in [("as of", summary["as_of"]), ("rule pack", f"{summary['pack']['name']} "
                         f"{summary['pack']['version']}"), ("inputs", ", ".join(summary["inputs"])),
                         ("rows read", summary["rows"]), ("records checked", summary["records"]),
                         ("rows skipped", summary["skipped"]), ("findings", summary["findings"]),
                         *[(f"decision: {k}", v) for k, v in summary["decisions"].items()]]:
        _row(sheet, [label, value])
    for title, table in [("by standard", summary["by_standard"]), ("by severity", summary["by_severity"]),
                         ("by branch", summary["by_branch"]), ("by rule", summary["by_rule"]),
                         ("by month", summary["by_month"])]:
        _row(sheet, [])
        _row(sheet, [title, "findings"], bold=True)
        for key, count in table.items():
            _row(sheet, [key, count])
    _row(sheet, [])
    _row(sheet, ["top employees", "findings"], bold=True)
    for entry in summary["top_employees"]:
        _row(sheet, [entry["employee_id"], entry["findings"]])
    sheets: dict[str, Any] = {}
    rows: dict[str, list[list[Any]]] = defaultdict(list)
    for result, meta in results:
        for v in result["violations"]:
            rows[v["standard"]].append([result["record_id"], result["kind"], result["decision"], v["rule_id"],
                                        v["severity"], meta.get("branch"), meta.get("employee_id"), meta["date"],
                                        v["message"]["zh"], v["message"]["en"],
                                        json.dumps(v["evidence"], ensure_ascii=False, sort_keys=True),
                                        meta["source"], meta["row"]])
    for code in summary["by_standard"]:
        sheets[code] = book.create_sheet(_title(code))
        _row(sheets[code], FINDING_COLUMNS, bold=True)
        for values in rows[code]:
            _row(sheets[code], values)
        sheets[code].freeze_panes = "A2"
    skipped = book.create_sheet("Skipped rows")
    _row(skipped, ["source_file", "row", "column", "reason"], bold=True)
    for p in summary["skipped_rows"]:
        _row(skipped, [p["source"], p["row"], p["column"], p["reason"]])
    book.save(fh)
