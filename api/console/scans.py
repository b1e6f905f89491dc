"""**Scans** (auditors): upload a file with a column mapping, follow the job's progress (the page refreshes
itself, no script needed), open its report in any format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.console import csrf, i18n, menu
from api.console.render import page
from api.console.session import ConsoleError, ConsoleUser, page_user
from api.deps import EngineDep, OptionalStoreDep, SettingsDep
from conduct_engine.dates import parse_date, today
from conduct_engine.job_slots import JobCapError, JobSlots
from conduct_engine.reports import FORMATS, MEDIA_TYPES
from conduct_engine.scan import ScanInputError, jobs
from conduct_engine.scan.mapping import Mapping
from conduct_engine.settings import Settings

ENTRY = menu.add("scans", "/ui/scans", {"auditor"}, 40)
router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(page_user(ENTRY))]
LISTED = 20
_SUFFIX = {"jsonl": "jsonl", "csv": "csv", "sarif": "sarif.json", "junit": "junit.xml", "html": "html", "xlsx": "xlsx"}
#: the HTML report runs its own filter script: served sandboxed (an origin of its own, no access to the console)
_REPORT_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
               "img-src data:")

i18n.add({
    "menu.scans": ("批量扫描", "Scans"),
    "scans.title": ("审计批量扫描", "Audit scans"),
    "scans.intro": ("上传导出的数据（CSV、Excel、JSON Lines）和列映射；扫描在后台运行。",
                    "Upload an export (CSV, Excel, JSON Lines) and its column mapping; the scan runs in the background."),
    "scans.file": ("数据文件", "Data file"),
    "scans.file.hint": (".csv、.xlsx、.json、.jsonl（可 .gz 压缩）", ".csv, .xlsx, .json or .jsonl (.gz too)"),
    "scans.mapping": ("列映射（YAML 或 JSON）", "Column mapping (YAML or JSON)"),
    "scans.mapping.hint": ("记录本身就是 JSON 时可不填", "not needed when the rows already are records"),
    "scans.as_of": ("评估日期", "Evaluation date"),
    "scans.as_of.hint": ("不填则为今天", "left empty: today"),
    "scans.start": ("开始扫描", "Start the scan"),
    "scans.recent": ("最近的扫描", "Recent scans"),
    "scans.none": ("还没有扫描。", "No scans yet."),
    "scans.status": ("状态", "Status"),
    "scans.progress": ("进度", "Progress"),
    "scans.inputs": ("输入文件", "Inputs"),
    "scans.created": ("开始时间", "Started"),
    "scans.report": ("报告", "Report"),
    "scans.open_report": ("打开报告（HTML）", "Open the report (HTML)"),
    "scans.downloads": ("下载其他格式", "Download in another format"),
    "scans.summary": ("扫描摘要", "Summary"),
    "scans.refresh": ("页面每 2 秒自动刷新，直到扫描完成。", "This page refreshes every 2 seconds until the scan is done."),
    "scans.status.queued": ("排队中", "queued"),
    "scans.status.running": ("运行中", "running"),
    "scans.status.done": ("已完成", "done"),
    "scans.status.failed": ("失败", "failed"),
    "scans.need_file": ("请选择数据文件", "Choose a data file"),
    "scans.bad_date": ("日期格式应为 YYYY-MM-DD", "A date YYYY-MM-DD"),
    "scans.busy": ("同时运行的扫描已达上限，请稍后再试", "Too many scans are running now; try again in a moment"),
    "scans.not_done": ("扫描尚未完成", "The scan is not done yet"),
    "scans.sum.rows": ("读取行数", "Rows read"),
    "scans.sum.records": ("检查记录数", "Records checked"),
    "scans.sum.skipped": ("跳过行数", "Rows skipped"),
    "scans.sum.findings": ("问题数", "Findings"),
    "scans.sum.problems": ("跳过的行和无法读取的文件", "Skipped rows and unreadable files"),
})


def _recent(settings: Settings) -> list[dict[str, Any]]:
    root = jobs.jobs_dir(settings.data_dir)
    found = []
    for folder in root.iterdir() if root.exists() else []:
        job = jobs.job_path(settings.data_dir, folder.name)
        if job is not None:
            found.append(jobs.status(job))
    return sorted(found, key=lambda s: s.get("created_at") or "", reverse=True)[:LISTED]


def _form(request: Request, user: ConsoleUser, settings: Settings, *, values: dict[str, str] | None = None,
          errors: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Response:
    return page(request, "scans.html", user, status=status, values=values or {}, errors=errors or {},
                recent=_recent(settings))


@router.get("/scans")
def scans_page(request: Request, user: User, settings: SettingsDep) -> Response:
    """The upload form and the recent scans."""
    return _form(request, user, settings)


def _upload(value: Any) -> UploadFile | None:
    return value if isinstance(value, UploadFile) and value.filename else None


@router.post("/scans")
async def start_scan(request: Request, user: User, settings: SettingsDep, engine: EngineDep,
                     store: OptionalStoreDep) -> Response:
    """Start a scan of the uploaded file with its mapping; then its progress page."""
    data = await request.form(max_part_size=settings.max_body_bytes)
    csrf.check(user, data)
    raw_day = str(data.get("as_of") or "").strip()
    values = {"as_of": raw_day}
    errors: dict[str, dict[str, Any]] = {}
    upload, mapping = _upload(data.get("file")), _upload(data.get("mapping"))
    if upload is None:
        errors["file"] = {"loc": "file", "msg": "Choose a data file", "type": "missing", "text": "scans.need_file"}
    try:
        day = parse_date(raw_day) if raw_day else today()
    except ValueError:
        errors["as_of"] = {"loc": "as_of", "msg": "A date YYYY-MM-DD", "type": "date_format", "text": "scans.bad_date"}
    if errors or upload is None:
        return _form(request, user, settings, values=values, errors=errors, status=422)
    root = jobs.jobs_dir(settings.data_dir)
    inputs = [await run_in_threadpool(jobs.save_upload, root, upload.filename or "upload.csv", upload.file)]
    map_file: Path | None = None
    if mapping is not None:
        map_file = await run_in_threadpool(jobs.save_upload, root, mapping.filename or "mapping.yaml", mapping.file)
        try:
            Mapping.load(map_file, engine.packs.fx)  # a bad mapping fails now, next to its field
        except ScanInputError as exc:
            errors["mapping"] = {"loc": "mapping", "msg": str(exc), "type": "value_error"}
            return _form(request, user, settings, values=values, errors=errors, status=422)
    slots = JobSlots(jobs.slots_dir(settings.data_dir), per_key=settings.max_jobs_per_key, total=settings.max_jobs)
    try:  # the same caps as POST /v1/scans: per API key and in all
        job_id = jobs.submit(settings.data_dir, inputs, mapping=map_file, as_of=day, rules_dir=str(settings.rules_dir),
                             owner=user.key_id, store_url=store.db.url if store is not None else None, slots=slots)
    except JobCapError as exc:
        errors["file"] = {"loc": "file", "msg": exc.message, "type": exc.code, "text": "scans.busy"}
        return _form(request, user, settings, values=values, errors=errors, status=429)
    return RedirectResponse(f"/ui/scans/{job_id}", status_code=303)


def _job(settings: Settings, scan_id: str, user: ConsoleUser) -> Path:
    job = jobs.job_path(settings.data_dir, scan_id)
    if job is None:
        raise ConsoleError(404, "error.404", user)
    return job


@router.get("/scans/{scan_id}")
def scan_page(request: Request, scan_id: str, user: User, settings: SettingsDep, engine: EngineDep) -> Response:
    """A scan's progress; its summary and report links once done."""
    info = jobs.status(_job(settings, scan_id, user))
    running = info["status"] in ("queued", "running")
    return page(request, "scan.html", user, scan=info, formats=[f for f in FORMATS if f != "html"],
                running=running, std_names={c: {"zh": s.zh, "en": s.en} for c, s in engine.packs.standards.items()})


@router.get("/scans/{scan_id}/report")
def scan_report(scan_id: str, user: User, settings: SettingsDep, format: str = "html") -> Response:
    """The finished scan's report (HTML shown in the browser, the other formats downloaded)."""
    job = _job(settings, scan_id, user)
    if format not in FORMATS:
        raise ConsoleError(404, "error.404", user)
    if jobs.read_state(job)["status"] != "done":
        raise ConsoleError(409, "scans.not_done", user)
    path = jobs.report(job, format)
    if format == "html":
        return FileResponse(path, media_type=MEDIA_TYPES[format],
                            headers={"Content-Security-Policy": _REPORT_CSP, "X-Content-Type-Options": "nosniff"})
    return FileResponse(path, media_type=MEDIA_TYPES[format], filename=f"scan-{scan_id[:12]}.{_SUFFIX[format]}")
