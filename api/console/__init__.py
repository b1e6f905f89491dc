"""The web console under ``/ui`` (SPEC §11): server-rendered pages in Chinese and English that work without
JavaScript, behind a sign-in with an API key (a server-side session, a CSRF token in every form).

A page is one module here (its ``router``, its menu entry and texts) plus one template; add the module to
:data:`PAGES`. A module that adds to the decision page or "My declarations" plugs in through
:mod:`api.console.panels` and is listed in :data:`PANELS` (the explanation) or is a page itself (cases).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console import (
    audit,
    case_actions,
    cases,
    decisions,
    declare,
    errorpages,
    explanation,
    loans,
    quality,
    rules,
    scans,
    signin,
)
from api.console.render import STATIC

#: the page modules, each with a ``router`` (the 404 page for any other /ui address comes after them)
PAGES = (signin, declare, decisions, loans, cases, case_actions, quality, scans, audit, rules)
#: modules that plug into the pages through :mod:`api.console.panels` (registered when imported): the
#: decision page's explanation (``cases`` also adds its row links to "My declarations")
PANELS = (explanation,)


def install(app: FastAPI) -> None:
    """Mount the console on ``app``: static files, every page, the HTML error pages."""
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
    for module in PAGES:
        app.include_router(module.router)
    app.include_router(errorpages.router)
    errorpages.install(app)
