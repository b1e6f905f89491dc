"""Request limits: a pure ASGI middleware that rejects bodies above a size limit with 413 and JSON bodies that
break the untrusted-input rules (duplicate keys, nesting, numbers; SPEC §12) with 422, and the rate limiter (429)."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import error_body
from conduct_engine import error_codes
from conduct_engine.store.rate_windows import RateWindows, window_of
from conduct_engine.untrusted import UntrustedInputError, load_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimitMiddleware:
    """Refuse bodies over ``max_body_bytes``: by Content-Length up front, else while counting chunks; then
    refuse a JSON body that :func:`conduct_engine.untrusted.load_json` refuses (422, before any route parses it).

    The body is read (at most ``max_body_bytes`` of it) before the app runs and replayed to it, so
    an oversized chunked body is refused as soon as it crosses the limit, never read to the end. Every route
    that reads JSON — today's and those added later — is covered, because the check sits in front of them all.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_nesting: int = 64):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_nesting = max_nesting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._reject(send, f"declared Content-Length of {declared} bytes")
            return
        buffered: list[Message] = []
        total = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break  # client went away: let the app see the disconnect
            total += len(message.get("body", b""))
            if total > self.max_body_bytes:
                await self._reject(send, f"more than {self.max_body_bytes} bytes received")
                return
            if not message.get("more_body", False):
                break
        problem = _json_problem(scope, buffered, self.max_nesting)
        if problem is not None:
            body = json.dumps(error_body(error_codes.INVALID_INPUT, [problem], [problem])).encode()
            await send({"type": "http.response.start", "status": 422, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send, what: str) -> None:
        detail = f"Request body too large ({what}); the limit is {self.max_body_bytes} bytes"
        body = json.dumps(error_body(error_codes.PAYLOAD_TOO_LARGE, detail)).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Request budgets shared by every worker process: per API key per minute, and failed authentications per
    client address per minute (counted in the store's rate windows; in this process's memory without a store,
    which only a server without auth has, where nothing is limited anyway).

    The methods block on the store: call them from a worker thread.
    """

    def __init__(self, per_minute: int, failures_per_minute: int = 30, windows: RateWindows | None = None):
        self.per_minute = per_minute
        self.failures_per_minute = failures_per_minute
        self._windows = windows
        self._local: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _hit(self, bucket: str) -> int:
        if self._windows is not None:
            return self._windows.hit(bucket)
        window = window_of()
        with self._lock:
            self._local = {k: v for k, v in self._local.items() if k[1] >= window - 1}
            count = self._local.get((bucket, window), 0) + 1
            self._local[(bucket, window)] = count
            return count

    def _count(self, bucket: str) -> int:
        if self._windows is not None:
            return self._windows.count(bucket)
        with self._lock:
            return self._local.get((bucket, window_of()), 0)

    def allow(self, key: str) -> bool:
        """Count one request of ``key``; False when that is past its budget for this minute."""
        return self._hit(f"key:{key}") <= self.per_minute

    def blocked(self, address: str) -> bool:
        """Whether ``address`` has failed authentication too often this minute (it gets 429 until the next)."""
        return self._count(f"auth-fail:{address}") >= self.failures_per_minute

    def failed(self, address: str) -> None:
        """Count one failed authentication from ``address``."""
        self._hit(f"auth-fail:{address}")


def _is_json(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON: no Content-Type, or ``application/json`` / ``…+json``."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
    return True


def _json_problem(scope: Scope, messages: list[Message], max_nesting: int) -> dict[str, str] | None:
    """The first untrusted-input problem of a JSON body (``{loc, msg, type}``), or None.

    Syntax errors and non-UTF-8 bodies are left to FastAPI, which reports them with the character position.
    """
    if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") or not _is_json(scope):
        return None
    raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    if not raw.strip():
        return None
    try:
        load_json(raw.decode("utf-8"), name="body", max_depth=max_nesting)
    except UnicodeDecodeError:
        return None
    except UntrustedInputError as exc:
        if exc.code == "json.syntax":
            return None
        return {"loc": _body_loc(exc.path), "msg": exc.reason, "type": exc.code}
    except (RecursionError, MemoryError):  # never let the check itself fail the request with a dropped connection
        return {"loc": "body", "msg": "the body cannot be read within the input limits", "type": "json.too_deep"}
    return None


def _body_loc(path: str | None) -> str:
    """A JSON path (``$.records[0].value_cny``) as the API's dotted body location (``records.0.value_cny``)."""
    if not path or path == "$":
        return "body"
    dotted = path.removeprefix("$").replace("[", ".").replace("]", "").lstrip(".")
    return dotted or "body"


def _content_length(scope: Scope) -> int | None:
    """The Content-Length header as an int, or None when absent or unreadable."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
