"""The durable-rules build (``scripts/build_durable_rules.py``): every fix applies to the pinned sdist exactly once,
and the build installed is the one the fixes make."""

from __future__ import annotations

import importlib.util
import tarfile
from pathlib import Path

import pytest

from conduct_engine.rete import PATCH_TAG, engine_version

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("build_durable_rules", ROOT / "scripts" / "build_durable_rules.py")
assert _spec is not None and _spec.loader is not None
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)
SDIST = ROOT / ".cache" / "sdist" / build.SDIST


@pytest.fixture
def source(tmp_path: Path) -> Path:
    if not SDIST.exists():  # `make install` downloads it; a checkout without it has no engine either
        pytest.skip(f"{SDIST} not downloaded")
    with tarfile.open(SDIST) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / f"durable_rules-{build.VERSION}"


def test_every_fix_applies_once_and_the_frame_tables_are_smaller(source: Path) -> None:
    build.apply_fixes(source)
    state_h = (source / "src/rules/state.h").read_text(encoding="utf-8")
    assert "#define MAX_LEFT_FRAME_INDEX_LENGTH 64\n" in state_h
    assert "#define MAX_RIGHT_FRAME_INDEX_LENGTH 64\n" in state_h
    assert "#define MAX_MESSAGE_INDEX_LENGTH 512\n" in state_h  # the message index is walked in order: unchanged
    state_c = (source / "src/rules/state.c").read_text(encoding="utf-8")
    assert "node->context.messages = NULL;" in state_c
    assert "PyEval_CallObject(" not in (source / "src/rulespy/rules.c").read_text(encoding="utf-8")
    assert f"+{build.LOCAL_TAG}'" in (source / "setup.py").read_text(encoding="utf-8")


def test_a_fix_that_no_longer_applies_fails_loudly(source: Path) -> None:
    build.apply_fixes(source)
    with pytest.raises(SystemExit, match=r"expected \d+ occurrence\(s\)"):
        build.apply_fixes(source)  # the texts they replace are gone now


def test_the_installed_engine_is_this_build() -> None:
    assert build.LOCAL_TAG == PATCH_TAG
    assert engine_version() == f"{build.VERSION}+{build.LOCAL_TAG}"
