"""Pages from the console's Jinja2 templates, with the headers every console page carries (no caching of
personal pages, a strict content-security policy: no script, style or image from anywhere but this server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.console.i18n import DEFAULT_LANG, Translator
from api.console.menu import for_role
from api.console.session import ConsoleUser, here

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True)
env.filters["pretty"] = lambda value: json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)
env.filters["compact"] = lambda value: json.dumps(value, ensure_ascii=False)


def page(request: Request, template: str, user: ConsoleUser | None, *, status: int = 200, lang: str | None = None,
         headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """Render ``template`` for ``user`` (None: signed out) in its language (or ``lang``)."""
    t = Translator(lang or (user.lang if user else DEFAULT_LANG))
    html = env.get_template(template).render(request=request, t=t, lang=t.lang, user=user, here=here(request),
                                             menu=for_role(user.role) if user else [],
                                             csrf=user.csrf if user else "", **context)
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})
