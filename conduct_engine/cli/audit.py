"""``audit verify|anchor``: the tamper-evident decision log."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from conduct_engine.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    err,
    open_store,
    out,
)

audit_app = typer.Typer(help="The tamper-evident decision log.", no_args_is_help=True)

@audit_app.command("verify")
def audit_verify(anchors: Annotated[Path | None, typer.Option(
        "--anchors", help="A file of heads written by `audit anchor`: also check the log still reaches each.")
        ] = None, events: Annotated[bool, typer.Option("--events", help="Also list each review-case event walked.")
                                   ] = False) -> None:
    """Walk the decision-log hash chain (decisions and case events); exit 1 naming the first entry edited,
    deleted, moved or cut off."""
    from conduct_engine.store import LogHead
    kept = _read_anchors(anchors) if anchors else None
    report = open_store().log.verify([LogHead.from_dict(a) for a in kept or ()])
    if report.ok:
        checked = f", {len(kept)} anchors reached" if kept else ""
        counted = f" ({len(report.events)} case events)" if report.events else ""
        out.print(f"OK: {report.entries} entries, the chain is intact{checked}{counted}", markup=False)
        for e in report.events if events else ():
            out.print(f"  {e.seq:>6}  {e.logged_at}  {e.event:<12} {e.case_id}  by {e.actor}", markup=False)
        return
    err.print(f"BROKEN at entry {report.seq}: {report.problem}", markup=False)
    raise typer.Exit(EXIT_FINDINGS)


@audit_app.command("anchor")
def audit_anchor(to: Annotated[Path, typer.Option(
        "--to", help="Append the head here (keep it outside the database: another machine, WORM storage).")]
        ) -> None:
    """Append the decision log's current head (seq, hash, time) to a file, for `audit verify --anchors`."""
    head = open_store().log.head().to_dict()
    with to.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(head) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    out.print(f"anchored entry {head['seq']} {head['hash']} in {to}", markup=False)


def _read_anchors(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        err.print(f"{path}: cannot read the anchors: {exc.strerror}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    anchors = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not (isinstance(item, dict) and isinstance(item.get("seq"), int) and item["seq"] >= 0
                    and isinstance(item.get("hash"), str) and len(item["hash"]) == 64):
                raise ValueError("expected {\"seq\": <entry number>, \"hash\": <64 hex digits>, …}")
        except ValueError as exc:
            err.print(f"{path}:{number}: not an anchor: {exc}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        anchors.append(item)
    return anchors
