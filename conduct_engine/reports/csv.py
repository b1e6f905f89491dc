"""CSV: one row per finding (a record without findings gets one row with its decision), UTF-8 with BOM."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, BinaryIO

from conduct_engine.reports import Results

COLUMNS = ["record_id", "kind", "decision", "rule_id", "standard", "severity", "message_zh", "message_en",
           "evidence", "related_records", "branch", "employee_id", "record_date", "source_file", "source_row",
           "decision_id"]


def _safe(value: Any) -> Any:
    """Keep spreadsheet programs from reading a cell as a formula."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "@") else value


def write(results: Results, summary: dict[str, Any], fh: BinaryIO) -> None:
    """Write the findings table."""
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="", write_through=True)
    out = csv.writer(text)
    out.writerow(COLUMNS)
    for result, meta in results:
        base = [result["record_id"], result["kind"], result["decision"]]
        tail = [meta.get("branch") or "", meta.get("employee_id") or "", meta["date"], meta["source"], meta["row"],
                result["decision_id"]]
        if not result["violations"]:
            out.writerow([_safe(v) for v in [*base, "", "", "", "", "", "", "", *tail]])
        for v in result["violations"]:
            out.writerow([_safe(x) for x in [*base, v["rule_id"], v["standard"], v["severity"], v["message"]["zh"],
                          v["message"]["en"], json.dumps(v["evidence"], ensure_ascii=False, sort_keys=True),
                          ";".join(v["related_records"]), *tail]])
    text.detach()
