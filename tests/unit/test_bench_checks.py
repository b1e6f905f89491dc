"""The benchmark's hand-written checks are transcribed from the bundled pack: ``pack_drift`` says when they are not."""

from __future__ import annotations

import copy

from conduct_engine.engine import Engine
from tests.bench import handwritten as hw


def test_the_hand_written_checks_match_the_bundled_pack():
    assert hw.pack_drift(Engine.from_paths().packs) == []


def test_only_branch_overrides_of_parameters_the_checks_read_are_drift():
    packs = copy.deepcopy(Engine.from_paths().packs)
    packs.branches.setdefault("GZ-002", {})["case_sla_review_bd"] = 9  # not read by the hand-written checks
    assert hw.pack_drift(packs) == []
    packs.branches["GZ-002"]["gift_keep_max_cny"] = 100
    assert [d for d in hw.pack_drift(packs) if d.startswith("branches:")]
