"""``keys``, ``waivers`` and ``reference``: what an admin keeps in the store."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from conduct_engine.cli.common import (
    EXIT_BAD_INPUT,
    PackOpt,
    bad_input,
    engine_or_exit,
    err,
    open_store,
    out,
)
from conduct_engine.errors import RecordError

keys_app = typer.Typer(help="API keys (stored hashed) with roles submitter, reviewer, auditor, admin.",
                       no_args_is_help=True)
waivers_app = typer.Typer(help="Waivers: approved exceptions to a rule until they expire.", no_args_is_help=True)
reference_app = typer.Typer(help="Reference data (employees, parties, clients, …) in the store.",
                            no_args_is_help=True)

@keys_app.command("create")
def keys_create(role: Annotated[str, typer.Option("--role", help="submitter, reviewer, auditor or admin.")],
                name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")] = "unnamed",
                employee: Annotated[str | None, typer.Option("--employee", help="The employee the key belongs to "
                                                             "(nobody reviews a case about themselves).")] = None,
                ) -> None:
    """Create an API key and print its secret (shown once; only its hash is stored)."""
    try:
        key_id, secret = open_store().keys.create(name, role, employee)
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(f"{key_id} {role} {name}\n{secret}", markup=False)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never secrets)."""
    for key in open_store().keys.all():
        out.print(f"{key.id}  {key.role:<9} {key.name}" + (f" ({key.employee_id})" if key.employee_id else "")
                  + f"  created {key.created_at.isoformat()}"
                  + (f"  REVOKED {key.revoked_at.isoformat()}" if key.revoked_at else ""), markup=False)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key."""
    if not open_store().keys.revoke(key_id):
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
    from conduct_engine.dates import parse_date, today
    from conduct_engine.waivers import waiver_problems
    engine = engine_or_exit(pack)
    try:
        expiry = parse_date(expires_on)
    except ValueError:
        err.print(f"--expires: not a date YYYY-MM-DD: {expires_on[:40]!r}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    problems = waiver_problems(rule_id, expiry, engine.packs.rules, today())
    if problems:
        for problem in problems:
            err.print(f"{problem['loc']}: {problem['msg']}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        waiver = open_store().waivers.add(rule_id=rule_id, reason=reason, approver=approver, record_id=record_id,
                                      subject=subject, expires_on=expiry, created_by="cli")
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(json.dumps(waiver.to_dict(), ensure_ascii=False), markup=False)


@waivers_app.command("list")
def waivers_list(all_: Annotated[bool, typer.Option("--all", help="Include revoked ones.")] = False) -> None:
    """List waivers."""
    for waiver in open_store().waivers.all(include_revoked=all_):
        out.print(json.dumps(waiver.to_dict(), ensure_ascii=False), markup=False)


@waivers_app.command("revoke")
def waivers_revoke(waiver_id: str) -> None:
    """Revoke a waiver."""
    if not open_store().waivers.revoke(waiver_id, "cli"):
        err.print(f"no active waiver {waiver_id}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    out.print(f"revoked {waiver_id}", markup=False)



@reference_app.command("load")
def reference_load(file: Annotated[str, typer.Argument(help="JSON or YAML reference data (SPEC §3.3).")],
                   allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Clear the reference data "
                                                             "with a file that has no entries.")] = False) -> None:
    """Load reference data into the store; it is used by every check from now on."""
    from conduct_engine.inputs import read_mapping
    from conduct_engine.records import parse_context
    try:
        ctx = parse_context(read_mapping(file))
    except RecordError as exc:
        raise bad_input(exc) from None
    data = ctx.model_dump(mode="json", exclude_none=True, by_alias=True)
    if not allow_empty and not any(v for v in data.values() if isinstance(v, (list, dict))):
        err.print(f"{file}: the reference data has no entries and would replace everything in force with nothing; "
                  "give --allow-empty to clear it on purpose", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    seq = open_store().reference.load(data, "cli")
    counts = ", ".join(f"{len(v)} {k}" for k, v in data.items() if v)
    out.print(f"reference data load {seq}: {counts or 'empty'}", markup=False)

