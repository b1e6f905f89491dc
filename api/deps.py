"""Request dependencies: the process's Engine and the app's limits."""

from __future__ import annotations

from fastapi import Request

from api.settings import Settings
from conduct_engine.engine import Engine


def get_engine(request: Request) -> Engine:
    """The Engine this app was built with."""
    return request.app.state.engine


def get_settings(request: Request) -> Settings:
    """The app's request limits."""
    return request.app.state.settings
