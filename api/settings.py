"""Request limits, from arguments or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_MAX_BODY_BYTES = 2_000_000
DEFAULT_MAX_BATCH = 500


@dataclass(frozen=True)
class Settings:
    """Request limits: body size in bytes and records per batch."""

    max_body_bytes: int
    max_batch: int

    @classmethod
    def resolve(cls, max_body_bytes: int | None = None, max_batch: int | None = None) -> Settings:
        """Explicit values, else ``$CONDUCT_MAX_BODY_BYTES`` / ``$CONDUCT_MAX_BATCH``, else the defaults."""
        return cls(max_body_bytes=_setting(max_body_bytes, "CONDUCT_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
                   max_batch=_setting(max_batch, "CONDUCT_MAX_BATCH", DEFAULT_MAX_BATCH))


def _setting(value: int | None, env: str, default: int) -> int:
    """An explicit value, else ``$env``, else the default; must be a positive integer."""
    if value is None:
        raw = os.environ.get(env)
        try:
            value = default if raw is None or not raw.strip() else int(raw)
        except ValueError:
            raise ValueError(f"{env} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{env} must be a positive integer, got {value}")
    return value
