"""Rule templates: ``expand: {var: [a, b]}`` makes one rule per value (``${var}`` substituted, id suffixed)."""

from __future__ import annotations

import re
from typing import Any

_TEMPLATE_VAR = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


def _substitute(value: Any, bindings: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _TEMPLATE_VAR.sub(lambda m: bindings.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {_substitute(k, bindings): _substitute(v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, bindings) for v in value]
    return value


def expand(template: dict) -> tuple[list[dict], str | None]:
    """``expand: {var: [a, b]}`` makes one rule per value: ``${var}`` substituted, id suffixed ``-A``."""
    spec = template.get("expand")
    if spec is None:
        return [template], None
    if not isinstance(spec, dict) or len(spec) != 1:
        return [], "expand takes one variable with a list of values, e.g. expand: {material: [audited_fs, tax_returns]}"
    (var, values), = spec.items()
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        return [], f"expand.{var} must be a non-empty list of texts"
    body = {k: v for k, v in template.items() if k != "expand"}
    out = []
    for value in values:
        rule = _substitute(body, {var: value})
        rule["id"] = f"{body.get('id')}-{value.upper().replace('_', '-')}"
        out.append(rule)
    return out, None


__all__ = ["expand"]
