"""Request limits: a pure ASGI middleware that rejects bodies above a size limit with 413 and JSON bodies that
break the untrusted-input rules (duplicate keys, nesting, numbers; SPEC §12) with 422, and the rate limiter (429)."""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import error_body
from conduct_engine import error_codes
from conduct_engine.store.rate_windows import Turn, window_of
from conduct_engine.untrusted import UntrustedInputError, load_json

Scope = MutableMapping[str, Any]
#: Where the middleware leaves a JSON body's value it read (a body without an untrusted-input problem), in the scope
PARSED_BODY = "conduct.parsed_body"
_UNPARSED = object()
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
        problem, parsed = _json_problem(scope, buffered, self.max_nesting)
        if parsed is not _UNPARSED:
            scope[PARSED_BODY] = parsed  # read once: api.fast_check takes the value from here
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


class Admission(enum.Enum):
    """What the rate limiter says about one request."""

    OK = "ok"
    BLOCKED = "blocked"  # its address failed authentication too often this minute
    UNKNOWN = "unknown"  # no valid key: counted as a failed authentication
    OVER = "over"  # its key is past its budget for this minute


class RateLimiter:
    """Request budgets shared by every worker process: per API key per minute, and failed authentications per
    client address per minute (counted in the store's rate windows; in this process's memory without a store,
    which only a server without auth has, where nothing is limited anyway).
    """

    def __init__(self, per_minute: int, failures_per_minute: int = 30,
                 take_turn: Callable[[Turn], Awaitable[int | None]] | None = None):
        self.per_minute = per_minute
        self.failures_per_minute = failures_per_minute
        self._take_turn = take_turn  # the store's (``Store.take_turn``); None: count in this process
        self._local: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    async def admit(self, address: str, key: str | None) -> Admission:
        """One request's turn, counted at once: BLOCKED when ``address`` has failed authentication too often
        this minute (nothing counted); else UNKNOWN without a valid ``key`` (a failure of ``address`` counted);
        else one request of ``key`` counted, OVER when that is past its budget.

        With a store, the turn is group-committed with concurrent requests' and awaited on the event loop.
        """
        turn = self.turn(address, key)
        count = await self._take_turn(turn) if self._take_turn is not None else self._local_turn(turn)
        return self.admission(count, key)

    def turn(self, address: str, key: str | None) -> Turn:
        """The turn of one request of ``key`` (None: no valid key) from ``address``, guarded by its failures."""
        guard = f"auth-fail:{address}"
        return Turn(f"key:{key}" if key is not None else guard, guard, self.failures_per_minute)

    def admission(self, count: int | None, key: str | None) -> Admission:
        """What a turn's ``count`` (None: its guard refused it) says about a request of ``key``."""
        if count is None:
            return Admission.BLOCKED
        if key is None:
            return Admission.UNKNOWN
        return Admission.OK if count <= self.per_minute else Admission.OVER

    @property
    def counted_in_store(self) -> bool:
        """Whether turns are counted in the store (shared by the workers), so they can join its transactions."""
        return self._take_turn is not None

    def _local_turn(self, turn: Turn) -> int | None:
        window = window_of()
        with self._lock:
            self._local = {k: v for k, v in self._local.items() if k[1] >= window - 1}
            if turn.guard is not None and self._local.get((turn.guard, window), 0) >= turn.guard_limit:
                return None
            count = self._local.get((turn.bucket, window), 0) + 1
            self._local[(turn.bucket, window)] = count
            return count


def _is_json(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON: no Content-Type, or ``application/json`` / ``…+json``."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
    return True


def _json_problem(scope: Scope, messages: list[Message], max_nesting: int) -> tuple[dict[str, str] | None, Any]:
    """The first untrusted-input problem of a JSON body (``{loc, msg, type}``) or None, and the body's value
    (``_UNPARSED`` when it was not read: not JSON, empty, not UTF-8, or with a problem).

    Syntax errors and non-UTF-8 bodies are left to FastAPI, which reports them with the character position.
    """
    if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") or not _is_json(scope):
        return None, _UNPARSED
    raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    if not raw.strip():
        return None, _UNPARSED
    try:
        return None, load_json(raw.decode("utf-8"), name="body", max_depth=max_nesting)
    except UnicodeDecodeError:
        return None, _UNPARSED
    except UntrustedInputError as exc:
        if exc.code == "json.syntax":
            return None, _UNPARSED
        return {"loc": _body_loc(exc.path), "msg": exc.reason, "type": exc.code}, _UNPARSED
    except (RecursionError, MemoryError):  # never let the check itself fail the request with a dropped connection
        return {"loc": "body", "msg": "the body cannot be read within the input limits",
                "type": "json.too_deep"}, _UNPARSED


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
