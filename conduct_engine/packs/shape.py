"""Reading pack files and turning schema errors into ``file:line`` issues (the loader's read and shape stages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from conduct_engine import error_codes
from conduct_engine.errors import PackIssue
from conduct_engine.packs.problems import did_you_mean
from conduct_engine.packs.yaml_lines import DuplicateKeyError, LineDict, LineList, load_yaml_with_lines
from conduct_engine.untrusted import Limits, UntrustedInputError

_YAML_HINTS = {
    error_codes.YAML_TOO_MANY_NODES: "anchors and aliases (&a / *a) expand: write the values out, or split the file",
    error_codes.YAML_RECURSIVE_ALIAS: "an alias cannot refer to the node it is inside",
    error_codes.YAML_CUSTOM_TAG: "plain YAML only: strings, numbers, booleans, lists and mappings",
    "duplicate_key": "YAML would silently keep the last one; remove one of them",
}


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
        issues.append(PackIssue(file, line_of(node, loc), error_codes.PACK_SHAPE, msg, hint))
    return issues


def read_yaml(path: Path, root: Path, issues: list[PackIssue]) -> Any:
    """One YAML file with line numbers, or None with the problem appended to ``issues``."""
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    limits = Limits.load()
    try:
        size = path.stat().st_size
        if size > limits.document_bytes:
            issues.append(PackIssue(rel, 1, error_codes.YAML_TOO_LARGE, f"larger than {limits.document_bytes:,} bytes "
                                    "(CONDUCT_MAX_DOCUMENT_BYTES)"))
            return None
        return load_yaml_with_lines(path.read_text(encoding="utf-8"), name=rel, max_nodes=limits.yaml_nodes,
                                    max_depth=limits.nesting)
    except UntrustedInputError as exc:
        code = "yaml.duplicate_key" if exc.code == "duplicate_key" else exc.code
        issues.append(PackIssue(rel, exc.line or 1, code if "." in code else f"yaml.{code}", exc.detail(),
                                _YAML_HINTS.get(exc.code)))
    except DuplicateKeyError as exc:
        issues.append(PackIssue(rel, exc.line, error_codes.YAML_DUPLICATE_KEY, str(exc)))
    except RecursionError:
        issues.append(PackIssue(rel, 1, error_codes.YAML_TOO_DEEP, "nested too deeply to read"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issues.append(PackIssue(rel, (mark.line + 1) if mark else 1, error_codes.YAML_SYNTAX, str(exc).splitlines()[0]))
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(PackIssue(rel, 1, error_codes.YAML_READ, str(exc)))
    return None


__all__ = ["line_of", "read_yaml", "shape_issues"]
