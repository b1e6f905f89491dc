"""Load a rules directory: read every pack file, validate it, compile it — or report every error.

Stages, in order (each collects issues instead of stopping at the first):

1. ``read``      — parse YAML with line numbers (``bundle.yaml``, ``standards.yaml``, ``labels.yaml``, packs)
2. ``shape``     — check each file and rule against the pack schema (unknown keys, types, missing texts)
3. ``names``     — unique rule ids, known standards and fact types, parameters, aggregates
4. ``compile``   — compile every condition to durable_rules JSON (fields, enums, regexes, limits)
5. ``templates`` — check every message placeholder names something the rule can fill

A pack with any error does not load at all (``PackError`` lists every issue).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from conduct_engine.derived import Derived, compile_derived
from conduct_engine.errors import PackError, PackIssue
from conduct_engine.packs import schema
from conduct_engine.packs.compiler import JoinSpec, compile_rule, parse_match
from conduct_engine.packs.expressions import ExprError, did_you_mean
from conduct_engine.packs.fields import FactSchema, FieldType, catalog, lookup, record_kinds
from conduct_engine.packs.yaml_lines import DuplicateKeyError, LineDict, LineList, load_yaml_with_lines
from conduct_engine.standards import Standard, load_standards

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
RESERVED_FILES = {"bundle.yaml", "standards.yaml", "labels.yaml"}


@dataclass
class RuleDef:
    """A validated, compiled rule (durable_rules JSON for the default parameters)."""

    rule: schema.Rule
    file: str
    line: int
    joins: list[JoinSpec]
    refs: dict[str, set[str]]  # alias -> fields read ("record" is the record itself)
    params_used: set[str]
    definition: dict
    placeholders: list[str]
    record_copies: set[str] = field(default_factory=set)


@dataclass
class LoadedPacks:
    """Everything a rules directory defines, validated and compiled."""

    name: str
    version: str
    digest: str
    root: Path
    standards: dict[str, Standard]
    parameters: dict[str, Any]
    parameter_docs: dict[str, str | None]
    branches: dict[str, dict[str, Any]]
    fx: dict[str, float]
    aggregates: dict[str, schema.Aggregate]
    derived: dict[str, Derived]
    rules: dict[str, RuleDef]
    test_defaults: dict[str, dict[str, Any]]  # kind -> defaults (the first file that gives them)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    file_test_defaults: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def test_defaults_for(self, file: str, kind: str) -> dict[str, Any]:
        """Test-record defaults for a kind: the rule's own file first, then any pack's."""
        return self.file_test_defaults.get(file, {}).get(kind) or self.test_defaults.get(kind) or {"kind": kind}

    def params_for(self, branch: str | None) -> dict[str, Any]:
        """The parameters in force for a branch (defaults with its overrides)."""
        if branch and branch in self.branches:
            return {**self.parameters, **self.branches[branch]}
        return self.parameters


def _line_of(node: Any, loc: tuple) -> int:
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


def _shape_issues(file: str, node: Any, exc: ValidationError, model: type, prefix: str = "") -> list[PackIssue]:
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
        issues.append(PackIssue(file, _line_of(node, loc), "pack.shape", msg, hint))
    return issues


def _read(path: Path, root: Path, issues: list[PackIssue]) -> Any:
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


def _param_type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return type(default) is type(value)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, list):
        return isinstance(value, list)
    return type(default) is type(value)


def load_packs(root: Path | str) -> LoadedPacks:
    """Load, validate and compile every pack under ``root``; raise PackError listing all issues."""
    root = Path(root)
    issues: list[PackIssue] = []
    if not root.is_dir():
        raise PackError([PackIssue(str(root), 0, "pack.missing", "rules directory not found")])

    def rel(path: Path) -> str:
        return str(path.relative_to(root.parent))

    # 1. read
    hasher = hashlib.sha256()
    files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
    for path in files:
        hasher.update(rel(path).encode() + b"\0" + path.read_bytes() + b"\0")
    digest = "sha256:" + hasher.hexdigest()

    standards: dict[str, Standard] = {}
    try:
        standards = load_standards(root / "standards.yaml")
    except PackError as exc:
        issues += exc.issues
    except OSError as exc:
        issues.append(PackIssue(rel(root / "standards.yaml"), 0, "standards.read", str(exc)))

    bundle_name, bundle_version = root.name, "0"
    bundle_raw = _read(root / "bundle.yaml", root, issues) if (root / "bundle.yaml").exists() else None
    if bundle_raw is not None:
        try:
            bundle = schema.Bundle.model_validate(bundle_raw)
            bundle_name, bundle_version = bundle.name, bundle.version
        except ValidationError as exc:
            issues += _shape_issues(rel(root / "bundle.yaml"), bundle_raw, exc, schema.Bundle)

    labels: dict[str, dict[str, str]] = {}
    if (root / "labels.yaml").exists():
        raw = _read(root / "labels.yaml", root, issues) or {}
        for value, pair in (raw.get("values") or {}).items():
            if isinstance(pair, list) and len(pair) == 2:
                labels[str(value)] = {"zh": str(pair[0]), "en": str(pair[1])}
            else:
                issues.append(PackIssue(rel(root / "labels.yaml"), raw["values"].line_of(value),
                                        "labels.shape", f"label of {value!r} must be [zh, en]"))

    # 2. shape
    packs: list[tuple[str, LineDict, schema.PackFile]] = []
    for path in files:
        if path.name in RESERVED_FILES or path.name.endswith(".tests.yaml"):
            continue
        raw = _read(path, root, issues)
        if raw is None:
            continue
        if not isinstance(raw, LineDict):
            issues.append(PackIssue(rel(path), 1, "pack.shape", "a pack file must be a mapping"))
            continue
        try:
            packs.append((rel(path), raw, schema.PackFile.model_validate(raw)))
        except ValidationError as exc:
            issues += _shape_issues(rel(path), raw, exc, schema.PackFile)

    # 3. names: parameters, branches, fx, aggregates
    cat = catalog()
    kinds = record_kinds()
    parameters: dict[str, Any] = {}
    parameter_docs: dict[str, str | None] = {}
    param_where: dict[str, tuple[str, int]] = {}
    fx: dict[str, float] = {}
    aggregates: dict[str, schema.Aggregate] = {}
    test_defaults: dict[str, dict[str, Any]] = {}
    file_test_defaults: dict[str, dict[str, dict[str, Any]]] = {}
    for file, raw, pack in packs:
        for name, spec in pack.parameters.items():
            line = raw["parameters"].line_of(name)
            if not schema.NAME.match(name):
                issues.append(PackIssue(file, line, "param.name", f"parameter name {name!r} must be snake_case"))
            if name in parameters:
                issues.append(PackIssue(file, line, "param.duplicate",
                                        f"parameter {name!r} already defined at {':'.join(map(str, param_where[name]))}"))
                continue
            value = spec.value if isinstance(spec, schema.Parameter) else spec
            if isinstance(spec, dict):
                issues.append(PackIssue(file, line, "param.shape", f"parameter {name!r}: use {{value: …}}"))
                continue
            parameters[name] = value
            parameter_docs[name] = spec.description if isinstance(spec, schema.Parameter) else None
            param_where[name] = (file, line)
        for cur, rate in pack.fx.items():
            if rate <= 0:
                issues.append(PackIssue(file, raw["fx"].line_of(cur), "fx.rate", f"rate of {cur} must be positive"))
            fx[cur.upper()] = rate
        for kind, defaults in pack.test_defaults.items():
            if kind not in kinds:
                issues.append(PackIssue(file, raw["test_defaults"].line_of(kind), "tests.kind",
                                        f"unknown record kind {kind!r}", did_you_mean(kind, kinds)))
            test_defaults.setdefault(kind, dict(defaults))
            file_test_defaults.setdefault(file, {})[kind] = dict(defaults)
    branches: dict[str, dict[str, Any]] = {}
    for file, raw, pack in packs:
        for branch, overrides in pack.branches.items():
            for name, value in overrides.items():
                line = raw["branches"][branch].line_of(name)
                if name not in parameters:
                    issues.append(PackIssue(file, line, "branch.unknown_param",
                                            f"branch {branch!r} overrides unknown parameter {name!r}",
                                            did_you_mean(name, parameters)))
                elif not _param_type_ok(parameters[name], value):
                    issues.append(PackIssue(file, line, "branch.type",
                                            f"branch {branch!r}: {name} must be like {parameters[name]!r}"))
                else:
                    branches.setdefault(str(branch), {})[name] = value
        for name, agg in pack.aggregates.items():
            line = raw["aggregates"].line_of(name)
            issues += _check_aggregate(file, line, name, agg, cat, kinds)
            if name in aggregates:
                issues.append(PackIssue(file, line, "aggregate.duplicate", f"aggregate {name!r} defined twice"))
            aggregates[name] = agg
    derived: dict[str, Derived] = {}
    for file, raw, pack in packs:
        for name, spec in pack.derived.items():
            line = raw["derived"].line_of(name)
            unknown = [k for k in spec.applies_to if k not in kinds]
            if unknown:
                issues.append(PackIssue(file, line, "derived.kind", f"derived {name}: unknown kind {unknown[0]!r}",
                                        did_you_mean(unknown[0], kinds)))
                continue
            clash = [k for k in spec.applies_to if name in cat[k].fields]
            if not schema.NAME.match(name) or clash or name in derived or name in parameters:
                issues.append(PackIssue(file, line, "derived.name", f"derived {name}: the name must be snake_case "
                                        "and unused by record fields, parameters and other derived values"))
                continue
            try:
                derived[name] = compile_derived(name, spec.value, spec.applies_to, parameters)
            except ExprError as exc:
                issues.append(PackIssue(file, line, exc.code, f"derived {name}: {exc.message}", exc.hint))

    # 4. rules
    rules: dict[str, RuleDef] = {}
    for file, raw, pack in packs:
        for index, template in enumerate(pack.rules):
            node = raw["rules"][index]
            line = raw["rules"].line_of(index)
            expanded, expand_issue = _expand(template)
            if expand_issue:
                issues.append(PackIssue(file, node.line_of("expand"), "rule.expand", expand_issue))
                continue
            for rule_raw in expanded:
                issues += _load_rule(file, node, line, rule_raw, rules, standards, kinds, parameters, aggregates,
                                     derived, cat)

    if issues:
        raise PackError(issues)
    return LoadedPacks(bundle_name, bundle_version, digest, root, standards, parameters, parameter_docs,
                       branches, fx, aggregates, derived, rules, test_defaults, labels, file_test_defaults)


def _load_rule(file: str, node: LineDict, line: int, rule_raw: dict, rules: dict[str, RuleDef],
               standards: dict[str, Standard], kinds: tuple[str, ...], parameters: dict[str, Any],
               aggregates: dict[str, schema.Aggregate], derived: dict[str, Derived],
               cat: dict[str, FactSchema]) -> list[PackIssue]:
    """Validate and compile one (expanded) rule into ``rules``; return its issues."""
    issues: list[PackIssue] = []
    try:
        rule = schema.Rule.model_validate(rule_raw)
    except ValidationError as exc:
        return _shape_issues(file, node, exc, schema.Rule)
    if rule.id in rules:
        other = rules[rule.id]
        return [PackIssue(file, node.line_of("id"), "rule.duplicate_id",
                          f"rule id {rule.id!r} already used at {other.file}:{other.line}")]
    rule_issues = _check_rule(file, node, rule, standards, kinds)
    if rule_issues:
        return rule_issues
    try:
        compiled = compile_rule(rule, parameters, aggregates, derived)
    except ExprError as exc:
        where = getattr(exc, "where", "when")
        if isinstance(where, tuple) and isinstance(node.get("match"), LineList):
            err_line = node["match"].line_of(where[1])
        else:
            err_line = node.line_of(where if isinstance(where, str) else "match")
        return [PackIssue(file, err_line, exc.code, f"rule {rule.id}: {exc.message}", exc.hint)]
    joins, refs, params_used, definition, copies = compiled
    placeholders, template_issues = _check_templates(file, node, rule, joins, cat, parameters, aggregates, derived)
    issues += template_issues
    rules[rule.id] = RuleDef(rule, file, line, joins, refs, params_used, definition, placeholders, copies)
    return issues


_TEMPLATE_VAR = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


def _substitute(value: Any, bindings: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _TEMPLATE_VAR.sub(lambda m: bindings.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {_substitute(k, bindings): _substitute(v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, bindings) for v in value]
    return value


def _expand(template: dict) -> tuple[list[dict], str | None]:
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


def _check_aggregate(file: str, line: int, name: str, agg: schema.Aggregate,
                     cat: dict[str, FactSchema], kinds: tuple[str, ...]) -> list[PackIssue]:
    out = []
    if not schema.NAME.match(name):
        out.append(PackIssue(file, line, "aggregate.name", f"aggregate name {name!r} must be snake_case"))
    if agg.over not in kinds:
        return [PackIssue(file, line, "aggregate.kind", f"aggregate {name}: unknown kind {agg.over!r}",
                          did_you_mean(agg.over, kinds))]
    over = cat[agg.over].fields
    for kind in agg.applies_to:
        if kind not in kinds:
            out.append(PackIssue(file, line, "aggregate.kind", f"aggregate {name}: unknown kind {kind!r}",
                                 did_you_mean(kind, kinds)))
            continue
        for rec_field in agg.match.values():
            if rec_field not in cat[kind].fields:
                out.append(PackIssue(file, line, "aggregate.field",
                                     f"aggregate {name}: {kind} has no field {rec_field!r}",
                                     did_you_mean(rec_field, cat[kind].fields)))
    for hist_field in list(agg.match) + list(agg.where):
        if hist_field not in over:
            out.append(PackIssue(file, line, "aggregate.field", f"aggregate {name}: {agg.over} has no field "
                                 f"{hist_field!r}", did_you_mean(hist_field, over)))
    for hist_field, value in agg.where.items():
        ftype = over.get(hist_field)
        for v in value if isinstance(value, list) else [value]:
            if ftype and ftype.kind == "enum" and v not in ftype.values:
                out.append(PackIssue(file, line, "aggregate.enum", f"aggregate {name}: {v!r} is not a value of "
                                     f"{hist_field}", did_you_mean(str(v), ftype.values)))
    measures = [agg.sum is not None, agg.count, agg.count_distinct is not None, agg.latest]
    if sum(measures) != 1:
        out.append(PackIssue(file, line, "aggregate.measure",
                             f"aggregate {name}: give exactly one of sum, count, count_distinct or latest"))
    elif agg.count_distinct and agg.count_distinct not in over:
        out.append(PackIssue(file, line, "aggregate.field", f"aggregate {name}: {agg.over} has no field "
                             f"{agg.count_distinct!r}", did_you_mean(agg.count_distinct, over)))
    elif agg.sum and (agg.sum not in over or over[agg.sum].kind != "number"):
        out.append(PackIssue(file, line, "aggregate.field", f"aggregate {name}: sum needs a number field of "
                             f"{agg.over}", did_you_mean(agg.sum, [f for f, t in over.items() if t.kind == "number"])))
    return out


def _check_rule(file: str, node: LineDict, rule: schema.Rule, standards: dict[str, Standard],
                kinds: tuple[str, ...]) -> list[PackIssue]:
    out = []
    for key, code in [("standard", rule.standard)] + [("also", c) for c in rule.also]:
        if standards and code not in standards:
            out.append(PackIssue(file, node.line_of(key), "rule.standard",
                                 f"rule {rule.id}: unknown standard {code!r}", did_you_mean(code, standards)))
    if rule.applies_to not in kinds:
        out.append(PackIssue(file, node.line_of("applies_to"), "rule.applies_to",
                             f"rule {rule.id}: unknown record kind {rule.applies_to!r}",
                             did_you_mean(rule.applies_to, kinds)))
    if rule.effective_from and rule.effective_to and rule.effective_to <= rule.effective_from:
        out.append(PackIssue(file, node.line_of("effective_to"), "rule.effective",
                             f"rule {rule.id}: effective_to must be after effective_from"))
    if not rule.when and not rule.match:
        out.append(PackIssue(file, node.line, "rule.condition", f"rule {rule.id}: needs 'when' or 'match'"))
    if not rule.tests.fires or not rule.tests.silent:
        out.append(PackIssue(file, node.line_of("tests"), "rule.tests",
                             f"rule {rule.id}: needs test records under tests.fires and tests.silent"))
    return out


def _check_templates(file: str, node: LineDict, rule: schema.Rule, joins: list[JoinSpec],
                     cat: dict[str, FactSchema], parameters: dict[str, Any],
                     aggregates: dict[str, schema.Aggregate], derived: dict[str, Derived]
                     ) -> tuple[list[str], list[PackIssue]]:
    out: list[PackIssue] = []
    names: dict[str, FieldType | None] = dict(cat[rule.applies_to].fields)
    names.update({d: None for d, spec in derived.items() if rule.applies_to in spec.applies_to})
    names.update({p: None for p in parameters})
    names.update({f"agg.{a}": None for a, spec in aggregates.items() if rule.applies_to in spec.applies_to})
    for join in joins:
        if not join.negated:
            names.update({f"{join.alias}.{f}": t for f, t in cat[join.fact_type].fields.items()})
    found: list[str] = []
    for section in ("message", "remediation"):
        texts = getattr(rule, section)
        for lang in ("zh", "en"):
            for placeholder in PLACEHOLDER.findall(getattr(texts, lang)):
                found.append(placeholder)
                typed = {k: v for k, v in names.items() if v is not None}
                if placeholder not in names and lookup(typed, placeholder) is None:
                    out.append(PackIssue(file, node.line_of(section), "rule.placeholder",
                                         f"rule {rule.id}: {section}.{lang} placeholder {{{placeholder}}} "
                                         "names nothing this rule can fill", did_you_mean(placeholder, names)))
    return sorted(set(found)), out


__all__ = ["LoadedPacks", "RuleDef", "load_packs", "parse_match"]
