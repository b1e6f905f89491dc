"""The console's own error pages (HTML in the reader's language; the JSON API keeps its error body): the
handlers for a page's error, a missing session (to the sign-in page), a store that is down, and unknown pages."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from api.console.i18n import DEFAULT_LANG
from api.console.render import page
from api.console.session import PREFIX, ConsoleError, ConsoleUser, SignInRequired, optional_user

router = APIRouter(include_in_schema=False)
MaybeUser = Annotated[ConsoleUser | None, Depends(optional_user)]
Handler = Callable[[Request, Exception], Awaitable[Response]]
AnyHandler = Callable[[Request, Any], Any]


def error_page(request: Request, status: int, text: str, lang: str | None, detail: str | None = None,
               user: ConsoleUser | None = None) -> Response:
    """An error page: the status, what happened (a console text key), in ``lang`` (with the user's menu)."""
    return page(request, "error.html", user, status=status, lang=lang or DEFAULT_LANG, status_code=status,
                message=text, detail=detail)


async def _on_console_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    return error_page(request, exc.status, exc.text, exc.lang, exc.detail, exc.user)


async def _on_sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    from urllib.parse import quote
    return RedirectResponse(f"{PREFIX}/signin?next={quote(exc.next_path, safe='/')}", status_code=303)


def _store_down(api_handler: AnyHandler | None) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PREFIX + "/") or api_handler is None:
            return error_page(request, 503, "error.503", request.cookies.get("cc_lang"))
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer
    return handler


def install(app: FastAPI) -> None:
    """Register the console's handlers (the API's store-down answer stays JSON outside ``/ui``)."""
    app.add_exception_handler(ConsoleError, _on_console_error)
    app.add_exception_handler(SignInRequired, _on_sign_in_required)
    app.add_exception_handler(OperationalError, _store_down(app.exception_handlers.get(OperationalError)))


@router.get(PREFIX)
def console_root() -> Response:
    """``/ui`` is ``/ui/``."""
    return RedirectResponse(PREFIX + "/", status_code=307)


@router.get(PREFIX + "/{rest:path}")
def not_found(request: Request, rest: str, user: MaybeUser) -> Response:
    """Any other console address: the 404 page."""
    return error_page(request, 404, "error.404", user.lang if user else None, user=user)
