"""One error body for every 4xx/5xx answer (``ErrorBodyV1``: ``detail``, ``code``, ``errors``): the exception
handlers, and the pieces that the middlewares and the routes answering directly share.

Bad input is a 422, a store that is down a 503, anything unexpected a logged, bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conduct_engine import error_codes
from conduct_engine.errors import ConductError

log = logging.getLogger("conduct_check.api")
Item = dict[str, Any]


class InputError(ConductError):
    """Invalid input found after request validation (record, context); answered with 422."""

    code = error_codes.INVALID_INPUT

    def __init__(self, errors: list[Item]):
        self.errors = errors
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors),
                         loc=str(errors[0]["loc"]) if errors else None)

    def items(self) -> list[Item]:
        """The problems as given."""
        return self.errors


class CodedHTTPException(HTTPException):
    """An HTTP error answer with its own stable ``code`` (e.g. 429 ``too_many_jobs`` rather than ``rate_limited``)."""

    def __init__(self, status_code: int, code: str, detail: str, headers: Mapping[str, str] | None = None):
        super().__init__(status_code, detail, headers=dict(headers) if headers else None)
        self.code = code


def prefixed(errors: list[Item], prefix: str) -> list[Item]:
    """RecordError entries with ``prefix`` put before each loc (``(root)`` becomes the prefix itself)."""
    out = []
    for e in errors:
        loc = str(e.get("loc", ""))
        full = prefix if loc in ("", "(root)") else f"{prefix}.{loc}"
        out.append({"loc": full.replace(".(root)", ""), "msg": str(e.get("msg", "")),
                    "type": str(e.get("type", error_codes.VALUE_ERROR))})
    return out


def error_body(code: str, detail: str | list[Item], errors: Sequence[Item] = ()) -> dict[str, Any]:
    """The ``ErrorBodyV1`` of an answer, as JSON-ready data."""
    return {"detail": detail, "code": code, "errors": list(errors)}


def error_response(status: int, code: str, detail: str | list[Item], errors: Sequence[Item] = (), *,
                   headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An error answer with the one body (``extra`` fields for a documented extension, e.g. suggestions)."""
    return JSONResponse(status_code=status, content={**error_body(code, detail, errors), **extra},
                        headers=dict(headers) if headers else None)


def _invalid(errors: list[Item]) -> JSONResponse:
    """422: ``detail`` stays FastAPI's list of problems, for the clients that read it."""
    return error_response(422, error_codes.INVALID_INPUT, errors, errors)


_BODY_MSG = {
    "missing": "A request body is required: a JSON object such as {\"record\": {...}}",
    "model_attributes_type": "The body must be a JSON object (sent with Content-Type: application/json)",
}


def _request_errors(exc: RequestValidationError) -> list[Item]:
    """FastAPI's errors as ``{loc, msg, type}`` with dotted locs relative to the body, no input echo."""
    out = []
    for e in exc.errors():
        parts = list(e.get("loc", ()))
        where = parts[0] if parts else "body"
        if e.get("type") == error_codes.JSON_INVALID:
            pos = parts[1] if len(parts) > 1 else "?"
            reason = (e.get("ctx") or {}).get("error", "invalid JSON")
            out.append({"loc": "body", "msg": f"Malformed JSON at character {pos}: {reason}",
                        "type": error_codes.JSON_INVALID})
            continue
        if where == "body":
            parts = parts[1:]
            if not parts:
                out.append({"loc": "body", "msg": _BODY_MSG.get(e.get("type"), str(e.get("msg", ""))),
                            "type": str(e.get("type", error_codes.VALUE_ERROR))})
                continue
        loc = ".".join(str(p) for p in parts) or str(where)
        out.append({"loc": loc, "msg": str(e.get("msg", "")), "type": str(e.get("type", error_codes.VALUE_ERROR))})
    return out


async def _on_request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _invalid(_request_errors(exc))


async def _on_input_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return _invalid(exc.items())


_PARSE_FAILED = "There was an error parsing the body"  # FastAPI's 400 when json.loads fails oddly


async def _on_http_exception(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's and the routes' HTTP errors (404 unknown path, 405, 401/403/429 …) in the one body; the
    code is the exception's own ``code`` if it has one, else the status's. FastAPI's 400 for a body
    json.loads cannot even start on becomes our 422."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.detail == _PARSE_FAILED:
        cause = exc.__cause__
        reason = ("the body is not valid UTF-8" if isinstance(cause, UnicodeDecodeError) else
                  "nested too deeply" if isinstance(cause, RecursionError) else type(cause).__name__)
        return _invalid([{"loc": "body", "msg": f"Malformed JSON: {reason}", "type": error_codes.JSON_INVALID}])
    code = getattr(exc, "code", None) or error_codes.HTTP_STATUS_CODES.get(exc.status_code, error_codes.ERROR)
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


STORE_DOWN = "The store is unavailable; nothing of this request was recorded. Retry later."


async def _on_store_down(request: Request, exc: Exception) -> JSONResponse:
    """The database refused or lost the connection: nothing of this request was recorded; say so, and when to retry."""
    log.error("store unavailable on %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
    return error_response(503, error_codes.STORE_UNAVAILABLE, STORE_DOWN, headers={"Retry-After": "5"})


INTERNAL = "Internal server error; it has been logged"


class UnexpectedErrorMiddleware:
    """Answer an exception no handler took with a logged, bare 500, and do not re-raise it.

    A handler registered for ``Exception`` would run in Starlette's ServerErrorMiddleware, which re-raises
    after answering (the server then logs the traceback a second time); this catches it below that.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sender)
        except Exception as exc:
            if started:  # too late for an answer: let the server drop the connection
                raise
            log.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            await error_response(500, error_codes.INTERNAL_ERROR, INTERNAL)(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers and the 500 middleware on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(InputError, _on_input_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(OperationalError, _on_store_down)
    app.add_middleware(UnexpectedErrorMiddleware)
