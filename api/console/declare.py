"""**Declare**: a gift or hospitality form (or any record as JSON, pasted or uploaded), checked and stored at
once; the answer is the decision page. Input errors come back on the same form, next to their field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from api.console import csrf, i18n, menu
from api.console.decisions import show_result
from api.console.forms import FORMS, DeclarationForm, field_errors, missing_required, to_record
from api.console.render import page
from api.console.session import ConsoleUser, page_user
from api.deps import EngineDep, ServiceDep, SettingsDep
from conduct_engine.engine import Engine
from conduct_engine.errors import RecordError
from conduct_engine.results import Result
from conduct_engine.settings import Settings
from conduct_engine.untrusted import load_json

ENTRY = menu.add("declare", "/ui/declare", {"submitter"}, 10)
router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(page_user(ENTRY))]
TABS = ("gift", "entertainment", "json")

i18n.add({
    "menu.declare": ("申报", "Declare"),
    "declare.title": ("申报礼品、招待或其他事项", "Declare a gift, hospitality or another activity"),
    "declare.intro": ("提交后立即告诉您是否允许、是否需要审批或是否禁止。",
                      "You learn at once whether it is allowed, needs approval or is prohibited."),
    "tab.gift": ("礼品", "Gift"),
    "tab.entertainment": ("招待", "Hospitality"),
    "tab.json": ("其他（JSON）", "Other (JSON)"),
    "declare.json.paste": ("粘贴记录（JSON）", "Paste the record (JSON)"),
    "declare.json.upload": ("或上传 JSON 文件", "or upload a JSON file"),
    "declare.json.help": ("一条记录，或 {\"record\": {…}, \"as_of\": \"YYYY-MM-DD\"}；字段见 SPEC §3。",
                          "One record, or {\"record\": {…}, \"as_of\": \"YYYY-MM-DD\"}; fields as in SPEC §3."),
    "declare.json.empty": ("请粘贴记录或选择文件", "Paste a record or choose a file"),
    "declare.record_id": ("记录编号", "Record id"),
    "declare.record_id.hint": ("不填则自动生成", "left empty: one is made up"),
    "declare.counterparty": ("对方", "Counterparty"),
    "declare.details": ("详情", "Details"),
})


def _form_page(request: Request, user: ConsoleUser, engine: Engine, tab: str, *, values: dict[str, Any] | None = None,
               errors: list[dict[str, Any]] | None = None, status: int = 200) -> Response:
    form: DeclarationForm | None = FORMS.get(tab)
    by_field, other = field_errors(form, errors or []) if form else ({}, list(errors or []))
    return page(request, "declare.html", user, status=status, tabs=TABS, tab=tab, form=form, values=values or {},
                field_errors=by_field, form_errors=other, labels=engine.packs.labels)


@router.get("/declare")
def declare_form(request: Request, user: User, engine: EngineDep, kind: str = "gift") -> Response:
    """The declaration forms (gift, hospitality, JSON for the other kinds)."""
    return _form_page(request, user, engine, kind if kind in TABS else "gift")


def _check(service: ServiceDep, user: ConsoleUser, record: Any, as_of: Any = None) -> Result:
    return service.check(record, as_of=as_of, actor=user.key_id, channel="ui")


@router.post("/declare")
async def declare(request: Request, user: User, service: ServiceDep, engine: EngineDep) -> Response:
    """Check and store a declaration from the gift or hospitality form."""
    data = await request.form()
    csrf.check(user, data)
    tab = str(data.get("form_kind", ""))
    form = FORMS.get(tab)
    values = {k: v for k, v in data.items() if isinstance(v, str) and k != csrf.FIELD}
    if form is None:
        return _form_page(request, user, engine, "gift", values=values, status=422,
                          errors=[{"loc": "form_kind", "msg": f"Unknown form {tab!r}", "type": "literal_error"}])
    record = to_record(form, data)
    missing = missing_required(form, data)
    if missing:  # with the model's own errors, all at once
        try:
            engine.parse(record)
        except RecordError as exc:
            missing += [e for e in exc.errors if e["loc"] not in {m["loc"] for m in missing}]
        return _form_page(request, user, engine, tab, values=values, errors=missing, status=422)
    try:
        result = await run_in_threadpool(_check, service, user, record)
    except RecordError as exc:
        return _form_page(request, user, engine, tab, values=values, errors=exc.errors, status=422)
    return _done(request, user, engine, service, result, record)


def _done(request: Request, user: ConsoleUser, engine: EngineDep, service: ServiceDep, result: Result,
          record: Any) -> Response:
    if service.store is not None:  # logged: the decision page has its own address (the language toggle returns to it)
        return RedirectResponse(f"/ui/decisions/{result.decision_id}", status_code=303)
    return show_result(request, user, engine, result.model_dump(mode="json"), None, record)


async def read_json_input(data: FormData, settings: Settings, field: str = "record") -> tuple[Any, list[dict]]:
    """The JSON of a paste (``field``) or an uploaded file (``file``): (value, []) or (None, errors at ``field``)."""
    upload = data.get("file")
    text = ""
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(settings.max_document_bytes + 1)
        if len(raw) > settings.max_document_bytes:
            return None, [{"loc": field, "msg": f"The file is larger than {settings.max_document_bytes} bytes",
                           "type": "too_long"}]
        text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        pasted = data.get(field)
        text = pasted if isinstance(pasted, str) else ""
    if not text.strip():
        return None, [{"loc": field, "msg": "Paste a record or choose a file", "type": "missing",
                       "text": "declare.json.empty"}]
    try:
        return load_json(text, name=field, max_depth=settings.max_nesting), []
    except RecordError as exc:
        return None, [{**e, "loc": field, "where": e["loc"]} for e in exc.errors]


async def read_posted_json(request: Request, user: Any, settings: Settings) -> tuple[dict, Any, list[dict]]:
    """A JSON form post (paste or upload), its CSRF token checked: (values to show again, value, errors)."""
    data = await request.form(max_part_size=settings.max_body_bytes)
    csrf.check(user, data)
    pasted = data.get("record")
    value, errors = await read_json_input(data, settings)
    return {"record": pasted if isinstance(pasted, str) else ""}, value, errors


def unwrap(value: Any) -> tuple[Any, Any]:
    """A record, or the body of ``/v1/check`` (``{"record": …, "as_of": …}``): (record, as_of)."""
    if isinstance(value, dict) and "record" in value and "kind" not in value:
        return value["record"], value.get("as_of")
    return value, None


@router.post("/declare/json")
async def declare_json(request: Request, user: User, service: ServiceDep, engine: EngineDep,
                       settings: SettingsDep) -> Response:
    """Check and store a record of any kind, pasted or uploaded as JSON."""
    values, value, errors = await read_posted_json(request, user, settings)
    if not errors and not isinstance(value, dict):
        errors = [{"loc": "record", "msg": "Must be a JSON object", "type": "dict_type"}]
    if errors:
        return _form_page(request, user, engine, "json", values=values, errors=errors, status=422)
    record, as_of = unwrap(value)
    try:
        result = await run_in_threadpool(_check, service, user, record, as_of)
    except RecordError as exc:
        errors = [{**e, "loc": "record", "where": e["loc"]} for e in exc.errors]
        return _form_page(request, user, engine, "json", values=values, errors=errors, status=422)
    return _done(request, user, engine, service, result, record)
