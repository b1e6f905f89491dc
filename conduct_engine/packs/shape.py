"""Reading pack files and turning schema errors into ``file:line`` issues (the loader's read and shape stages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from conduct_engine.errors import PackIssue
from conduct_engine.packs.problems import did_you_mean
from conduct_engine.packs.yaml_lines import DuplicateKeyError, LineDict, LineList, load_yaml_with_lines


def line_of(node: Any, loc: tuple) -> int:
    """Walk a pydantic error location through LineDict/LineList to the nearest line."""
    line = getattr(node, "line", 1)
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.line_of(str(part))
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line = node.line_of(part)
            node = node[part]
        else:
            break
    return line


def shape_issues(file: str, node: Any, exc: ValidationError, model: type, prefix: str = "") -> list[PackIssue]:
    """One issue per schema error: unknown keys (with a hint), missing keys, wrong types."""
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc)
        hint = None
        if err["type"] == "extra_forbidden":
            owner: Any = model
            for part in loc[:-1]:
                sub = getattr(owner, "model_fields", {}).get(part)
                owner = getattr(sub, "annotation", None) if sub else None
            names = list(getattr(owner, "model_fields", {}) or [])
            hint = did_you_mean(str(loc[-1]), names)
            msg = f"unknown key {prefix}{where!s}"
        elif err["type"] == "missing":
            msg = f"missing {prefix}{where}"
        else:
            msg = f"{prefix}{where}: {err['msg']}"
        issues.append(PackIssue(file, line_of(node, loc), "pack.shape", msg, hint))
    return issues


def read_yaml(path: Path, root: Path, issues: list[PackIssue]) -> Any:
    """One YAML file with line numbers, or None with the problem appended to ``issues``."""
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        return load_yaml_with_lines(path.read_text(encoding="utf-8"))
    except DuplicateKeyError as exc:
        issues.append(PackIssue(rel, exc.line, "yaml.duplicate_key", str(exc)))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issues.append(PackIssue(rel, (mark.line + 1) if mark else 1, "yaml.syntax", str(exc).splitlines()[0]))
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(PackIssue(rel, 1, "yaml.read", str(exc)))
    return None


__all__ = ["line_of", "read_yaml", "shape_issues"]
