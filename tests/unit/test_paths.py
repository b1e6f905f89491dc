"""Dotted paths: mappings only, or lists indexed by number too."""

from __future__ import annotations

from conduct_engine.paths import get_indexed, get_path

DATA = {"counterparty": {"group_id": "G-1", "none": None}, "materials": [{"type": "audited_fs"}]}


def test_get_path():
    assert get_path(DATA, "counterparty.group_id") == "G-1"
    assert get_path(DATA, "counterparty.none") is None
    assert get_path(DATA, "counterparty.missing.deeper") is None
    assert get_path(DATA, "materials.0.type") is None  # lists are not indexed


def test_get_indexed():
    assert get_indexed(DATA, "materials.0.type") == "audited_fs"
    assert get_indexed(DATA, "materials.1.type") is None
    assert get_indexed(DATA, "counterparty.group_id") == "G-1"
