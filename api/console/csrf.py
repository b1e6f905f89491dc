"""CSRF tokens: every form of a session carries the session's token (compared in constant time); the sign-in
form, before there is a session, carries one that must equal its own cookie (double submit)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from api.console.session import ConsoleError, ConsoleUser

FIELD = "csrf"
SIGNIN_COOKIE = "cc_signin"


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def check(user: ConsoleUser, form: Mapping[str, Any]) -> None:
    """Refuse a form whose token is missing or is not this session's (403 page)."""
    if not _same(form.get(FIELD), user.csrf):
        raise ConsoleError(403, "error.csrf", user)


def new_signin_token() -> str:
    """A token for the sign-in form (also set as its cookie)."""
    return secrets.token_urlsafe(32)


def check_signin(request: Request, form: Mapping[str, Any], lang: str) -> None:
    """Refuse a sign-in whose token does not equal the browser's sign-in cookie."""
    cookie = request.cookies.get(SIGNIN_COOKIE)
    if not cookie or not _same(form.get(FIELD), cookie):
        raise ConsoleError(403, "error.csrf", lang)
