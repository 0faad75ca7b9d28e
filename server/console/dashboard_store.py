"""The SQL of the dashboard: leavers around today, pending sign-offs, held and warned sends a day, decisions.

Each function is one query over an index (departures by status, approval requests by
status and creation, audit events by time or id) and takes a Connection; rows come back
as plain values with aware UTC datetimes. Must not import Flask.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, and_, cast, func, select

from .. import tables as t
from ..model import ApprovalStatus, DepartureStatus, Verdict
from .rows import plain

_R = t.approval_requests
_A = t.audit_events
HELD_OR_WARNED = (Verdict.WARN.value, Verdict.REQUIRE_APPROVAL.value, Verdict.BLOCK.value)


def leavers_between(conn: Connection, today: date, until: date) -> list[dict[str, Any]]:
    """Active departures not yet past their last day whose notice starts by `until`, by last day."""
    d = t.departures
    query = (
        select(d.c.email, d.c.notice_date, d.c.garden_leave_date, d.c.last_working_date, d.c.successor_email)
        .where(d.c.status == DepartureStatus.ACTIVE.value, d.c.last_working_date >= today, d.c.notice_date <= until)
        .order_by(d.c.last_working_date, d.c.email)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def pending_signoffs(conn: Connection, now: datetime, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """How many sign-off requests wait for HR, and the oldest `limit` of them (they are the most urgent)."""
    waiting = and_(_R.c.status == ApprovalStatus.PENDING.value, _R.c.expires_at > now)
    count = conn.scalar(select(func.count()).select_from(_R).where(waiting)) or 0
    columns = (_R.c.id, _R.c.sender_email, _R.c.recipients, _R.c.created_at, _R.c.expires_at, _R.c.approvers)
    rows = conn.execute(select(*columns).where(waiting).order_by(_R.c.created_at, _R.c.id).limit(limit))
    return count, [plain(row, "created_at", "expires_at") for row in rows]


def held_and_warned_by_day(conn: Connection, since: datetime) -> dict[tuple[date, str], int]:
    """Sends answered warn, require_approval or block since `since`, counted by UTC day and verdict."""
    day = _utc_day(conn)
    query = (
        select(day.label("day"), _A.c.verdict, func.count())
        .where(_A.c.at >= since, _A.c.kind == "check", _A.c.verdict.in_(HELD_OR_WARNED))
        .group_by(day, _A.c.verdict)
    )
    return {(_as_date(row[0]), row[1]): row[2] for row in conn.execute(query)}


def recent_decisions(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The newest sign-off decisions (audit events `approval.decided`), newest first."""
    query = (
        select(_A.c.id, _A.c.at, _A.c.actor, _A.c.approval_id, _A.c.details)
        .where(_A.c.kind == "approval.decided")
        .order_by(_A.c.id.desc())
        .limit(limit)
    )
    return [plain(row, "at") for row in conn.execute(query)]


def _utc_day(conn: Connection):
    """The UTC calendar day of an event: SQLite stores UTC text; PostgreSQL converts from its session zone."""
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("UTC", _A.c.at), Date)
    return func.date(_A.c.at)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
