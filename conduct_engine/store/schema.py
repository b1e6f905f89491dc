"""The store's tables (SQLAlchemy Core). Migrations in ``migrations/`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: Accepted records: the history window and join rules read (SPEC §3.4).
records = Table(
    "records", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("record_date", Date, nullable=False),
    Column("employee_id", String(200)),
    Column("branch", String(200)),
    Column("submitted_by", String(64)),
    Column("data", JSON, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "record_id", name="uq_records_kind_id"),
    Index("ix_records_kind_date", "kind", "record_date"),
    Index("ix_records_employee_kind_date", "employee_id", "kind", "record_date"),
)

#: Reference data loads (SPEC §3.3); the latest row is in force.
reference_data = Table(
    "reference_data", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("loaded_by", String(64)),
    Column("data", JSON, nullable=False),
)

#: Approved exceptions: a rule for a record or a subject (employee), until it expires.
waivers = Table(
    "waivers", metadata,
    Column("id", String(32), primary_key=True),
    Column("rule_id", String(120), nullable=False),
    Column("record_id", String(200)),
    Column("subject", String(200)),
    Column("reason", Text, nullable=False),
    Column("approver", String(200), nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_by", String(64)),
)

#: API keys, stored as SHA-256 hashes of the secret.
api_keys = Table(
    "api_keys", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("employee_id", String(200)),  # 0002: whom the key belongs to (four eyes on review cases)
)

#: The append-only decision log; each entry carries the hash of the previous one.
decision_log = Table(
    "decision_log", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("decision_id", String(64), nullable=False, unique=True),
    Column("logged_at", String(40), nullable=False),
    Column("actor", String(64)),
    Column("channel", String(20), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("subject", String(200)),
    Column("input_digest", String(80), nullable=False),
    Column("pack_digest", String(80), nullable=False),
    Column("decision", String(10), nullable=False),
    Column("result", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("event", String(20)),  # 0002: a case event's name; NULL for a decision
)

#: Pack reloads, so every API worker process picks up a reload done in another.
pack_generations = Table(
    "pack_generations", metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("digest", String(80), nullable=False),
    Column("reloaded_at", DateTime(timezone=True), nullable=False),
    Column("reloaded_by", String(64)),
)

#: Web-console sessions (``/ui``): the SHA-256 of the cookie's token, whose key, its CSRF token and language.
ui_sessions = Table(
    "ui_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("key_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("lang", String(5), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_ui_sessions_expires", "expires_at"),
)

#: Review cases (SPEC §9): one per record whose stored decision was ``review`` or ``block``.
cases = Table(
    "cases", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("decision_id", String(64), nullable=False),
    Column("subject", String(200)),
    Column("branch", String(200)),
    Column("decision", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("assignee", String(200)),
    Column("submitted_by", String(64)),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("disposition", JSON),
    Column("pending", JSON),
    UniqueConstraint("kind", "record_id", name="uq_cases_kind_record"),
    Index("ix_cases_status_due", "status", "due_on"),
    Index("ix_cases_assignee", "assignee"),
    Index("ix_cases_subject", "subject"),
    Index("ix_cases_due_on", "due_on"),
    Index("ix_cases_branch", "branch"),
    Index("ix_cases_opened_on", "opened_on"),
)

#: A case's findings (its items), with the reviewer's verdict on each.
case_findings = Table(
    "case_findings", metadata,
    Column("case_id", String(32), primary_key=True),
    Column("rule_id", String(120), primary_key=True),
    Column("standard", String(60), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("message", JSON, nullable=False),
    Column("verdict", String(20), nullable=False),
    Index("ix_case_findings_standard", "standard"),
    Index("ix_case_findings_rule", "rule_id"),
)

#: Comments on a case, in order.
case_comments = Table(
    "case_comments", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("case_id", String(32), nullable=False),
    Column("author", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("text", Text, nullable=False),
    Index("ix_case_comments_case", "case_id"),
)

#: Request counts per fixed one-minute window, shared by every API worker process: per-key rate limits and
#: failed authentications per client address (migration 0003).
rate_windows = Table(
    "rate_windows", metadata,
    Column("bucket", String(200), primary_key=True),
    Column("window", BigInteger, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
    Index("ix_rate_windows_window", "window"),
)
