"""The standard codes of SPEC §2, read from ``rules/standards.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conduct_engine.errors import PackError, PackIssue
from conduct_engine.untrusted import Limits, UntrustedInputError, load_yaml

#: Every code SPEC §2 defines, in its order. ``standards.yaml`` must list exactly these.
STANDARD_CODES: tuple[str, ...] = (
    "honesty", "legal_compliance", "competence", "proper_conduct", "diligence",
    "confidentiality", "standard_operation", "quality_service", "anti_bribery", "insider_dealing",
    "duty.client_maintenance", "duty.client_records", "duty.handover",
    "dd.objectivity", "dd.truthfulness", "dd.completeness", "dd.effectiveness",
    "dd.acceptance", "dd.collection", "dd.site_visit", "dd.analysis", "dd.report",
    "dd.subject", "dd.product_market", "dd.related_parties", "dd.financials", "dd.rating",
    "dd.credit", "dd.guarantee", "dd.term",
    "rm.records", "rm.monitoring", "rm.post_loan", "rm.maturity", "rm.overdue",
)


@dataclass(frozen=True)
class Standard:
    """One standard: its code, names and the seed clause it comes from."""

    code: str
    group: str
    zh: str
    en: str
    clause: str


def load_standards(path: Path) -> dict[str, Standard]:
    """Load ``standards.yaml`` (within the YAML input limits) and check it lists exactly the SPEC §2 codes."""
    limits = Limits.load()
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), name=str(path), max_nodes=limits.yaml_nodes,
                         max_depth=limits.nesting) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError([PackIssue(str(path), 1, "standards.read", f"cannot read: {exc}")]) from None
    except UntrustedInputError as exc:
        raise PackError([PackIssue(str(path), exc.line or 1, "standards.yaml", exc.reason)]) from None
    issues: list[PackIssue] = []
    found: dict[str, Standard] = {}
    entries = data.get("standards", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise PackError([PackIssue(str(path), 1, "standards.shape", "expected a mapping with a list `standards`")])
    for entry in entries:
        try:
            if not isinstance(entry, dict):
                raise TypeError(f"each standard must be a mapping, not {type(entry).__name__}")
            std = Standard(**entry)
            hash(std)
        except TypeError as exc:
            issues.append(PackIssue(str(path), 1, "standards.shape", str(exc)))
            continue
        if std.code in found:
            issues.append(PackIssue(str(path), 1, "standards.duplicate", f"code {std.code!r} listed twice"))
        found[std.code] = std
    missing = [c for c in STANDARD_CODES if c not in found]
    extra = [c for c in found if c not in STANDARD_CODES]
    if missing:
        issues.append(PackIssue(str(path), 1, "standards.missing", f"codes missing: {', '.join(missing)}"))
    if extra:
        issues.append(PackIssue(str(path), 1, "standards.unknown", f"codes not in SPEC §2: {', '.join(extra)}"))
    if issues:
        raise PackError(issues)
    return {c: found[c] for c in STANDARD_CODES}
