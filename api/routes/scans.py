"""Audit scans as jobs: start one (upload a file, or — admins — name a server-side path), follow its
progress, fetch its report in any format (SPEC §5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse

from api.auth import Principal, require
from api.deps import EngineDep, OptionalStoreDep, SettingsDep
from api.errors import CodedHTTPException, InputError
from api.schemas import COMMON_RESPONSES, error_responses
from conduct_engine import error_codes
from conduct_engine.dates import parse_date, today
from conduct_engine.job_slots import JobCapError, JobSlots
from conduct_engine.records.base import FIRST_DAY, LAST_DAY
from conduct_engine.reports import FORMATS, MEDIA_TYPES
from conduct_engine.scan import ScanInputError, jobs
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.readers import SUFFIXES, expand
from conduct_engine.settings import Settings

router = APIRouter(prefix="/v1", tags=["scans"], responses=COMMON_RESPONSES)
Auditor = Annotated[Principal, Depends(require("auditor"))]
_MAPPING_SUFFIXES = (".yaml", ".yml", ".json")
_SUFFIX = {"jsonl": "jsonl", "csv": "csv", "sarif": "sarif.json", "junit": "junit.xml", "html": "html", "xlsx": "xlsx"}


def _bad(loc: str, msg: str) -> InputError:
    return InputError([{"loc": loc, "msg": msg, "type": error_codes.VALUE_ERROR}])


def _server_path(settings: Settings, raw: str, loc: str) -> Path:
    """A server-side path inside the import folder, ``settings.imports_root()``, symlinks resolved (403 outside
    it, 422 when missing or unreadable); messages name the path as given, never the folder on the server."""
    root = settings.imports_root()
    if "\x00" in raw or not raw.strip():
        raise _bad(loc, "A server-side path must be a non-empty path without NUL characters")
    try:
        path = (root / raw).resolve()  # a relative path is taken under the root; an absolute one stays as given
    except (OSError, RuntimeError, ValueError):
        raise _bad(loc, f"Cannot resolve the path {raw[:200]!r}") from None
    if path != root and root not in path.parents:
        raise HTTPException(403, "Server-side paths must be inside the import folder (symlinks included)")
    if not path.exists():
        raise _bad(loc, f"No such file or directory in the import folder: {raw[:200]}")
    return path


def _inputs_under_root(settings: Settings, path: Path, raw: str) -> list[Path]:
    """The files a server-side scan reads, each resolved and checked to lie in the import folder."""
    try:
        files = expand([str(path)], root=settings.imports_root())
    except ScanInputError as exc:
        if "outside" in str(exc):
            raise HTTPException(403, f"{raw[:200]}: {str(exc).split(': ', 1)[-1]}") from None
        raise _bad("path", f"{raw[:200]}: {str(exc).split(': ', 1)[-1]}") from None
    return files


def _upload(root: Path, upload: UploadFile, loc: str, suffixes: tuple[str, ...], default: str) -> Path:
    """Save an upload under a safe name, refusing file types a scan cannot read (422 before anything is kept)."""
    name = jobs.upload_name(upload.filename, "" if upload.filename else default)  # ".." is no name, not the default
    lowered = name.lower().removesuffix(".gz") if loc == "file" else name.lower()
    if not lowered.endswith(suffixes):
        raise InputError([{"loc": loc, "msg": f"unsupported file type {name[:120]!r}; use one of "
                           f"{', '.join(suffixes)}" + (" (optionally .gz)" if loc == "file" else ""),
                           "type": error_codes.UNSUPPORTED_UPLOAD}])
    return jobs.save_upload(root, name, upload.file)


def _job(settings: Settings, job_id: str) -> Path:
    job = jobs.job_path(settings.data_dir, job_id)
    if job is None:  # auditors and admins (the only roles admitted here) see every scan
        raise HTTPException(404, f"No scan {job_id!r}")
    return job


@router.post("/scans", status_code=202, responses={
    202: {"description": "The scan job was started"}, **error_responses(400, s400="A multipart body that cannot be parsed")})
def create_scan(caller: Auditor, settings: SettingsDep, engine: EngineDep, store: OptionalStoreDep,
                file: Annotated[UploadFile | None, File(description="A .csv, .xlsx, .json or .jsonl file (.gz too)")] = None,
                mapping: Annotated[UploadFile | None, File(description="A column mapping (YAML/JSON)")] = None,
                path: Annotated[str | None, Form(description="Admins: a file or directory on the server")] = None,
                mapping_path: Annotated[str | None, Form(description="Admins: a mapping file on the server")] = None,
                as_of: Annotated[str | None, Form(description="Evaluation date YYYY-MM-DD (default today)")] = None,
                ) -> dict[str, Any]:
    """Start a scan job; returns its id and where to follow it."""
    if (file is None) == (path is None):
        raise _bad("file", "Give exactly one of: an uploaded file, or a server-side path")
    if (path or mapping_path) and caller.role != "admin":
        raise HTTPException(403, "Server-side paths need the admin role; upload the file instead")
    try:
        day = parse_date(as_of) if as_of else today()
    except ValueError:
        raise _bad("as_of", f"as_of must be a date YYYY-MM-DD, got {str(as_of)[:40]!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _bad("as_of", f"as_of must be between 1900-01-01 and 2199-12-31, got {day.isoformat()}")
    inputs = _inputs_under_root(settings, _server_path(settings, path, "path"), path) if path is not None else []
    map_file = _server_path(settings, mapping_path, "mapping_path") if mapping_path else None
    shown = mapping_path
    root = jobs.jobs_dir(settings.data_dir)
    if file is not None:
        inputs = [_upload(root, file, "file", SUFFIXES, "upload.csv")]
    if mapping is not None:
        map_file = _upload(root, mapping, "mapping", _MAPPING_SUFFIXES, "mapping.yaml")
        shown = map_file.name
    rules_dir = str(settings.rules_dir)
    if map_file is not None:
        try:  # a bad mapping fails now, not in the job; named as the client named it, never by its server path
            Mapping.load(map_file, engine.packs.fx, shown_as=shown)
        except ScanInputError as exc:
            raise _bad("mapping", str(exc)) from None
    slots = JobSlots(jobs.slots_dir(settings.data_dir), per_key=settings.max_jobs_per_key, total=settings.max_jobs)
    try:
        job_id = jobs.submit(settings.data_dir, inputs, mapping=map_file, as_of=day, rules_dir=rules_dir,
                             owner=caller.id, store_url=store.db.url if store is not None else None, slots=slots)
    except JobCapError as exc:
        raise CodedHTTPException(429, exc.code, exc.message, headers={"Retry-After": "10"}) from None
    return {"id": job_id, "status": "queued", "links": {"self": f"/v1/scans/{job_id}",
                                                         "report": f"/v1/scans/{job_id}/report?format=html"}}


@router.get("/scans/{scan_id}")
def get_scan(scan_id: str, caller: Auditor, settings: SettingsDep) -> dict[str, Any]:
    """A scan's status and progress (records checked of total); its summary once done."""
    return jobs.status(_job(settings, scan_id))


_REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report file", "content": {media: {} for media in MEDIA_TYPES.values()}},
    **error_responses(409, s409="The scan is not done (yet), or it failed")}


@router.get("/scans/{scan_id}/report", response_class=FileResponse, responses=_REPORT_RESPONSES)
def get_report(scan_id: str, caller: Auditor, settings: SettingsDep,
               format: Annotated[str, Query(description=f"One of {', '.join(FORMATS)}")] = "jsonl") -> FileResponse:
    """The finished scan's report: jsonl, csv, sarif, junit, html or xlsx."""
    if format not in FORMATS:
        raise _bad("format", f"Unknown format {format!r}; use one of {', '.join(FORMATS)}")
    job = _job(settings, scan_id)
    state = jobs.read_state(job)
    if state["status"] != "done":
        raise HTTPException(409, f"The scan is {state['status']}" + (f": {state['error']}" if state.get("error") else
                                                                    "; try again when it is done"))
    path = jobs.report(job, format)
    return FileResponse(path, media_type=MEDIA_TYPES[format], filename=f"scan-{scan_id[:12]}.{_SUFFIX[format]}")
