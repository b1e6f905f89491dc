"""``serve``: the HTTP API on uvicorn."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from conduct_engine.cli.common import (
    PackOpt,
    engine_or_exit,
)


def serve(host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port.")] = 8000,
          workers: Annotated[int, typer.Option(help="Worker processes (one engine each).")] = 1,
          pack: PackOpt = None,
          auth: Annotated[bool, typer.Option("--auth/--no-auth", help="Require API keys (--no-auth: local demo, "
                                             "every caller is admin).")] = True,
          log_level: Annotated[str | None, typer.Option(help="Application log level (default INFO).")] = None,
          log_file: Annotated[str | None, typer.Option(help="Application log file (default standard error): "
                                                       "JSON lines of decisions and errors.")] = None) -> None:
    """Serve the HTTP API on uvicorn (the store: $CONDUCT_DATABASE_URL or SQLite in $CONDUCT_DATA_DIR)."""
    import uvicorn

    from conduct_engine.settings import export_for_workers, load_settings
    from conduct_engine.store import Store
    settings = load_settings(rules_dir=pack.resolve() if pack else None, auth=auth, log_level=log_level,
                             log_file=log_file)
    export_for_workers(settings)  # the workers build their apps from the environment they inherit
    engine_or_exit(pack)  # fail fast, with every pack error listed, before starting workers
    Store.open(settings.store_url()).close()  # migrate once, before the workers start
    # No access log: the application log already has a line per decision (and per error), and uvicorn's own line
    # per request cost as much CPU as a tenth of the check itself.
    if workers > 1 and sys.platform.startswith("linux"):  # a socket per worker: connections spread evenly
        from conduct_engine.cli import workers as per_worker
        per_worker.run(uvicorn.Config("api.app:app_factory", factory=True, host=host, port=port, workers=workers,
                                      access_log=False))
        return
    uvicorn.run("api.app:app_factory", factory=True, host=host, port=port, workers=workers, access_log=False)

