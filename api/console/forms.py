"""Declaration forms: their fields are the record's fields (dotted for nested ones, ``counterparty.name``), the
choices of a select come from the record model itself, and a submitted form becomes the record dict the API
would take. What was typed is kept as typed, so a form with errors comes back filled in."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from conduct_engine.dates import SHANGHAI
from conduct_engine.records import registry

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class Field:
    """One form field: the record field's dotted ``name``, its input ``type`` (text, number, int, date,
    datetime, select, flag, list, textarea), and its label (中文, English)."""

    name: str
    type: str
    zh: str
    en: str
    required: bool = False
    hint_zh: str = ""
    hint_en: str = ""

    @property
    def html_id(self) -> str:
        """The input's id (dots become dashes)."""
        return "f-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class DeclarationForm:
    """A declaration form for one record kind."""

    kind: str
    id_prefix: str
    fields: tuple[Field, ...]

    def choices(self, name: str) -> list[str]:
        """The allowed values of a select, read from the record model's schema."""
        return _choices(registry.MODEL_BY_KIND[self.kind], name)

    def field(self, name: str) -> Field | None:
        """The field called ``name`` (dotted), or None."""
        return next((f for f in self.fields if f.name == name), None)


def _choices(model: type[BaseModel], dotted: str) -> list[str]:
    schema = model.model_json_schema()
    node: dict[str, Any] = schema
    for part in dotted.split("."):
        node = node.get("properties", {}).get(part, {})
        ref = node.get("$ref") or next((o["$ref"] for o in node.get("anyOf", []) if "$ref" in o), None)
        if ref:
            node = schema["$defs"][ref.rsplit("/", 1)[1]]
    for option in [node, *node.get("anyOf", [])]:
        if "enum" in option:
            return [str(v) for v in option["enum"]]
        if "const" in option:
            return [str(option["const"])]
    return []


_COMMON = (
    Field("employee_id", "text", "员工编号", "Employee id", required=True),
    Field("branch", "text", "机构代码", "Branch code", hint_zh="如 SH-001", hint_en="e.g. SH-001"),
    Field("occurred_on", "date", "发生日期", "Date it happened", required=True),
    Field("direction", "select", "收受或给予", "Received or given", required=True),
)
_COUNTERPARTY = (
    Field("counterparty.name", "text", "对方名称", "Counterparty name"),
    Field("counterparty.party_id", "text", "对方主体编号", "Counterparty party id"),
    Field("counterparty.client_id", "text", "对方客户编号", "Counterparty client id"),
    Field("counterparty.group_id", "text", "对方所属集团编号", "Counterparty group id"),
    Field("counterparty.is_public_official", "flag", "对方是否公职人员", "Counterparty is a public official"),
    Field("counterparty.is_decision_maker", "flag", "对方是否业务决策人", "Counterparty is a decision maker"),
    Field("related_application_ids", "list", "相关业务申请编号", "Related application ids",
          hint_zh="多个用逗号分隔", hint_en="separate several with commas"),
    Field("pre_clearance_id", "text", "事前审批编号", "Pre-clearance id"),
    Field("description", "textarea", "情况说明", "Description"),
)

GIFT = DeclarationForm("gift", "G", (
    *_COMMON,
    Field("form", "select", "礼品形式", "Form of the gift", required=True),
    Field("value_cny", "number", "价值（元）", "Value (CNY)", required=True),
    Field("recipients", "int", "受礼人数", "Number of recipients"),
    Field("disposition", "select", "处理方式", "Disposition"),
    Field("disposition_on", "date", "处理日期", "Disposition date"),
    *_COUNTERPARTY,
))

HOSPITALITY = DeclarationForm("entertainment", "H", (
    *_COMMON,
    Field("type", "select", "招待类型", "Type of hospitality", required=True),
    Field("venue_category", "select", "场所类别", "Venue category"),
    Field("host_present", "flag", "邀请方是否在场", "Host present"),
    Field("attendees", "int", "参加人数", "Attendees"),
    Field("cost_total_cny", "number", "总费用（元）", "Total cost (CNY)"),
    Field("cost_per_head_cny", "number", "人均费用（元）", "Cost per head (CNY)",
          hint_zh="不填则按总费用和人数计算", hint_en="left empty: total cost / attendees"),
    Field("includes_travel_lodging", "flag", "是否含差旅住宿", "Includes travel or lodging"),
    Field("city_tier", "int", "城市等级（1–3）", "City tier (1–3)"),
    *_COUNTERPARTY,
))

FORMS = {"gift": GIFT, "entertainment": HOSPITALITY}


def _value(field: Field, raw: str) -> Any:
    """The typed value of one input; text that is not of the field's type is passed on as typed, so the record
    model reports it (one place for every error)."""
    text = raw.strip()
    if field.type == "int" and _INT.fullmatch(text):
        return int(text)
    if field.type == "number" and _FLOAT.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    if field.type == "flag":
        return {"yes": True, "no": False}.get(text, text)
    if field.type == "list":
        return [part.strip() for part in re.split(r"[,，;；\s]+", text) if part.strip()]
    if field.type == "datetime" and len(text) == 16:  # <input type=datetime-local> gives no seconds
        return text + ":00"
    return raw if field.type == "textarea" else text


def to_record(form: DeclarationForm, data: Mapping[str, Any], *, today: dt.date | None = None) -> dict[str, Any]:
    """The record a submitted form describes: empty inputs left out, dotted names nested, the record's id made
    up when not given, and ``declared_at`` now (a self-declaration is declared when it is sent)."""
    record: dict[str, Any] = {"kind": form.kind}
    for field in form.fields:
        raw = data.get(field.name)
        if not isinstance(raw, str) or not raw.strip():
            continue
        target = record
        *parents, leaf = field.name.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = _value(field, raw)
    given_id = data.get("id")
    stamp = (today or dt.datetime.now(SHANGHAI).date()).strftime("%Y%m%d")
    record["id"] = given_id.strip() if isinstance(given_id, str) and given_id.strip() else \
        f"{form.id_prefix}-{stamp}-{secrets.token_hex(4).upper()}"
    record["declared_at"] = dt.datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0).isoformat()
    return record


def missing_required(form: DeclarationForm, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A required field of the form left empty (the form asks for more than the model: the date, for one)."""
    return [{"loc": f.name, "msg": "Field required", "type": "missing"} for f in form.fields
            if f.required and not (isinstance(data.get(f.name), str) and str(data.get(f.name)).strip())]


def field_errors(form: DeclarationForm, errors: list[dict[str, Any]]) -> tuple[dict[str, list[dict]], list[dict]]:
    """Errors by field name, and those that belong to no field of the form (shown at its top)."""
    by_field: dict[str, list[dict]] = {}
    other: list[dict] = []
    for item in errors:
        loc = str(item.get("loc", "")).removeprefix("record.")
        if form.field(loc) is not None:
            by_field.setdefault(loc, []).append(item)
        else:
            other.append(item)
    return by_field, other
