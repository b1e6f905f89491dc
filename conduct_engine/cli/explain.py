"""``explain``: why each rule fired on a record, did not, or did not apply (SPEC §10)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from conduct_engine.cli.common import EXIT_BAD_INPUT, PackOpt, bad_input, engine_or_exit, err, open_store, out
from conduct_engine.errors import ConductError, RecordError


class ExplainFormat(StrEnum):
    """Output formats of ``explain``."""

    text = "text"
    json = "json"


def explain(
    file: Annotated[str, typer.Argument(help="One JSON/YAML record (or a check request body), or - for stdin.")],
    rule: Annotated[str | None, typer.Option("--rule", help="Explain only this rule id.")] = None,
    context: Annotated[str | None, typer.Option("--context", help="Reference data (JSON/YAML).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD.")] = None,
    format: Annotated[ExplainFormat, typer.Option("--format", help="text (zh and en) or json.")] = ExplainFormat.text,
    history: Annotated[str | None, typer.Option("--history", help="Records to use as history (windows).")] = None,
    store: Annotated[bool, typer.Option("--store", help="Use the stored reference data and history.")] = False,
    pack: PackOpt = None,
    lenient: Annotated[bool, typer.Option("--lenient", help="Drop unknown fields instead of rejecting them.")] = False,
) -> None:
    """Explain, rule by rule and part by part, the decision on one record."""
    from conduct_engine.explain import Explainer
    from conduct_engine.explain.render import render_text
    from conduct_engine.explain.stored import explain_with_store
    from conduct_engine.inputs import read_mapping, read_records
    engine = engine_or_exit(pack)
    explainer = Explainer(engine)
    try:
        records = read_records(file)
        ctx = read_mapping(context) if context else None
        if len(records) == 1 and isinstance(records[0], dict) and "record" in records[0] and "kind" not in records[0]:
            request = records[0]  # an HTTP request body: the same answer as POST /v1/explain
            records, ctx = [request["record"]], ctx if ctx is not None else request.get("context")
            as_of, rule = as_of or request.get("as_of"), rule or request.get("rule_id")
        if len(records) != 1:
            err.print(f"explain takes one record; {file} holds {len(records)} (give the others with --history)",
                      markup=False)
            raise typer.Exit(EXIT_BAD_INPUT)
        if store:
            s = open_store()
            try:
                explanation = explain_with_store(explainer, s, records[0], context=ctx, as_of=as_of, rule_id=rule,
                                                 lenient=lenient)
            finally:
                s.close()
        else:
            past = read_records(history) if history else []
            explanation = explainer.explain(records[0], context=ctx, history=past, as_of=as_of, rule_id=rule,
                                            lenient=lenient)
    except RecordError as exc:
        raise bad_input(exc) from None
    except ConductError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if format is ExplainFormat.json:
        sys.stdout.write(explanation.model_dump_json() + "\n")
    else:
        out.print(render_text(explanation), markup=False, highlight=False)
