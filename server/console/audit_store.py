"""The SQL of the audit log pages: filtered events a page at a time, one event, and a leaver's evidence.

Pages are keyset-paginated by id, newest first. The finding-code filter looks for
`"code": "<code>"` in the details JSON as text (a LIKE, which works the same on SQLite and
PostgreSQL, where the column is JSON, stored as written): it cannot use an index, so it scans
only the rows the other filters and the page's LIMIT leave, newest first. Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Text, cast, func, or_, select

from .. import tables as t
from .audit_query import AuditFilter
from .rows import plain

_A = t.audit_events
_R = t.approval_requests


def conditions(audit_filter: AuditFilter) -> list:
    """The WHERE clauses of `audit_filter` (none for an empty one)."""
    found, f = [], audit_filter
    if f.actor:
        found.append(_A.c.actor == f.actor)
    if f.since:
        found.append(_A.c.at >= datetime.combine(f.since, time(), UTC))
    if f.until:
        found.append(_A.c.at < datetime.combine(f.until + timedelta(days=1), time(), UTC))
    if f.verdict:
        found.append(_A.c.verdict == f.verdict.value)
    if f.kind and f.kind.endswith(".*"):
        found.append(_A.c.kind.like(_escape(f.kind[:-1]) + "%", escape="\\"))
    elif f.kind:
        found.append(_A.c.kind == f.kind)
    if f.code:
        found.append(_has_code(f.code))
    return found


def _has_code(code: str):
    """Details naming finding `code`, however the JSON was spaced."""
    text = cast(_A.c.details, Text)
    quoted = _escape(f'"{code}"')
    return or_(*(text.like(f'%"code":{gap}{quoted}%', escape="\\") for gap in (" ", "")))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def audit_page(conn: Connection, audit_filter: AuditFilter, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` + 1 matching events older than id `before`, newest first (the extra one: more follow)."""
    query = select(_A).where(*conditions(audit_filter)).order_by(_A.c.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(_A.c.id < before)
    return [plain(row, "at") for row in conn.execute(query)]


def newest_id(conn: Connection) -> int:
    """The id of the newest event (0 when there is none)."""
    return conn.scalar(select(func.max(_A.c.id))) or 0


def count_events(conn: Connection, audit_filter: AuditFilter, before: int) -> int:
    """How many events match `audit_filter` among those older than id `before` (what an export will hold)."""
    return conn.scalar(select(func.count()).select_from(_A).where(*conditions(audit_filter), _A.c.id < before))


def audit_event(conn: Connection, event_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_A).where(_A.c.id == event_id)).first()
    return plain(row, "at") if row else None


def checks_by(conn: Connection, actors: Iterable[str]) -> list[dict[str, Any]]:
    """Every send-time check of the addresses `actors` (index on actor and time)."""
    query = select(_A).where(_A.c.actor.in_(list(actors)), _A.c.kind == "check").order_by(_A.c.id)
    return [plain(row, "at") for row in conn.execute(query)]


def requests_by(conn: Connection, sender_keys: Iterable[str]) -> list[dict[str, Any]]:
    """Every sign-off request sent as any of the address keys `sender_keys`, oldest first."""
    query = select(_R).where(_R.c.sender_key.in_(list(sender_keys))).order_by(_R.c.id)
    dates = ("created_at", "expires_at", "decided_at", "consumed_at", "content_removed_at")
    return [plain(row, *dates) for row in conn.execute(query)]
