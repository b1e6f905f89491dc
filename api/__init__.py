"""The conduct-check HTTP API (FastAPI): ``create_app`` builds it around one Engine."""

from api.app import app_factory, create_app

__all__ = ["app_factory", "create_app"]
