"""Exception handlers: every bad input becomes a 4xx JSON answer; a store that is down a 503; anything else a
logged, bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

log = logging.getLogger("conduct_check.api")


class InputError(Exception):
    """Invalid input found after request validation (record, context); answered with 422."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors))


def prefixed(errors: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """RecordError entries with ``prefix`` put before each loc (``(root)`` becomes the prefix itself)."""
    out = []
    for e in errors:
        loc = str(e.get("loc", ""))
        full = prefix if loc in ("", "(root)") else f"{prefix}.{loc}"
        out.append({"loc": full.replace(".(root)", ""), "msg": str(e.get("msg", "")),
                    "type": str(e.get("type", "value_error"))})
    return out


_BODY_MSG = {
    "missing": "A request body is required: a JSON object such as {\"record\": {...}}",
    "model_attributes_type": "The body must be a JSON object (sent with Content-Type: application/json)",
}


def _request_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's errors as ``{loc, msg, type}`` with dotted locs relative to the body, no input echo."""
    out = []
    for e in exc.errors():
        parts = list(e.get("loc", ()))
        where = parts[0] if parts else "body"
        if e.get("type") == "json_invalid":
            pos = parts[1] if len(parts) > 1 else "?"
            reason = (e.get("ctx") or {}).get("error", "invalid JSON")
            out.append({"loc": "body", "msg": f"Malformed JSON at character {pos}: {reason}",
                        "type": "json_invalid"})
            continue
        if where == "body":
            parts = parts[1:]
            if not parts:
                out.append({"loc": "body", "msg": _BODY_MSG.get(e.get("type"), str(e.get("msg", ""))),
                            "type": str(e.get("type", "value_error"))})
                continue
        loc = ".".join(str(p) for p in parts) or str(where)
        out.append({"loc": loc, "msg": str(e.get("msg", "")), "type": str(e.get("type", "value_error"))})
    return out


async def _on_request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": _request_errors(exc)})


async def _on_input_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(status_code=422, content={"detail": exc.errors})


_PARSE_FAILED = "There was an error parsing the body"  # FastAPI's 400 when json.loads fails oddly


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    """FastAPI's 400 for bodies json.loads cannot even start on becomes our 422; the rest as usual."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.detail == _PARSE_FAILED:
        cause = exc.__cause__
        reason = ("the body is not valid UTF-8" if isinstance(cause, UnicodeDecodeError) else
                  "nested too deeply" if isinstance(cause, RecursionError) else type(cause).__name__)
        return JSONResponse(status_code=422, content={"detail": [
            {"loc": "body", "msg": f"Malformed JSON: {reason}", "type": "json_invalid"}]})
    return await http_exception_handler(request, exc)


async def _on_store_down(request: Request, exc: Exception) -> JSONResponse:
    """The database refused or lost the connection: nothing of this request was recorded; say so, and when to retry."""
    log.error("store unavailable on %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
    return JSONResponse(status_code=503, headers={"Retry-After": "5"}, content={
        "detail": "The store is unavailable; nothing of this request was recorded. Retry later."})


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": "Internal server error; it has been logged"})


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(InputError, _on_input_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(OperationalError, _on_store_down)
    app.add_exception_handler(Exception, _on_unexpected)
