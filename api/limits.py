"""Request limits: a pure ASGI middleware that rejects bodies above a size limit with 413, and the per-key
rate limiter (429)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import error_body
from conduct_engine import error_codes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimitMiddleware:
    """Refuse bodies over ``max_body_bytes``: by Content-Length up front, else while counting chunks.

    The body is read (at most ``max_body_bytes`` of it) before the app runs and replayed to it, so
    an oversized chunked body is refused as soon as it crosses the limit, never read to the end.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

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
    """A token bucket per key (per worker process)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * self.per_minute / 60.0)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True


def _content_length(scope: Scope) -> int | None:
    """The Content-Length header as an int, or None when absent or unreadable."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
