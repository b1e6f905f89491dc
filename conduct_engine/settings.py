"""One settings object, read from ``CONDUCT_*`` environment variables; the only module that reads the environment.

Every other module takes its settings as an argument or calls :func:`load_settings`. ``serve`` hands its
choices to uvicorn's worker processes through :func:`export_for_workers`, which writes them back into the
environment the workers inherit (the one channel a spawned worker has), so that too happens here alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveInt, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conduct_engine import error_codes
from conduct_engine.errors import ConductError

#: The rule packs that ship with the package.
DEFAULT_RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


class Settings(BaseSettings):
    """Everything an operator can set; each field is ``CONDUCT_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="CONDUCT_", extra="ignore", frozen=True)

    database_url: str | None = Field(None, description="SQLAlchemy URL of the store; default SQLite in data_dir")
    data_dir: Path = Field(Path("data"), description="where the default SQLite store, scan jobs and imports live")
    rules_dir: Path = Field(DEFAULT_RULES_DIR, description="the rule packs to load")
    auth: bool = Field(True, description="require API keys (off only for a local demo)")
    max_body_bytes: PositiveInt = Field(2_000_000, description="largest HTTP request body")
    max_batch: PositiveInt = Field(500, description="most records in one batch request")
    rate_limit: PositiveInt = Field(600, description="requests per minute per API key (shared by every worker "
                                    "process: counted in the store)")
    auth_failure_limit: PositiveInt = Field(30, description="failed authentications per minute from one client "
                                            "address before it gets 429 (counted in the store)")
    max_jobs_per_key: PositiveInt = Field(2, description="scan/backtest jobs one API key may run at once")
    max_jobs: PositiveInt = Field(4, description="scan/backtest jobs that may run at once in all")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="level of the application log (JSON lines: decisions and errors)")
    log_file: Path | None = Field(None, description="where the application log goes; default standard error")
    max_yaml_nodes: PositiveInt = Field(100_000, description="most YAML nodes of an input, after aliases are expanded")
    max_nesting: PositiveInt = Field(64, description="deepest nesting of a JSON or YAML input")
    max_document_bytes: PositiveInt = Field(64_000_000, description="largest input file read whole (records, "
                                            "context, mapping, a .json scan file)")
    max_decompressed_bytes: PositiveInt = Field(1_000_000_000, description="most bytes a .gz or .xlsx scan input "
                                                "may expand to")
    max_field_chars: PositiveInt = Field(131_072, description="longest CSV field or XLSX cell of a scan input")
    max_row_chars: PositiveInt = Field(2_000_000, description="longest line of a JSON Lines or CSV scan input")
    ui_session_minutes: PositiveInt = Field(480, description="how long a web-console sign-in lasts (minutes)")
    max_backtest_jobs: PositiveInt = Field(4, description="backtest jobs queued or running at once, in all")
    max_backtest_jobs_per_key: PositiveInt = Field(2, description="backtest jobs queued or running at once, per key")
    scan_root: Path | None = Field(None, description="server paths a scan may read; default data_dir/imports")
    case_min_precision: float = Field(0.5, ge=0, le=1, description="rules whose review-case precision is under "
                                      "this are listed as tuning candidates in the rule-quality report")
    test_database_url: str = Field("postgresql+psycopg://postgres@127.0.0.1:5432/test",
                                   description="PostgreSQL server the store tests also run against")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    def store_url(self) -> str:
        """``database_url``, else a SQLite file ``conduct.db`` in ``data_dir`` (created if missing)."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'conduct.db').resolve()}"

    def imports_root(self) -> Path:
        """The folder server-side scan paths must lie in (symlinks resolved)."""
        return (self.scan_root or self.data_dir / "imports").resolve()


class SettingsError(ConductError, ValueError):
    """An environment variable (or an explicit setting) has a value that cannot be used; ``loc`` names it."""

    code = error_codes.INVALID_SETTINGS


def load_settings(**overrides: Any) -> Settings:
    """The settings in force: explicit ``overrides`` (None = not given) over the environment over the defaults."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        names = [f"CONDUCT_{'.'.join(map(str, e['loc'])).upper()}" for e in exc.errors()]
        problems = "; ".join(f"{name}: {e['msg']}, got {e['input']!r}" for name, e in zip(names, exc.errors(), strict=True))
        raise SettingsError(f"invalid settings: {problems}", loc=names[0]) from None


def export_for_workers(settings: Settings) -> None:
    """Write ``settings`` into this process's environment, for worker processes started after this call."""
    for name, value in settings.model_dump(exclude_none=True).items():
        os.environ[f"CONDUCT_{name.upper()}"] = ("on" if value else "off") if isinstance(value, bool) else str(value)
