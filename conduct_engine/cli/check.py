"""``check`` and ``schema``: one engine call on the records of a file."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from conduct_engine.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_PASS,
    FailOn,
    Format,
    PackOpt,
    bad_input,
    engine_or_exit,
    err,
    out,
)
from conduct_engine.errors import RecordError


def check(
    file: Annotated[str, typer.Argument(help="A JSON/YAML record, a JSON list, JSON Lines, or - for stdin.")],
    format: Annotated[Format, typer.Option("--format", help="json: one result per line.")] = Format.json,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD.")] = None,
    context: Annotated[str | None, typer.Option("--context", help="Reference data (JSON/YAML).")] = None,
    pack: PackOpt = None,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 on review or worse (default) or on block only.")] = FailOn.review,
    lenient: Annotated[bool, typer.Option("--lenient", help="Drop unknown fields instead of rejecting them.")] = False,
    store: Annotated[bool, typer.Option("--store", help="Check against stored history and waivers, keep the "
                                        "records as history and log the decisions.")] = False,
) -> None:
    """Check records, each on its own; exit 0 if all pass, 1 on findings, 2 on bad input."""
    from conduct_engine.inputs import read_mapping, read_records
    engine = engine_or_exit(pack)
    try:
        records = read_records(file)
        ctx = read_mapping(context) if context else None
        if len(records) == 1 and isinstance(records[0], dict) and "record" in records[0] and "kind" not in records[0]:
            request = records[0]  # an HTTP request body {"record", "context"?, "as_of"?}: same answer as the API
            records, ctx = [request["record"]], ctx if ctx is not None else request.get("context")
            as_of = as_of or request.get("as_of")
        if store:
            from conduct_engine.service import CheckService
            from conduct_engine.store import Store
            service = CheckService(lambda: engine, Store.open())
            results = service.check_many(records, context=ctx, as_of=as_of, lenient=lenient, actor="cli",
                                         channel="cli")
        else:
            results = engine.evaluate_many(records, context=ctx, as_of=as_of, lenient=lenient)
    except RecordError as exc:
        raise bad_input(exc) from None
    if format is Format.json:
        for result in results:
            sys.stdout.write(result.model_dump_json() + "\n")
    else:
        table = Table("record", "kind", "decision", "rule", "severity", "message")
        for result in results:
            if not result.violations:
                table.add_row(result.record_id, result.kind, result.decision, "", "", "")
            for v in result.violations:
                table.add_row(result.record_id, result.kind, result.decision, v.rule_id, v.severity,
                              f"{v.message.zh}\n{v.message.en}")
        out.print(table)
    failing = {"block"} if fail_on is FailOn.block else {"block", "review"}
    raise typer.Exit(EXIT_FINDINGS if any(r.decision in failing for r in results) else EXIT_PASS)



def schema(kind: Annotated[str | None, typer.Argument(help="One record kind (default: all).")] = None) -> None:
    """Print the JSON Schema of the input records."""
    from conduct_engine.records import MODEL_BY_KIND
    from conduct_engine.records.registry import record_adapter
    if kind is None:
        doc = record_adapter().json_schema()
    elif kind in MODEL_BY_KIND:
        doc = MODEL_BY_KIND[kind].model_json_schema()
    else:
        err.print(f"unknown kind {kind!r}; kinds: {', '.join(MODEL_BY_KIND)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")

