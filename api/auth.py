"""API keys with roles: ``submitter`` (check; its own decisions and cases), ``reviewer`` (read all decisions,
work review cases), ``auditor`` (read all, scans), ``admin``.

A key comes in ``X-API-Key`` (or ``Authorization: Bearer …``). No key: 401; a role beyond the key's: 403.
Each key also has a request budget per minute (``$CONDUCT_RATE_LIMIT``, default 600), and each client address a
budget of failed authentications (``$CONDUCT_AUTH_FAILURE_LIMIT``, default 30): over either, 429. Both are
counted in the store, so they hold across every worker process.
With auth off (``conduct-check serve --no-auth``, for a local demo) every caller acts as ``local`` admin.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request
from starlette.datastructures import Headers

from api.deps import AppState, StateDep
from api.limits import Admission, RateLimiter
from conduct_engine.store import KeyInfo
from conduct_engine.store.rate_windows import WINDOW_SECONDS

ROLE_RANK = {"submitter": 0, "reviewer": 1, "auditor": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    """Who is calling."""

    id: str
    role: str
    name: str = ""
    employee_id: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.id)

    def can_read_all(self) -> bool:
        """Reviewers, auditors and admins read every decision; submitters only their own."""
        return self.role in ("reviewer", "auditor", "admin")


LOCAL = Principal("local", "admin")


def _secret(request: Request) -> str | None:
    return secret_of(request.headers)


def secret_of(headers: Headers) -> str | None:
    """The API key a request carries: ``X-API-Key``, else ``Authorization: Bearer …``; None without one."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def _retry_after() -> int:
    """Seconds until the next rate window opens."""
    return max(1, WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS)


def require(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the given roles (admin is always admitted).

    Async, so a request does not hop to a worker thread for it: key lookups are cached for a second (a cache miss
    is one indexed query), and the rate limiter's count is one turn group-committed with concurrent requests'.
    """
    allowed = allowed_roles(*roles)

    async def dependency(request: Request, state: StateDep) -> Principal:
        return await authorize(state, request.client.host if request.client else "unknown", _secret(request),
                               allowed)

    return dependency


def allowed_roles(*roles: str) -> frozenset[str]:
    """The roles a route admits: those given, and admin."""
    return frozenset(roles) | {"admin"}


def admissible(state: AppState, secret: str | None, allowed: frozenset[str]) -> Principal | None:
    """The caller :func:`authorize` may admit, before its turn is taken (it may still be over its budget): the
    local admin when auth is off, else the key's holder when the key is known and its role allowed; None
    otherwise. Counts nothing."""
    if not state.settings.auth:
        return LOCAL
    assert state.store is not None  # create_app refuses auth without a store
    info = state.store.keys.authenticate(secret) if secret else None
    if info is None or info.role not in allowed:
        return None
    return Principal(info.id, info.role, info.name, info.employee_id)


async def authorize(state: AppState, address: str, secret: str | None, allowed: frozenset[str]) -> Principal:
    """Who is calling, with its turn at the rate limiter taken; HTTPException 401, 403 or 429 otherwise."""
    if not state.settings.auth:
        return LOCAL
    store, rate_limiter = state.store, state.rate_limiter
    assert store is not None  # create_app refuses auth without a store
    info: KeyInfo | None = store.keys.authenticate(secret) if secret else None
    admission = await rate_limiter.admit(address, info.id if info is not None else None)
    refuse_blocked(admission, rate_limiter)
    if info is None:
        raise HTTPException(401, "Unknown or revoked API key" if secret else "An API key is required "
                            "(header X-API-Key)", headers={"WWW-Authenticate": "ApiKey"})
    refuse_over(admission, rate_limiter)
    if info.role not in allowed:
        raise HTTPException(403, f"This needs the role {' or '.join(sorted(allowed))}; the key is a {info.role}")
    return Principal(info.id, info.role, info.name, info.employee_id)


def refuse_blocked(admission: Admission, rate_limiter: RateLimiter) -> None:
    """429 when the caller's address failed authentication too often this minute."""
    if admission is Admission.BLOCKED:
        raise HTTPException(429, f"Too many failed authentications from this address (more than "
                            f"{rate_limiter.failures_per_minute} a minute); try again later",
                            headers={"Retry-After": str(_retry_after())})


def refuse_over(admission: Admission, rate_limiter: RateLimiter) -> None:
    """429 when the caller's key is past its budget for this minute."""
    if admission is Admission.OVER:
        raise HTTPException(429, f"Rate limit of {rate_limiter.per_minute} requests per minute "
                            "exceeded for this key", headers={"Retry-After": str(_retry_after())})

