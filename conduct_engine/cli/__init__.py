"""The ``conduct-check`` command line: thin commands, one engine call each (SPEC §5).

One module per command or command group; this module only assembles them.
"""

from __future__ import annotations

import sys

import typer

from conduct_engine.cli.admin import keys_app, reference_app, waivers_app
from conduct_engine.cli.audit import audit_app
from conduct_engine.cli.backtest import backtest
from conduct_engine.cli.cases import cases_app, report_app
from conduct_engine.cli.check import check, schema
from conduct_engine.cli.common import EXIT_BAD_INPUT, err
from conduct_engine.cli.explain import explain
from conduct_engine.cli.rules import rules_app
from conduct_engine.cli.serve import serve
from conduct_engine.errors import ConductError
from conduct_engine.scan.command import scan

app = typer.Typer(help="Conduct and due-diligence checks for customer managers.", no_args_is_help=True,
                  add_completion=False)
app.command()(check)
app.add_typer(rules_app, name="rules")
app.command()(schema)
app.command()(serve)
app.add_typer(keys_app, name="keys")
app.add_typer(waivers_app, name="waivers")
app.add_typer(reference_app, name="reference")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")
app.add_typer(report_app, name="report")
app.command("scan")(scan)
app.command()(explain)
app.command()(backtest)


def main() -> None:
    """Entry point of the ``conduct-check`` script."""
    try:
        app()
    except ConductError as exc:  # a last guard: errors are messages, never tracebacks
        err.print(f"error: {exc}", markup=False)
        sys.exit(EXIT_BAD_INPUT)


__all__ = ["app", "main"]
