"""Who is signed in to the console: the session cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure`` over TLS)
turned into a :class:`ConsoleUser`, and the page guard that checks the role on the server for every page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from api.console.menu import MenuEntry
from api.deps import SessionsDep
from conduct_engine.store import UiSession

COOKIE = "cc_session"
PREFIX = "/ui"


@dataclass(frozen=True)
class ConsoleUser:
    """A signed-in browser: its session token (from the cookie) and the session."""

    token: str
    session: UiSession

    @property
    def key_id(self) -> str:
        """The API key's id: the actor of its decisions in the log."""
        return self.session.key_id

    @property
    def name(self) -> str:
        """The key's name."""
        return self.session.key_name

    @property
    def role(self) -> str:
        """The key's role."""
        return self.session.role

    @property
    def lang(self) -> str:
        """The session's language."""
        return self.session.lang

    @property
    def csrf(self) -> str:
        """The CSRF token every form of this session carries."""
        return self.session.csrf

    def can_read_all(self) -> bool:
        """Reviewers, auditors and admins read every decision; a submitter only its own."""
        return self.role in ("reviewer", "auditor", "admin")


class ConsoleError(Exception):
    """A console page answered with an HTML error page: status, the console text key, and who is reading (the
    signed-in user: its language and menu; or just a language)."""

    def __init__(self, status: int, text: str, who: ConsoleUser | str | None = None, detail: str | None = None):
        super().__init__(text)
        self.status, self.text, self.detail = status, text, detail
        self.user = who if isinstance(who, ConsoleUser) else None
        self.lang = who.lang if isinstance(who, ConsoleUser) else who


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page (and back to ``next`` afterwards)."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(path: str | None) -> str:
    """A place to go back to: a console path on this server only (never another host)."""
    if not path or not path.startswith(PREFIX) or path.startswith("//") or "\\" in path or "\n" in path:
        return PREFIX + "/"
    return path


def here(request: Request) -> str:
    """The current console path with its query, to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def optional_user(request: Request, sessions: SessionsDep) -> ConsoleUser | None:
    """The signed-in user, or None."""
    token = request.cookies.get(COOKIE)
    session = sessions.get(token) if token else None
    return ConsoleUser(token, session) if token and session else None


async def current_user(request: Request, sessions: SessionsDep) -> ConsoleUser:
    """The signed-in user; without a live session the browser is sent to sign in."""
    user = await optional_user(request, sessions)
    if user is None:
        raise SignInRequired(here(request) if request.method == "GET" else PREFIX + "/")
    return user


def page_user(entry: MenuEntry) -> Callable[..., Awaitable[ConsoleUser]]:
    """A dependency admitting the roles of a page's menu entry (the 403 page otherwise)."""

    async def dependency(request: Request, sessions: SessionsDep) -> ConsoleUser:
        user = await current_user(request, sessions)
        if not entry.allows(user.role):
            raise ConsoleError(403, "error.403", user)
        return user

    return dependency


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int, path: str = PREFIX) -> None:
    """A console cookie: HttpOnly, SameSite=Strict, Secure when the request came over TLS."""
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_cookie(response: Response, request: Request, name: str, path: str = PREFIX) -> None:
    """Remove a console cookie from the browser."""
    response.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=request.url.scheme == "https")
