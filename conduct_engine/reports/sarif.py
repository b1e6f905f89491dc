"""SARIF 2.1.0: one run, a reporting descriptor per rule, a result per finding located at the input row."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from conduct_engine.reports import Results

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"block": "error", "review": "warning", "advisory": "note"}


def _rule(rule_id: str, info: dict[str, Any], standards: dict[str, Any]) -> dict[str, Any]:
    name = standards.get(info["standard"], {})
    return {"id": rule_id, "name": rule_id.replace("-", "_"),
            "shortDescription": {"text": f"{info['standard']}: {name.get('en', info['standard'])} "
                                         f"({name.get('zh', '')})".replace(" ()", "")},
            "fullDescription": {"text": info["source"]},
            "help": {"text": f"{info['remediation_en']} / {info['remediation_zh']}"},
            "defaultConfiguration": {"level": LEVELS[info["severity"]]},
            "properties": {"standard": info["standard"], "severity": info["severity"], "tags": [info["standard"]]}}


def write(results: Results, summary: dict[str, Any], fh: BinaryIO) -> None:
    """Write the SARIF log."""
    rule_ids = list(summary["rules"])
    index = {r: i for i, r in enumerate(rule_ids)}
    out: list[dict[str, Any]] = []
    artifacts = {src: i for i, src in enumerate(summary["inputs"])}
    for result, meta in results:
        for v in result["violations"]:
            location = {"physicalLocation": {
                "artifactLocation": {"uri": meta["source"], "index": artifacts.get(meta["source"], 0)},
                "region": {"startLine": int(meta["row"])}},
                "logicalLocations": [{"name": result["record_id"], "kind": "object",
                                      "fullyQualifiedName": f"{result['kind']}/{result['record_id']}"}]}
            out.append({"ruleId": v["rule_id"], "ruleIndex": index[v["rule_id"]], "level": LEVELS[v["severity"]],
                        "message": {"text": f"{v['message']['en']} / {v['message']['zh']}"},
                        "locations": [location],
                        "partialFingerprints": {"decisionId": result["decision_id"]},
                        "properties": {"record_id": result["record_id"], "kind": result["kind"],
                                       "decision": result["decision"], "standard": v["standard"],
                                       "branch": meta.get("branch"), "employee_id": meta.get("employee_id"),
                                       "record_date": meta["date"], "evidence": v["evidence"],
                                       "related_records": v["related_records"]}})
    notes = [{"level": "warning", "message": {"text": f"row skipped: {p['column'] or '(row)'}: {p['reason']}"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": p["source"]},
                                                  "region": {"startLine": int(p["row"])}}}]}
             for p in summary["skipped_rows"]]
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "conduct-check", "informationUri": "https://example.invalid/conduct-check",
                            "semanticVersion": "0.1.0", "version": summary["pack"]["version"],
                            "rules": [_rule(r, summary["rules"][r], summary["standards"]) for r in rule_ids]}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
        "artifacts": [{"location": {"uri": src}} for src in summary["inputs"]],
        "results": out,
        "properties": {"scan_id": summary["scan_id"], "as_of": summary["as_of"], "pack": summary["pack"],
                       "records": summary["records"], "skipped": summary["skipped"]}}]}
    fh.write(json.dumps(log, ensure_ascii=False, indent=1).encode())
