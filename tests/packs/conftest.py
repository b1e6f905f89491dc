"""Pack tests run against the live rules under rules/ (not the frozen starter copy the unit tests use)."""

from __future__ import annotations

import pytest

from tests.conftest import RULES


@pytest.fixture(scope="session")
def engine():
    """The engine over the bundled rules (compiled once)."""
    from conduct_engine.engine import Engine
    return Engine.from_paths(RULES)
