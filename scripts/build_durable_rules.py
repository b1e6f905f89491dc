"""Build durable-rules 2.0.28 from its PyPI sdist with the two source fixes of DESIGN §2 and one tuning.

Stock 2.0.28 segfaults when a session in which no action ran is deleted (uninitialised
``context.messages``/``context.stateFact`` in ``createStateNode``) and does not build on
Python 3.13 (``PyEval_CallObject`` was removed). The tuning: every session (one per record here)
gives each beta node of the ruleset two frame hash tables of 512 buckets, zeroed when the session is
created — 8 KB per node, about 2.4 MB for the loan-file ruleset, written for every record and evicting
the caches the Python stages around it run from. A session here holds one record's facts (a few dozen,
at most a few thousand for the largest record SPEC §12 admits), so 64 buckets keep chains short; frames
of one hash stay in one bucket in the same order, so matching and firing order do not change. This
script downloads the pinned sdist, checks its sha256, applies the fixes (failing loudly if one no
longer applies), and builds a wheel into the output directory. Usage::

    python scripts/build_durable_rules.py --out .cache/wheels
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "2.0.28"
SDIST = f"durable_rules-{VERSION}.tar.gz"
SHA256 = "053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61"
LOCAL_TAG = "conductfix2"

# (file, old text, new text, expected number of replacements)
FIXES: list[tuple[str, str, str, int]] = [
    (
        "src/rules/state.c",
        "    node->offset = nodeOffset;\n",
        "    node->offset = nodeOffset;\n"
        "    node->context.messages = NULL;   /* conduct-check fix: was uninitialised */\n"
        "    node->context.stateFact = NULL;  /* conduct-check fix: was uninitialised */\n",
        1,
    ),
    ("src/rulespy/rules.c", "PyEval_CallObject(", "PyObject_CallObject(", 5),
    ("src/rules/state.h", "#define MAX_LEFT_FRAME_INDEX_LENGTH 512\n", "#define MAX_LEFT_FRAME_INDEX_LENGTH 64\n", 1),
    ("src/rules/state.h", "#define MAX_RIGHT_FRAME_INDEX_LENGTH 512\n", "#define MAX_RIGHT_FRAME_INDEX_LENGTH 64\n", 1),
]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    digest.update(path.read_bytes())
    return digest.hexdigest()


def _download(dest: Path) -> Path:
    sdist = dest / SDIST
    if not sdist.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:",
             f"durable-rules=={VERSION}", "-d", str(dest)],
            check=True,
        )
    actual = _sha256(sdist)
    if actual != SHA256:
        raise SystemExit(f"{sdist}: sha256 {actual} does not match the pinned {SHA256}")
    return sdist


def apply_fixes(src_root: Path) -> None:
    """Apply the source fixes in place; raise SystemExit if any does not apply exactly."""
    for rel, old, new, expected in FIXES:
        path = src_root / rel
        text = path.read_text(encoding="utf-8")
        found = text.count(old)
        if found != expected:
            raise SystemExit(f"{rel}: expected {expected} occurrence(s) of {old!r}, found {found}")
        path.write_text(text.replace(old, new), encoding="utf-8")
    # Mark the build so `pip show` tells a patched engine from a stock one.
    setup = src_root / "setup.py"
    text = setup.read_text(encoding="utf-8")
    setup.write_text(text.replace(f"version = '{VERSION}'", f"version = '{VERSION}+{LOCAL_TAG}'"),
                     encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(".cache/wheels"))
    parser.add_argument("--download-dir", type=Path, default=Path(".cache/sdist"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.download_dir.mkdir(parents=True, exist_ok=True)
    existing = sorted(args.out.glob(f"durable_rules-{VERSION}+{LOCAL_TAG}-*.whl"))
    if existing:
        print(f"durable-rules: using {existing[-1]}")
        return 0
    sdist = _download(args.download_dir)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp, filter="data")
        src_root = Path(tmp) / f"durable_rules-{VERSION}"
        apply_fixes(src_root)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(args.out), str(src_root)],
            check=True,
        )
    print(f"durable-rules: built {sorted(args.out.glob('durable_rules-*.whl'))[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
