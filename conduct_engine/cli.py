"""The ``conduct-check`` command line: thin commands, one engine call each (SPEC §5)."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from conduct_engine.errors import ConductError, PackError, RecordError
from conduct_engine.scan.command import scan

app = typer.Typer(help="Conduct and due-diligence checks for customer managers.", no_args_is_help=True,
                  add_completion=False)
rules_app = typer.Typer(help="Rule packs: list, lint and test them.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
keys_app = typer.Typer(help="API keys (stored hashed) with roles submitter, auditor, admin.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
waivers_app = typer.Typer(help="Waivers: approved exceptions to a rule until they expire.", no_args_is_help=True)
app.add_typer(waivers_app, name="waivers")
reference_app = typer.Typer(help="Reference data (employees, parties, clients, …) in the store.",
                            no_args_is_help=True)
app.add_typer(reference_app, name="reference")
audit_app = typer.Typer(help="The tamper-evident decision log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_PASS, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
PackOpt = Annotated[Path | None, typer.Option("--pack", help="Rules directory (default: bundled rules/).")]


class Format(StrEnum):
    """Output formats of ``check``."""

    json = "json"
    table = "table"


class FailOn(StrEnum):
    """Which decisions make ``check`` exit 1."""

    review = "review"
    block = "block"


def _engine(pack: Path | None) -> Any:
    from conduct_engine.engine import Engine
    try:
        return Engine.from_paths(pack)
    except PackError as exc:
        err.print(f"[red]rule pack error[/red] ({len(exc.issues)}):", highlight=False)
        for issue in exc.issues:
            err.print(f"  {issue}", highlight=False, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _bad_input(exc: RecordError) -> typer.Exit:
    err.print("[red]invalid input[/red]:", highlight=False)
    for e in exc.errors:
        err.print(f"  {e['loc']}: {e['msg']}", highlight=False, markup=False)
    return typer.Exit(EXIT_BAD_INPUT)


@app.command()
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
    engine = _engine(pack)
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
        raise _bad_input(exc) from None
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


@rules_app.command("list")
def rules_list(pack: PackOpt = None) -> None:
    """List the rules in force: id, standard, severity, kind."""
    engine = _engine(pack)
    table = Table("id", "standard", "severity", "applies to", "source")
    for rule_id in sorted(engine.packs.rules):
        rule = engine.packs.rules[rule_id].rule
        table.add_row(rule.id, rule.standard, rule.severity, rule.applies_to, rule.source)
    out.print(table)
    out.print(f"{len(engine.packs.rules)} rules — {engine.packs.name} {engine.packs.version} {engine.packs.digest}")


@rules_app.command("lint")
def rules_lint(pack: PackOpt = None) -> None:
    """Validate and compile the packs; list every error as file:line: code: message."""
    engine = _engine(pack)
    out.print(f"OK: {len(engine.packs.rules)} rules, {len(engine.packs.parameters)} parameters, "
              f"{len(engine.packs.aggregates)} aggregates — {engine.packs.digest}")


@rules_app.command("test")
def rules_test(pack: PackOpt = None,
               rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rule ids.")] = None) -> None:
    """Run every rule's test records; print failures and coverage per standard."""
    from conduct_engine.packs.testing import coverage, run_all
    engine = _engine(pack)
    unknown = [r for r in rule or [] if r not in engine.packs.rules]
    if unknown:
        err.print(f"unknown rule id(s): {', '.join(unknown)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    results = run_all(engine, rule or None)
    failed = [r for r in results if not r.passed]
    for r in failed:
        c = r.case
        rdef = engine.packs.rules[c.rule_id]
        out.print(f"FAIL {c.rule_id} {c.expect}[{c.index}] ({rdef.file}:{rdef.line}): {r.detail}", markup=False)
    table = Table("standard", "rules", "fires cases", "silent cases")
    for std, row in coverage(engine).items():
        table.add_row(std, str(row["rules"]), str(row["fires"]), str(row["silent"]))
    out.print(table)
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_PASS)


@app.command()
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


@app.command()
def serve(host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port.")] = 8000,
          workers: Annotated[int, typer.Option(help="Worker processes (one engine each).")] = 1,
          pack: PackOpt = None,
          auth: Annotated[bool, typer.Option("--auth/--no-auth", help="Require API keys (--no-auth: local demo, "
                                             "every caller is admin).")] = True) -> None:
    """Serve the HTTP API on uvicorn (the store: $CONDUCT_DATABASE_URL or SQLite in $CONDUCT_DATA_DIR)."""
    import uvicorn

    from conduct_engine.settings import export_for_workers, load_settings
    from conduct_engine.store import Store
    settings = load_settings(rules_dir=pack.resolve() if pack else None, auth=auth)
    export_for_workers(settings)  # the workers build their apps from the environment they inherit
    _engine(pack)  # fail fast, with every pack error listed, before starting workers
    Store.open(settings.store_url()).close()  # migrate once, before the workers start
    uvicorn.run("api.app:app_factory", factory=True, host=host, port=port, workers=workers)


def _store() -> Any:
    from conduct_engine.store import Store
    return Store.open()


@keys_app.command("create")
def keys_create(role: Annotated[str, typer.Option("--role", help="submitter, auditor or admin.")],
                name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")] = "unnamed") -> None:
    """Create an API key and print its secret (shown once; only its hash is stored)."""
    try:
        key_id, secret = _store().keys.create(name, role)
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(f"{key_id} {role} {name}\n{secret}", markup=False)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never secrets)."""
    for key in _store().keys.all():
        out.print(f"{key.id}  {key.role:<9} {key.name}  created {key.created_at.isoformat()}"
                  + (f"  REVOKED {key.revoked_at.isoformat()}" if key.revoked_at else ""), markup=False)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key."""
    if not _store().keys.revoke(key_id):
        err.print(f"no active key {key_id}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    out.print(f"revoked {key_id}", markup=False)


@waivers_app.command("add")
def waivers_add(rule_id: Annotated[str, typer.Option("--rule")],
                reason: Annotated[str, typer.Option("--reason")],
                approver: Annotated[str, typer.Option("--approver")],
                expires_on: Annotated[str, typer.Option("--expires", help="YYYY-MM-DD")],
                record_id: Annotated[str | None, typer.Option("--record")] = None,
                subject: Annotated[str | None, typer.Option("--subject", help="Employee or borrower id.")] = None,
                pack: PackOpt = None) -> None:
    """Grant a waiver for a rule, on one record or one subject, until it expires."""
    from conduct_engine.dates import parse_date
    engine = _engine(pack)
    if rule_id not in engine.packs.rules:
        from conduct_engine.packs.problems import did_you_mean
        hint = did_you_mean(rule_id, engine.packs.rules)
        err.print(f"unknown rule {rule_id}" + (f" (did you mean {hint}?)" if hint else ""), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        waiver = _store().waivers.add(rule_id=rule_id, reason=reason, approver=approver, record_id=record_id,
                                      subject=subject, expires_on=parse_date(expires_on), created_by="cli")
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(json.dumps(waiver.to_dict(), ensure_ascii=False), markup=False)


@waivers_app.command("list")
def waivers_list(all_: Annotated[bool, typer.Option("--all", help="Include revoked ones.")] = False) -> None:
    """List waivers."""
    for waiver in _store().waivers.all(include_revoked=all_):
        out.print(json.dumps(waiver.to_dict(), ensure_ascii=False), markup=False)


@waivers_app.command("revoke")
def waivers_revoke(waiver_id: str) -> None:
    """Revoke a waiver."""
    if not _store().waivers.revoke(waiver_id, "cli"):
        err.print(f"no active waiver {waiver_id}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    out.print(f"revoked {waiver_id}", markup=False)


@reference_app.command("load")
def reference_load(file: Annotated[str, typer.Argument(help="JSON or YAML reference data (SPEC §3.3).")]) -> None:
    """Load reference data into the store; it is used by every check from now on."""
    from conduct_engine.inputs import read_mapping
    from conduct_engine.records import parse_context
    try:
        ctx = parse_context(read_mapping(file))
    except RecordError as exc:
        raise _bad_input(exc) from None
    data = ctx.model_dump(mode="json", exclude_none=True, by_alias=True)
    seq = _store().reference.load(data, "cli")
    counts = ", ".join(f"{len(v)} {k}" for k, v in data.items() if v)
    out.print(f"reference data load {seq}: {counts or 'empty'}", markup=False)


@audit_app.command("verify")
def audit_verify(anchors: Annotated[Path | None, typer.Option(
        "--anchors", help="A file of heads written by `audit anchor`: also check the log still reaches each.")
        ] = None) -> None:
    """Walk the decision-log hash chain; exit 1 naming the first entry edited, deleted, moved or cut off."""
    from conduct_engine.store import LogHead
    kept = _read_anchors(anchors) if anchors else None
    report = _store().log.verify([LogHead.from_dict(a) for a in kept or ()])
    if report.ok:
        checked = f", {len(kept)} anchors reached" if kept else ""
        out.print(f"OK: {report.entries} entries, the chain is intact{checked}", markup=False)
        return
    err.print(f"BROKEN at entry {report.seq}: {report.problem}", markup=False)
    raise typer.Exit(EXIT_FINDINGS)


@audit_app.command("anchor")
def audit_anchor(to: Annotated[Path, typer.Option(
        "--to", help="Append the head here (keep it outside the database: another machine, WORM storage).")]
        ) -> None:
    """Append the decision log's current head (seq, hash, time) to a file, for `audit verify --anchors`."""
    head = _store().log.head().to_dict()
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


app.command("scan")(scan)


def main() -> None:
    """Entry point of the ``conduct-check`` script."""
    try:
        app()
    except ConductError as exc:  # a last guard: errors are messages, never tracebacks
        err.print(f"error: {exc}", markup=False)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
