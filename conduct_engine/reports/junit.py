"""JUnit XML: a test suite per record kind, a test case per record (failure = review or block finding),
and an ``import`` suite whose errors are the skipped rows — so CI dashboards show a scan like a test run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any, BinaryIO

from conduct_engine.reports import Results

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: Any) -> str:
    return _BAD_XML.sub("\ufffd", str(text))


def write(results: Results, summary: dict[str, Any], fh: BinaryIO) -> None:
    """Write the JUnit report."""
    suites: dict[str, list[ET.Element]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for result, meta in results:
        case = ET.Element("testcase", classname=_clean(f"{result['kind']}.{meta.get('branch') or 'none'}"),
                          name=_clean(f"{result['record_id']} ({meta['source']}:{meta['row']})"), time="0")
        failing = [v for v in result["violations"] if v["severity"] in ("block", "review")]
        if failing:
            failures[result["kind"]] += 1
            failure = ET.SubElement(case, "failure", type=result["decision"],
                                    message=_clean("; ".join(f"{v['rule_id']}: {v['message']['en']}" for v in failing)))
            failure.text = _clean("\n".join(f"[{v['severity']}] {v['rule_id']} ({v['standard']}): {v['message']['zh']} / "
                                            f"{v['message']['en']}" for v in failing))
        advisories = [v for v in result["violations"] if v["severity"] == "advisory"]
        if advisories:
            ET.SubElement(case, "system-out").text = _clean("\n".join(f"[advisory] {v['rule_id']}: {v['message']['en']}"
                                                                      for v in advisories))
        suites[result["kind"]].append(case)
    root = ET.Element("testsuites", name=f"conduct-check scan {summary['scan_id']}",
                      tests=str(summary["records"] + len(summary["skipped_rows"])),
                      failures=str(sum(failures.values())), errors=str(len(summary["skipped_rows"])))
    for kind in sorted(suites):
        suite = ET.SubElement(root, "testsuite", name=kind, tests=str(len(suites[kind])),
                              failures=str(failures[kind]), errors="0", skipped="0")
        suite.extend(suites[kind])
    if summary["skipped_rows"]:
        suite = ET.SubElement(root, "testsuite", name="import", tests=str(len(summary["skipped_rows"])), failures="0",
                              errors=str(len(summary["skipped_rows"])), skipped="0")
        for p in summary["skipped_rows"]:
            case = ET.SubElement(suite, "testcase", classname="import", name=_clean(f"{p['source']}:{p['row']}"))
            ET.SubElement(case, "error", type="skipped_row", message=_clean(f"{p['column'] or '(row)'}: {p['reason']}"))
    ET.indent(root)
    fh.write(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    fh.write(b"\n")
