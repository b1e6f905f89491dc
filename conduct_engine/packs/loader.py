"""Load a rules directory: read every pack file, validate it, compile it — or report every error.

The stages run in the order of :data:`STAGES`, each over one :class:`LoadContext`, and each collects
issues instead of stopping at the first:

1. ``read``       — hash the files; ``standards.yaml``, ``bundle.yaml``, ``labels.yaml`` (YAML with line numbers)
2. ``shape``      — check each pack file against the pack schema (unknown keys, types, missing texts)
3. ``parameters`` — parameters, currency rates, test defaults, then branch overrides of the parameters
4. ``aggregates`` — window aggregates: names, kinds, key and filter fields, one measure
5. ``derived``    — derived values: kinds, names, and their expressions compiled
6. ``compile``    — every rule expanded, shape-checked, its id, standards, kind and stages checked, its conditions
                    compiled to durable_rules JSON (fields, enums, regexes, limits)
7. ``limits``     — what the engine cannot hold: too many rules for one kind, rules broken by branch parameters
8. ``templates``  — every message placeholder names something the rule can fill

A pack with any error does not load at all (``PackError`` lists every issue).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from conduct_engine import error_codes
from conduct_engine.errors import PackError, PackIssue
from conduct_engine.packs import schema
from conduct_engine.packs.checks import check_aggregate, check_rule, check_stages, check_templates, param_type_ok
from conduct_engine.packs.compiler import MAX_RULES_PER_RULESET, compile_rule
from conduct_engine.packs.derived import compile_derived
from conduct_engine.packs.expand import expand
from conduct_engine.packs.fields import FactSchema, catalog, record_kinds
from conduct_engine.packs.model import Aggregate, Derived, LoadedPacks, RuleDef
from conduct_engine.packs.problems import ExprError, did_you_mean
from conduct_engine.packs.shape import read_yaml, shape_issues
from conduct_engine.packs.yaml_lines import LineDict, LineList
from conduct_engine.standards import Standard, load_standards

RESERVED_FILES = {"bundle.yaml", "standards.yaml", "labels.yaml"}


@dataclass
class LoadContext:
    """What the stages of one load read and build; ``issues`` collects every problem found."""

    root: Path
    issues: list[PackIssue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    digest: str = ""
    standards: dict[str, Standard] = field(default_factory=dict)
    name: str = ""
    version: str = "0"
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    packs: list[tuple[str, LineDict, schema.PackFile]] = field(default_factory=list)
    catalog: dict[str, FactSchema] = field(default_factory=catalog)
    kinds: tuple[str, ...] = field(default_factory=record_kinds)
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_docs: dict[str, str | None] = field(default_factory=dict)
    param_where: dict[str, tuple[str, int]] = field(default_factory=dict)
    branches: dict[str, dict[str, Any]] = field(default_factory=dict)
    fx: dict[str, float] = field(default_factory=dict)
    aggregates: dict[str, Aggregate] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)
    rules: dict[str, RuleDef] = field(default_factory=dict)
    rule_nodes: dict[str, LineDict] = field(default_factory=dict)  # rule id -> its YAML, for template lines
    test_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_test_defaults: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        """A file's name as issues show it: relative to the rules directory's parent."""
        return str(path.relative_to(self.root.parent))

    def result(self) -> LoadedPacks:
        """The loaded packs (only when no stage found an issue)."""
        return LoadedPacks(self.name, self.version, self.digest, self.root, self.standards, self.parameters,
                           self.parameter_docs, self.branches, self.fx, self.aggregates, self.derived, self.rules,
                           self.test_defaults, self.labels, self.file_test_defaults)


def _read(ctx: LoadContext) -> None:
    hasher = hashlib.sha256()
    ctx.files = sorted(p for p in ctx.root.rglob("*.yaml") if p.is_file())
    for path in ctx.files:
        hasher.update(ctx.rel(path).encode() + b"\0" + path.read_bytes() + b"\0")
    ctx.digest = "sha256:" + hasher.hexdigest()
    try:
        ctx.standards = load_standards(ctx.root / "standards.yaml")
    except PackError as exc:
        ctx.issues += exc.issues
    except OSError as exc:
        ctx.issues.append(PackIssue(ctx.rel(ctx.root / "standards.yaml"), 0, error_codes.STANDARDS_READ, str(exc)))
    bundle_path = ctx.root / "bundle.yaml"
    bundle_raw = read_yaml(bundle_path, ctx.root, ctx.issues) if bundle_path.exists() else None
    if bundle_raw is not None:
        try:
            bundle = schema.Bundle.model_validate(bundle_raw)
            ctx.name, ctx.version = bundle.name, bundle.version
        except ValidationError as exc:
            ctx.issues += shape_issues(ctx.rel(bundle_path), bundle_raw, exc, schema.Bundle)
    labels_path = ctx.root / "labels.yaml"
    if labels_path.exists():
        raw = read_yaml(labels_path, ctx.root, ctx.issues) or {}
        for value, pair in (raw.get("values") or {}).items():
            if isinstance(pair, list) and len(pair) == 2:
                ctx.labels[str(value)] = {"zh": str(pair[0]), "en": str(pair[1])}
            else:
                ctx.issues.append(PackIssue(ctx.rel(labels_path), raw["values"].line_of(value),
                                            error_codes.LABELS_SHAPE, f"label of {value!r} must be [zh, en]"))


def _shape(ctx: LoadContext) -> None:
    for path in ctx.files:
        if path.name in RESERVED_FILES or path.name.endswith(".tests.yaml"):
            continue
        raw = read_yaml(path, ctx.root, ctx.issues)
        if raw is None:
            continue
        if not isinstance(raw, LineDict):
            ctx.issues.append(PackIssue(ctx.rel(path), 1, error_codes.PACK_SHAPE, "a pack file must be a mapping"))
            continue
        try:
            ctx.packs.append((ctx.rel(path), raw, schema.PackFile.model_validate(raw)))
        except ValidationError as exc:
            ctx.issues += shape_issues(ctx.rel(path), raw, exc, schema.PackFile)


def _parameters(ctx: LoadContext) -> None:
    issues = ctx.issues
    for file, raw, pack in ctx.packs:
        for name, spec in pack.parameters.items():
            line = raw["parameters"].line_of(name)
            if not schema.NAME.match(name):
                issues.append(PackIssue(file, line, error_codes.PARAM_NAME, f"parameter name {name!r} must be snake_case"))
            if name in ctx.parameters:
                where = ":".join(map(str, ctx.param_where[name]))
                issues.append(PackIssue(file, line, error_codes.PARAM_DUPLICATE,
                                        f"parameter {name!r} already defined at {where}"))
                continue
            value = spec.value if isinstance(spec, schema.Parameter) else spec
            if isinstance(spec, dict):
                issues.append(PackIssue(file, line, error_codes.PARAM_SHAPE, f"parameter {name!r}: use {{value: …}}"))
                continue
            ctx.parameters[name] = value
            ctx.parameter_docs[name] = spec.description if isinstance(spec, schema.Parameter) else None
            ctx.param_where[name] = (file, line)
        for cur, rate in pack.fx.items():
            if rate <= 0:
                issues.append(PackIssue(file, raw["fx"].line_of(cur), error_codes.FX_RATE,
                                                                f"rate of {cur} must be positive"))
            ctx.fx[cur.upper()] = rate
        for kind, defaults in pack.test_defaults.items():
            if kind not in ctx.kinds:
                issues.append(PackIssue(file, raw["test_defaults"].line_of(kind), error_codes.TESTS_KIND,
                                        f"unknown record kind {kind!r}", did_you_mean(kind, ctx.kinds)))
            ctx.test_defaults.setdefault(kind, dict(defaults))
            ctx.file_test_defaults.setdefault(file, {})[kind] = dict(defaults)
    for file, raw, pack in ctx.packs:  # overrides need every pack's parameters
        for branch, overrides in pack.branches.items():
            for name, value in overrides.items():
                line = raw["branches"][branch].line_of(name)
                if name not in ctx.parameters:
                    issues.append(PackIssue(file, line, error_codes.BRANCH_UNKNOWN_PARAM,
                                            f"branch {branch!r} overrides unknown parameter {name!r}",
                                            did_you_mean(name, ctx.parameters)))
                elif not param_type_ok(ctx.parameters[name], value):
                    issues.append(PackIssue(file, line, error_codes.BRANCH_TYPE,
                                            f"branch {branch!r}: {name} must be like {ctx.parameters[name]!r}"))
                else:
                    ctx.branches.setdefault(str(branch), {})[name] = value


def _aggregates(ctx: LoadContext) -> None:
    for file, raw, pack in ctx.packs:
        for name, agg in pack.aggregates.items():
            line = raw["aggregates"].line_of(name)
            ctx.issues += check_aggregate(file, line, name, agg, ctx.catalog, ctx.kinds)
            if name in ctx.aggregates:
                ctx.issues.append(PackIssue(file, line, error_codes.AGGREGATE_DUPLICATE,
                                            f"aggregate {name!r} defined twice"))
            ctx.aggregates[name] = agg


def _derived(ctx: LoadContext) -> None:
    kinds, derived = ctx.kinds, ctx.derived
    for file, raw, pack in ctx.packs:
        for name, spec in pack.derived.items():
            line = raw["derived"].line_of(name)
            unknown = [k for k in spec.applies_to if k not in kinds]
            if unknown:
                ctx.issues.append(PackIssue(file, line, error_codes.DERIVED_KIND,
                                            f"derived {name}: unknown kind {unknown[0]!r}",
                                            did_you_mean(unknown[0], kinds)))
                continue
            clash = [k for k in spec.applies_to if name in ctx.catalog[k].fields]
            if not schema.NAME.match(name) or clash or name in derived or name in ctx.parameters:
                ctx.issues.append(PackIssue(file, line, error_codes.DERIVED_NAME,
                                            f"derived {name}: the name must be snake_case "
                                            "and unused by record fields, parameters and other derived values"))
                continue
            try:
                derived[name] = compile_derived(name, spec.value, spec.applies_to, ctx.parameters)
            except ExprError as exc:
                ctx.issues.append(PackIssue(file, line, exc.code, f"derived {name}: {exc.message}", exc.hint))


def _compile(ctx: LoadContext) -> None:
    for file, raw, pack in ctx.packs:
        for index, template in enumerate(pack.rules):
            node = raw["rules"][index]
            line = raw["rules"].line_of(index)
            expanded, expand_issue = expand(template)
            if expand_issue:
                ctx.issues.append(PackIssue(file, node.line_of("expand"), error_codes.RULE_EXPAND, expand_issue))
                continue
            for rule_raw in expanded:
                ctx.issues += _compile_rule(ctx, file, node, line, rule_raw)


def _compile_rule(ctx: LoadContext, file: str, node: LineDict, line: int, rule_raw: dict) -> list[PackIssue]:
    """Validate and compile one (expanded) rule into ``ctx.rules``; return its issues."""
    try:
        rule = schema.Rule.model_validate(rule_raw)
    except ValidationError as exc:
        return shape_issues(file, node, exc, schema.Rule)
    if rule.id in ctx.rules:
        other = ctx.rules[rule.id]
        return [PackIssue(file, node.line_of("id"), error_codes.RULE_DUPLICATE_ID,
                          f"rule id {rule.id!r} already used at {other.file}:{other.line}")]
    rule_issues = check_rule(file, node, rule, ctx.standards, ctx.kinds)
    if not rule_issues:
        rule_issues = check_stages(file, node, rule)
    if rule_issues:
        return rule_issues
    try:
        joins, refs, params_used, definition, copies = compile_rule(rule, ctx.parameters, ctx.aggregates, ctx.derived)
    except ExprError as exc:
        where = getattr(exc, "where", "when")
        if isinstance(where, tuple) and isinstance(node.get("match"), LineList):
            err_line = node["match"].line_of(where[1])
        else:
            err_line = node.line_of(where if isinstance(where, str) else "match")
        return [PackIssue(file, err_line, exc.code, f"rule {rule.id}: {exc.message}", exc.hint)]
    ctx.rules[rule.id] = RuleDef(rule, file, line, joins, refs, params_used, definition, [], copies)
    ctx.rule_nodes[rule.id] = node
    return []


def _limits(ctx: LoadContext) -> None:
    """What the engine cannot hold: more than MAX_RULES_PER_RULESET rules for one record kind (each kind is one
    ruleset; past 511 children of one node it hangs), and rules that break once a branch overrides a parameter."""
    by_kind: dict[str, list[RuleDef]] = {}
    for rdef in ctx.rules.values():
        by_kind.setdefault(rdef.rule.applies_to, []).append(rdef)
    for kind, defs in sorted(by_kind.items()):
        if len(defs) > MAX_RULES_PER_RULESET:
            first = defs[MAX_RULES_PER_RULESET]
            ctx.issues.append(PackIssue(first.file, first.line, error_codes.RULESET_TOO_LARGE,
                                        f"{len(defs)} rules for record kind {kind!r}; the engine takes at most "
                                        f"{MAX_RULES_PER_RULESET} per kind (this is rule {MAX_RULES_PER_RULESET + 1}, "
                                        f"{first.rule.id})", "merge rules with 'in' lists or expand, or drop some"))
    for branch, overrides in sorted(ctx.branches.items()):
        params = {**ctx.parameters, **overrides}
        for rdef in ctx.rules.values():
            if not rdef.params_used & set(overrides):
                continue
            try:
                compile_rule(rdef.rule, params, ctx.aggregates, ctx.derived)
            except ExprError as exc:
                ctx.issues.append(PackIssue(rdef.file, rdef.line, exc.code, f"rule {rdef.rule.id} with the "
                                            f"parameters of branch {branch!r}: {exc.message}", exc.hint))


def _templates(ctx: LoadContext) -> None:
    for rule_id, rdef in ctx.rules.items():
        rdef.placeholders, issues = check_templates(rdef.file, ctx.rule_nodes[rule_id], rdef.rule, rdef.joins,
                                                    ctx.catalog, ctx.parameters, ctx.aggregates, ctx.derived)
        ctx.issues += issues


#: The loader's stages, in the order they run (each reads what the ones before it built).
STAGES: tuple[tuple[str, Callable[[LoadContext], None]], ...] = (
    ("read", _read),
    ("shape", _shape),
    ("parameters", _parameters),
    ("aggregates", _aggregates),
    ("derived", _derived),
    ("compile", _compile),
    ("limits", _limits),
    ("templates", _templates),
)


def load_packs(root: Path | str) -> LoadedPacks:
    """Load, validate and compile every pack under ``root``; raise PackError listing all issues."""
    root = Path(root)
    if not root.is_dir():
        raise PackError([PackIssue(str(root), 0, error_codes.PACK_MISSING, "rules directory not found")])
    ctx = LoadContext(root, name=root.name)
    for _name, stage in STAGES:
        stage(ctx)
    if ctx.issues:
        raise PackError(ctx.issues)
    return ctx.result()


__all__ = ["STAGES", "LoadContext", "LoadedPacks", "RuleDef", "load_packs"]
