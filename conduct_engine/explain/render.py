"""An explanation as text for people (zh and en, or one of them)."""

from __future__ import annotations

from conduct_engine.explain.model import Explanation, RuleExplanation

_STATUS = {"fired": ("FIRED", "触发"), "not_fired": ("not fired", "未触发"), "not_applicable": ("not applicable", "不适用")}


def _rule(rule: RuleExplanation, lang: str) -> list[str]:
    en, zh = _STATUS[rule.status]
    head = f"{rule.rule_id} [{rule.standard}, {rule.severity}]: {en if lang == 'en' else zh}"
    lines = [head]
    if rule.reason is not None:
        lines.append("  " + getattr(rule.reason, lang))
    for part in rule.conditions:
        lines.append("  - " + getattr(part.says, lang))
    for join in rule.joins or []:
        lines.append("  * " + getattr(join.says, lang))
        for cand in join.candidates:
            if cand.matched or not cand.failed:
                continue
            label = str(cand.fact.get("fact"))
            for part in cand.failed:
                lines.append(f"      {label}: " + getattr(part.says, lang))
    for window in rule.windows or []:
        lines.append("  # " + getattr(window.says, lang))
    return lines


def render_text(explanation: Explanation, langs: tuple[str, ...] = ("zh", "en")) -> str:
    """The explanation, one block per language."""
    out: list[str] = []
    for lang in langs:
        title = (f"{explanation.kind} {explanation.record_id} (as of {explanation.as_of})" if lang == "en" else
                 f"{explanation.kind} {explanation.record_id}（评估日 {explanation.as_of}）")
        out.append(title)
        for rule in explanation.rules:
            out += _rule(rule, lang)
        out.append("")
    return "\n".join(out)
