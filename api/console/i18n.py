"""The console's words in Chinese and English: one table of UI texts (a page module adds its own with
:func:`add`), the translator a template calls as ``t("key")``, and field errors in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

#: key -> (中文, English)
TEXT: dict[str, tuple[str, str]] = {
    "app": ("员工行为合规检查", "conduct-check"),
    "skip": ("跳到正文", "Skip to content"),
    "menu": ("菜单", "Menu"),
    "signin": ("登录", "Sign in"),
    "signout": ("退出", "Sign out"),
    "signin.title": ("使用 API 密钥登录", "Sign in with your API key"),
    "signin.key": ("API 密钥", "API key"),
    "signin.help": ("密钥由管理员发放（conduct-check keys create）；登录后只在本机会话中使用。",
                    "Your administrator issues keys (conduct-check keys create); it is used only to open this session."),
    "signin.bad": ("密钥无效或已被吊销", "Unknown or revoked API key"),
    "signin.missing": ("请输入 API 密钥", "Enter your API key"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "role.submitter": ("申报人", "submitter"),
    "role.reviewer": ("合规审核员", "reviewer"),
    "role.auditor": ("审计员", "auditor"),
    "role.admin": ("管理员", "admin"),
    "lang.switch": ("English", "中文"),
    "lang.switch_label": ("切换语言", "Switch language"),
    "decision": ("结论", "Decision"),
    "decision.block": ("禁止", "block"),
    "decision.review": ("需审批", "review"),
    "decision.pass": ("通过", "pass"),
    "decision.block.declaration": ("不允许：请拒绝或退还，并按下列要求处理。",
                                   "Prohibited: decline or return it, as set out below."),
    "decision.review.declaration": ("须经合规部门审批后方可接受。",
                                    "It needs compliance approval before it may be accepted."),
    "decision.pass.declaration": ("允许，已登记。", "Allowed, and registered."),
    "decision.block.loan_file": ("不得提交：请先补正下列问题。", "Must not be submitted: put the items below right first."),
    "decision.review.loan_file": ("可以提交，但须附上下列问题。", "May be submitted with the findings below attached."),
    "decision.pass.loan_file": ("材料齐备，可以提交。", "Ready to submit."),
    "severity.block": ("禁止", "block"),
    "severity.review": ("需审批", "review"),
    "severity.advisory": ("提示", "advisory"),
    "findings": ("发现的问题", "Findings"),
    "no_findings": ("没有发现问题。", "No findings."),
    "waived": ("已豁免", "Waived"),
    "remediation": ("应当如何处理", "What to do"),
    "standard": ("准则", "Standard"),
    "rule": ("规则", "Rule"),
    "source": ("依据条款", "Source clause"),
    "evidence": ("依据数据", "Evidence"),
    "record": ("记录", "Record"),
    "kind": ("类型", "Kind"),
    "when": ("时间", "When"),
    "decision_id": ("决定编号", "Decision id"),
    "as_of": ("评估日期", "As of"),
    "pack": ("规则包", "Rule pack"),
    "submit": ("提交", "Submit"),
    "check": ("检查", "Check"),
    "form.errors": ("请修正下列标出的字段。", "Please correct the fields marked below."),
    "form.optional": ("选填", "optional"),
    "form.required": ("必填", "required"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "unset": ("—", "—"),
    "back": ("返回", "Back"),
    "error.title": ("出错了", "Something went wrong"),
    "error.403": ("您的角色无权访问此页面。", "Your role may not open this page."),
    "error.404": ("找不到此页面。", "There is no such page."),
    "error.csrf": ("表单已过期或来源不明，请刷新页面后重试。",
                   "This form has expired or did not come from this console; reload the page and try again."),
    "error.500": ("服务器内部错误，已记录。", "Internal server error; it has been logged."),
    "error.503": ("存储暂不可用，本次操作未被记录，请稍后重试。",
                  "The store is unavailable; nothing was recorded. Try again later."),
    "error.nostore": ("此服务器没有配置存储，无法保存和查询决定记录。",
                      "This server has no store: decisions are neither kept nor listed."),
    "home": ("首页", "Home"),
    "colon": ("：", ": "),
}

#: pydantic / loader error type -> Chinese text (``{msg}`` is the English detail)
_ERRORS_ZH = {
    "missing": "必填项",
    "literal_error": "请选择列表中的一项",
    "enum": "请选择列表中的一项",
    "number_type": "请输入数字",
    "float_parsing": "请输入数字",
    "float_type": "请输入数字",
    "int_parsing": "请输入整数",
    "int_type": "请输入整数",
    "int_from_float": "请输入整数",
    "bool_type": "请选择“是”或“否”",
    "bool_parsing": "请选择“是”或“否”",
    "date_format": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_format": "时间格式应为 YYYY-MM-DDTHH:MM",
    "datetime_type": "时间格式应为 YYYY-MM-DDTHH:MM",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "string_too_long": "内容过长",
    "too_long": "条目过多",
    "extra_forbidden": "不认识的字段",
    "union_tag_invalid": "不认识的记录类型",
    "union_tag_not_found": "缺少记录类型（kind）",
    "dict_type": "必须是一个 JSON 对象",
    "model_type": "必须是一个 JSON 对象",
    "json.syntax": "JSON 格式错误",
    "json_invalid": "JSON 格式错误",
}
_GREATER = re.compile(r"greater than (?:or equal to )?(-?[\d.]+)")


def add(texts: Mapping[str, tuple[str, str]]) -> None:
    """Add a page module's own texts (a key defined twice is a mistake)."""
    clash = sorted(set(texts) & set(TEXT))
    if clash:
        raise ValueError(f"console texts defined twice: {', '.join(clash)}")
    TEXT.update(texts)


def pick(lang: str) -> str:
    """``lang`` if the console speaks it, else the default."""
    return lang if lang in LANGS else DEFAULT_LANG


class Translator:
    """``t("key", **values)``: the text in one language; ``t.bi({"zh", "en"})`` picks from a bilingual pair."""

    def __init__(self, lang: str):
        self.lang = pick(lang)
        self._i = LANGS.index(self.lang)

    def __call__(self, key: str, **values: Any) -> str:
        pair = TEXT.get(key)
        text = pair[self._i] if pair else key
        return text.format(**values) if values else text

    def maybe(self, key: str, default: str) -> str:
        """The text of ``key``, or ``default`` when there is none."""
        return self(key) if key in TEXT else default

    def bi(self, pair: Mapping[str, Any] | None) -> str:
        """The reader's half of a ``{zh, en}`` text (the other half when it is missing)."""
        if not pair:
            return ""
        return str(pair.get(self.lang) or pair.get("en") or pair.get("zh") or "")

    def error(self, item: Mapping[str, Any]) -> str:
        """A field error (``{loc, msg, type}``) in the reader's language: English as given, Chinese by its type."""
        where = f"{item['where']}: " if item.get("where") not in (None, "", "(root)") else ""
        if item.get("text") in TEXT:
            return where + self(str(item["text"]))
        msg = str(item.get("msg", ""))
        if self.lang == "en":
            return where + msg
        zh = _ERRORS_ZH.get(str(item.get("type", "")))
        if zh is None:
            return f"{where}输入无效：{msg}"
        bound = _GREATER.search(msg)
        return where + (f"{zh}（应不小于 {bound.group(1)}）" if bound and zh == "数值过小" else zh)
