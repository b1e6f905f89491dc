"""Signing in with an API key (a server-side session), signing out, the language toggle, the console's home."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import LOCAL
from api.console import csrf
from api.console.i18n import LANGS, pick
from api.console.menu import for_role
from api.console.render import page
from api.console.session import (
    COOKIE,
    ConsoleUser,
    clear_cookie,
    current_user,
    optional_user,
    safe_next,
    set_cookie,
)
from api.deps import OptionalStoreDep, SessionsDep, SettingsDep

router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(current_user)]
MaybeUser = Annotated[ConsoleUser | None, Depends(optional_user)]


def _go(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _signed_in(request: Request, sessions: SessionsDep, settings: SettingsDep, key_id: str, name: str, role: str,
               lang: str, next_path: str) -> Response:
    minutes = settings.ui_session_minutes
    token, _ = sessions.create(key_id, name, role, lang, dt.timedelta(minutes=minutes))
    response = _go(safe_next(next_path))
    set_cookie(response, request, COOKIE, token, max_age=minutes * 60)
    clear_cookie(response, request, csrf.SIGNIN_COOKIE)
    return response


def _form(request: Request, lang: str, next_path: str, *, status: int = 200, error: str | None = None) -> Response:
    token = csrf.new_signin_token()
    response = page(request, "signin.html", None, lang=lang, status=status, signin_csrf=token, next=next_path,
                    error=error, other_lang="en" if lang == "zh" else "zh")
    set_cookie(response, request, csrf.SIGNIN_COOKIE, token, max_age=3600)
    return response


@router.get("/signin")
def signin_form(request: Request, user: MaybeUser, sessions: SessionsDep, settings: SettingsDep,
                next: str = "/ui/", lang: str = "zh") -> Response:
    """The sign-in form (without auth — the local demo — a session as the local admin, at once)."""
    if user is not None:
        return _go(safe_next(next))
    if not settings.auth:
        return _signed_in(request, sessions, settings, LOCAL.id, LOCAL.id, LOCAL.role, pick(lang), next)
    return _form(request, pick(lang), safe_next(next))


@router.post("/signin")
async def signin(request: Request, sessions: SessionsDep, settings: SettingsDep, store: OptionalStoreDep) -> Response:
    """Check the key; on success a new session (a new token and CSRF token) and back to where the user was."""
    form = await request.form()
    lang = pick(str(form.get("lang", "zh")))
    csrf.check_signin(request, form, lang)
    next_path = safe_next(str(form.get("next", "/ui/")))
    secret = str(form.get("key", "")).strip()
    if not settings.auth:
        return _signed_in(request, sessions, settings, LOCAL.id, LOCAL.id, LOCAL.role, lang, next_path)
    if not secret:
        return _form(request, lang, next_path, status=422, error="signin.missing")
    info = store.keys.authenticate(secret) if store is not None else None
    if info is None:
        return _form(request, lang, next_path, status=401, error="signin.bad")
    return _signed_in(request, sessions, settings, info.id, info.name, info.role, lang, next_path)


@router.post("/signout")
async def signout(request: Request, user: User, sessions: SessionsDep) -> Response:
    """End the session: the cookie's token stops working on every worker."""
    csrf.check(user, await request.form())
    sessions.end(user.token)
    response = _go("/ui/signin")
    clear_cookie(response, request, COOKIE)
    return response


@router.post("/lang")
async def switch_language(request: Request, user: User, sessions: SessionsDep) -> Response:
    """Switch the session's language and go back to the page."""
    form = await request.form()
    csrf.check(user, form)
    lang = str(form.get("lang", ""))
    if lang in LANGS:
        sessions.set_lang(user.token, lang)
    return _go(safe_next(str(form.get("next", "/ui/"))))


@router.get("/")
def home(user: User) -> Response:
    """The first page of the user's menu."""
    entries = for_role(user.role)
    return _go(entries[0].path if entries else "/ui/rules")
