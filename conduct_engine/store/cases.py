"""Review cases in the store: opened or updated by stored decisions, changed by actions, listed with filters in SQL.

Every change and its case events (appended to the decision log's chain) commit in one transaction; on
PostgreSQL the case row is locked for the change, on SQLite the write transaction already serialises.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, exists, func, insert, or_, select, update

from conduct_engine.store import schema
from conduct_engine.store.case_rows import Case, CaseInput, CaseQuery, Change, Comment, Finding
from conduct_engine.store.database import Database, now
from conduct_engine.store.decision_log import CaseEvent, DecisionLog
from conduct_engine.store.prepared import Prepared, PreparedFamily, in_list, list_values
from conduct_engine.store.waivers import Waivers

_C, _F, _M = schema.cases, schema.case_findings, schema.case_comments
#: The columns of a case row written when a decision opens it (every column but its seq).
_OPENED_COLUMNS = tuple(c.name for c in _C.c if c.name != "seq")


@dataclass(frozen=True)
class _Known:
    """What opening or updating a case needs to know of an existing one."""

    id: str
    status: str
    assignee: str | None


def _finding_rows(case_id: str, findings: list[Finding], kept: dict[str, str]) -> list[dict[str, Any]]:
    """A case's finding rows (one per rule; a verdict already given on a rule is kept)."""
    rows = {f.rule_id: {"case_id": case_id, "rule_id": f.rule_id, "standard": f.standard, "severity": f.severity,
                        "message": f.message, "verdict": kept.get(f.rule_id, "unreviewed")} for f in findings}
    return list(rows.values())


class CaseNotFound(LookupError):
    """No case with that id."""


def _findings(result: dict) -> list[Finding]:
    return [Finding(v["rule_id"], v["standard"], v["severity"], v.get("message") or {})
            for v in result.get("violations", ()) if v.get("severity") in ("block", "review")]


class Cases:
    """Open, update, change and read review cases."""

    def __init__(self, db: Database, log: DecisionLog, waivers: Waivers):
        self._db = db
        self._log = log
        self._waivers = waivers

    # ---- opened by decisions ----------------------------------------------------------------------------
    def record(self, conn: Connection, inputs: Sequence[CaseInput]) -> list[CaseEvent]:
        """Open a case per input, or update the record's case (a closed one is reopened); the events to log.

        The inputs are taken in order, as if one after the other (a record twice in them opens its case, then
        updates it), with a fixed number of statements for the lot: one read of the cases concerned and one of
        their verdicts, one insert of the new cases, one update per updated case, one delete and one insert of
        findings.
        """
        if not inputs:
            return []
        at = now()
        known, verdicts = self._known(conn, inputs)
        events: list[CaseEvent] = []
        opened: list[dict[str, Any]] = []
        updated: list[tuple[str, dict[str, Any]]] = []
        findings_of: dict[str, list[dict[str, Any]]] = {}  # the findings each touched case ends with
        for inp in inputs:
            result = inp.result
            kind, record_id, decision = result["kind"], result["record_id"], result["decision"]
            findings = _findings(result)
            rules = [f.rule_id for f in findings]
            row = known.get((kind, record_id))
            if row is None:
                case_id = "C-" + secrets.token_hex(6)
                opened.append(dict(
                    id=case_id, kind=kind, record_id=record_id, decision_id=result["decision_id"],
                    subject=inp.subject, branch=inp.branch, decision=decision, status="open", assignee=None,
                    submitted_by=inp.submitted_by, opened_at=at, opened_on=inp.opened_on, due_on=inp.due_on,
                    updated_at=at, closed_at=None, acknowledged_at=None, disposition=None, pending=None))
                known[(kind, record_id)] = _Known(case_id, "open", None)
                findings_of[case_id] = _finding_rows(case_id, findings, {})
                verdicts[case_id] = {r["rule_id"]: r["verdict"] for r in findings_of[case_id]}
                events.append(CaseEvent("opened", case_id, inp.actor, kind, record_id, inp.subject, decision,
                                        {"decision_id": result["decision_id"], "rules": rules,
                                         "due_on": inp.due_on.isoformat()}))
                continue
            values: dict[str, Any] = {"decision_id": result["decision_id"], "decision": decision, "due_on": inp.due_on,
                                      "updated_at": at, "subject": inp.subject, "branch": inp.branch}
            name, data = "updated", {"decision_id": result["decision_id"], "rules": rules}
            if row.status == "closed":  # closed cases stay closed; a new decision reopens it, saying why
                values.update(status="in_review" if row.assignee else "open", closed_at=None, disposition=None,
                              pending=None, acknowledged_at=None)
                name, data = "reopened", {**data, "reason": f"new decision {result['decision_id']} ({decision})"}
            elif row.status == "awaiting_approval":  # the proposal was about other findings
                values.update(status="in_review", pending=None)
            updated.append((row.id, values))
            known[(kind, record_id)] = _Known(row.id, values.get("status", row.status), row.assignee)
            findings_of[row.id] = _finding_rows(row.id, findings, verdicts.get(row.id, {}))
            verdicts[row.id] = {r["rule_id"]: r["verdict"] for r in findings_of[row.id]}
            events.append(CaseEvent(name, row.id, inp.actor, kind, record_id, inp.subject, decision, data))
        if opened:
            self._insert_cases.run_many(conn, opened)
        for case_id, values in updated:
            conn.execute(update(_C).where(_C.c.id == case_id).values(**values))
        if updated:
            conn.execute(delete(_F).where(_F.c.case_id.in_(bindparam("ids", expanding=True))),
                         {"ids": sorted({case_id for case_id, _ in updated})})
        rows = [r for case_rows in findings_of.values() for r in case_rows]
        if rows:
            self._insert_findings.run_many(conn, rows)
        return events

    def _known(self, conn: Connection, inputs: Sequence[CaseInput]
               ) -> tuple[dict[tuple[str, str], _Known], dict[str, dict[str, str]]]:
        """The existing cases of the inputs' records (locked on PostgreSQL) and their findings' verdicts."""
        keys = sorted({(i.result["kind"], i.result["record_id"]) for i in inputs})
        values = {**list_values("k", [k for k, _ in keys]), **list_values("r", [r for _, r in keys])}
        known = {(kind, record_id): _Known(id_, status, assignee)
                 for id_, kind, record_id, status, assignee in self._known_cases.get(len(keys)).run(conn, values)}
        verdicts: dict[str, dict[str, str]] = {row.id: {} for row in known.values()}
        if verdicts:
            ids = sorted(verdicts)
            for case_id, rule_id, verdict in self._known_verdicts.get(len(ids)).run(conn, list_values("ids", ids)):
                verdicts[case_id][rule_id] = verdict
        return known, verdicts

    @cached_property
    def _known_cases(self) -> PreparedFamily:
        """SELECT the cases of n (kind, record id) pairs, locked on PostgreSQL; one statement per n."""
        def build(n: int) -> Any:
            pairs = [and_(_C.c.kind == k, _C.c.record_id == r) for k, r in zip(in_list("k", n), in_list("r", n),
                                                                                strict=True)]
            return self._locked(select(_C.c.id, _C.c.kind, _C.c.record_id, _C.c.status, _C.c.assignee)
                                .where(or_(*pairs)))
        return PreparedFamily(build, self._db.engine.dialect)

    @cached_property
    def _known_verdicts(self) -> PreparedFamily:
        """SELECT the findings' verdicts of n cases; one statement per n."""
        return PreparedFamily(lambda n: select(_F.c.case_id, _F.c.rule_id, _F.c.verdict)
                              .where(_F.c.case_id.in_(in_list("ids", n))), self._db.engine.dialect)

    @cached_property
    def _insert_cases(self) -> Prepared:
        return Prepared(insert(_C), self._db.engine.dialect, _OPENED_COLUMNS)

    @cached_property
    def _insert_findings(self) -> Prepared:
        return Prepared(insert(_F), self._db.engine.dialect, ("case_id", "rule_id", "standard", "severity", "message",
                                                              "verdict"))

    def _locked(self, query: Any) -> Any:
        return query.with_for_update() if self._db.dialect == "postgresql" else query

    # ---- changed by actions -----------------------------------------------------------------------------
    def act(self, case_id: str, change: Callable[[Case], Change]) -> Case:
        """Apply ``change(case)`` to a case and log its events, in one transaction; the case after it.

        ``change`` raises to refuse (nothing is written). CaseNotFound when there is no such case.
        """
        with self._db.transaction() as conn:
            row = conn.execute(self._locked(select(_C).where(_C.c.id == case_id))).first()
            if row is None:
                raise CaseNotFound(case_id)
            case = self._load(conn, [row])[0]
            done = change(case)
            updates = dict(done.updates)
            if done.waivers:
                ids = [self._waivers.add(conn=conn, **w).id for w in done.waivers]
                updates["disposition"] = {**(updates.get("disposition") or {}), "waivers": ids}
            if updates:
                conn.execute(update(_C).where(_C.c.id == case_id).values(updated_at=now(), **updates))
            for rule_id, verdict in done.verdicts.items():
                conn.execute(update(_F).where(_F.c.case_id == case_id, _F.c.rule_id == rule_id).values(verdict=verdict))
            if done.comment is not None:
                c = done.comment
                conn.execute(insert(_M).values(case_id=case_id, author=c.author, at=c.at, text=c.text))
            self._log.append(conn, done.events)
            return self._load(conn, [conn.execute(select(_C).where(_C.c.id == case_id)).one()])[0]

    # ---- read -------------------------------------------------------------------------------------------
    def get(self, case_id: str) -> Case | None:
        """One case with its findings and comments, or None."""
        with self._db.read() as conn:
            row = conn.execute(select(_C).where(_C.c.id == case_id)).first()
            return self._load(conn, [row])[0] if row else None

    def for_record(self, kind: str, record_id: str) -> Case | None:
        """The case of a record, or None."""
        with self._db.read() as conn:
            row = conn.execute(select(_C).where(_C.c.kind == kind, _C.c.record_id == record_id)).first()
            return self._load(conn, [row])[0] if row else None

    def page(self, q: CaseQuery) -> tuple[list[Case], int | None]:
        """One page of cases matching ``q``, newest first, and the cursor of the next page (None: no more)."""
        query = select(_C).where(*self._where(q)).order_by(_C.c.seq.desc()).limit(q.limit + 1)
        if q.cursor is not None:
            query = query.where(_C.c.seq < q.cursor)
        with self._db.read() as conn:
            rows = list(conn.execute(query))
            page = self._load(conn, rows[:q.limit])
        return page, (page[-1].seq if len(rows) > q.limit and page else None)

    def all(self, q: CaseQuery) -> list[Case]:
        """Every case matching ``q`` (the quality report's input), oldest first."""
        with self._db.read() as conn:
            return self._load(conn, list(conn.execute(select(_C).where(*self._where(q)).order_by(_C.c.seq))))

    def count(self, *, status: str | None = None) -> int:
        """How many cases there are (with this status)."""
        query = select(func.count()).select_from(_C)
        if status is not None:
            query = query.where(_C.c.status == status)
        with self._db.read() as conn:
            return int(conn.execute(query).scalar_one())

    @staticmethod
    def _where(q: CaseQuery) -> list[Any]:
        where: list[Any] = []
        for column, value in ((_C.c.status, q.status), (_C.c.assignee, q.assignee), (_C.c.branch, q.branch),
                              (_C.c.subject, q.subject), (_C.c.record_id, q.record_id)):
            if value is not None:
                where.append(column == value)
        if q.standard is not None:
            where.append(exists().where(_F.c.case_id == _C.c.id, _F.c.standard == q.standard))
        if q.opened_from is not None:
            where.append(_C.c.opened_on >= q.opened_from)
        if q.opened_to is not None:
            where.append(_C.c.opened_on <= q.opened_to)
        late = and_(_C.c.status != "closed", _C.c.due_on < q.today)
        if q.overdue is True:
            where.append(late)
        elif q.overdue is False:
            where.append(or_(_C.c.status == "closed", _C.c.due_on >= q.today))
        if q.own_only:
            mine = [_C.c.submitted_by == (q.own_key or "")]
            if q.own_employee:
                mine.append(_C.c.subject == q.own_employee)
            where.append(or_(*mine))
        return where

    def _load(self, conn: Connection, rows: Sequence[Any]) -> list[Case]:
        ids = [r.id for r in rows]
        if not ids:
            return []
        findings: dict[str, list[Finding]] = {i: [] for i in ids}
        comments: dict[str, list[Comment]] = {i: [] for i in ids}
        expanding: Any = bindparam("ids", expanding=True)
        for f in conn.execute(select(_F).where(_F.c.case_id.in_(expanding)).order_by(_F.c.rule_id), {"ids": ids}):
            findings[f.case_id].append(Finding(f.rule_id, f.standard, f.severity, f.message, f.verdict))
        for c in conn.execute(select(_M).where(_M.c.case_id.in_(expanding)).order_by(_M.c.seq), {"ids": ids}):
            comments[c.case_id].append(Comment(c.author, _utc(c.at), c.text))
        out = []
        for r in rows:
            m = dict(r._mapping)
            for name in ("opened_at", "updated_at", "closed_at", "acknowledged_at"):
                m[name] = _utc(m[name])
            out.append(Case(**m, findings=tuple(findings[r.id]), comments=tuple(comments[r.id])))
        return out


def _utc(value: dt.datetime | None) -> Any:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


__all__ = ["CaseNotFound", "Cases"]
