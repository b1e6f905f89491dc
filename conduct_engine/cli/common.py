"""What every command shares: the consoles, exit codes, options, and opening the engine or the store."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from conduct_engine.errors import PackError, RecordError

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


def engine_or_exit(pack: Path | None) -> Any:
    """The engine over ``pack`` (default: the bundled rules); every pack error listed and exit 2 when it does not load."""
    from conduct_engine.engine import Engine
    try:
        return Engine.from_paths(pack)
    except PackError as exc:
        err.print(f"[red]rule pack error[/red] ({len(exc.issues)}):", highlight=False)
        for issue in exc.issues:
            err.print(f"  {issue}", highlight=False, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def bad_input(exc: RecordError) -> typer.Exit:
    """Print every input error with its location; the exit to raise."""
    err.print("[red]invalid input[/red]:", highlight=False)
    for e in exc.errors:
        err.print(f"  {e['loc']}: {e['msg']}", highlight=False, markup=False)
    return typer.Exit(EXIT_BAD_INPUT)



def open_store() -> Any:
    """The store of the settings in force (migrated)."""
    from conduct_engine.store import Store
    return Store.open()
