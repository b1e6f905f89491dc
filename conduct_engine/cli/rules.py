"""``rules list|lint|test``: what the packs enforce, whether they load, whether their own tests pass."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from conduct_engine.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_PASS,
    PackOpt,
    engine_or_exit,
    err,
    out,
)

rules_app = typer.Typer(help="Rule packs: list, lint and test them.", no_args_is_help=True)

@rules_app.command("list")
def rules_list(pack: PackOpt = None) -> None:
    """List the rules in force: id, standard, severity, kind."""
    engine = engine_or_exit(pack)
    table = Table("id", "standard", "severity", "applies to", "source")
    for rule_id in sorted(engine.packs.rules):
        rule = engine.packs.rules[rule_id].rule
        table.add_row(rule.id, rule.standard, rule.severity, rule.applies_to, rule.source)
    out.print(table)
    out.print(f"{len(engine.packs.rules)} rules — {engine.packs.name} {engine.packs.version} {engine.packs.digest}")


@rules_app.command("lint")
def rules_lint(pack: PackOpt = None) -> None:
    """Validate and compile the packs; list every error as file:line: code: message."""
    engine = engine_or_exit(pack)
    out.print(f"OK: {len(engine.packs.rules)} rules, {len(engine.packs.parameters)} parameters, "
              f"{len(engine.packs.aggregates)} aggregates — {engine.packs.digest}")


@rules_app.command("test")
def rules_test(pack: PackOpt = None,
               rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rule ids.")] = None) -> None:
    """Run every rule's test records; print failures and coverage per standard."""
    from conduct_engine.packs.testing import coverage, run_all
    engine = engine_or_exit(pack)
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

