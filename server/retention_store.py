"""All SQL of retention: what has been kept long enough, removing it a bounded batch at a time, and erasing a departure.

Every statement touches at most `limit` rows, so one batch holds its locks (SQLite's single
writer lock included) for milliseconds and a send-time check never waits long behind it. Two
processes purging at once do not conflict: a deleted row is deleted once, and content is removed
only from a request whose `content_removed_at` is still empty.

Must not import Flask.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from . import tables as t
from .model import ApprovalStatus

_R = t.approval_requests
_M = t.outbound_mail
_A = t.audit_events
_D = t.departures


def ended_before(cutoff: datetime) -> ColumnElement[bool]:
    """Requests that ended before `cutoff`: decided (rejected), used, expired, or approved and lapsed.

    A pending request past its expiry is not ended yet: housekeeping expires it (and tells the
    sender) first, and the same round may then purge it.
    """
    return or_(
        and_(_R.c.status == ApprovalStatus.REJECTED.value, _R.c.decided_at < cutoff),
        and_(_R.c.status == ApprovalStatus.CONSUMED.value, _R.c.consumed_at < cutoff),
        and_(_R.c.status.in_([ApprovalStatus.APPROVED.value, ApprovalStatus.EXPIRED.value]), _R.c.expires_at < cutoff),
    )


# --- message content --------------------------------------------------------


def requests_with_content(conn: Connection, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` requests that ended before `cutoff` and still hold their content (id, attachments, context)."""
    query = (
        select(_R.c.id, _R.c.attachments, _R.c.context)
        .where(_R.c.content_removed_at.is_(None), ended_before(cutoff))
        .order_by(_R.c.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def remove_content(conn: Connection, approval_id: int, values: dict[str, Any], now: datetime) -> bool:
    """Replace one request's content with `values` (retention.without_content); False when another process did."""
    untouched = and_(_R.c.id == approval_id, _R.c.content_removed_at.is_(None))
    return conn.execute(update(_R).where(untouched).values(values | {"content_removed_at": now})).rowcount == 1


def delete_finished_mail(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` mails sent (or failed for good) before `cutoff`; mail still to be delivered stays."""
    finished = and_(_M.c.status.in_(["sent", "failed"]), func.coalesce(_M.c.sent_at, _M.c.created_at) < cutoff)
    return _delete_some(conn, _M, select(_M.c.id).where(finished).order_by(_M.c.id).limit(limit))


# --- the decision trail -------------------------------------------------------


def delete_audit_events(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` audit events from before `cutoff`, oldest first."""
    # Ordered by `at`, not id: the index on `at` then finds the oldest rows at once, where an id order
    # could make PostgreSQL walk the primary key through every young row of a large log.
    return _delete_some(conn, _A, select(_A.c.id).where(_A.c.at < cutoff).order_by(_A.c.at).limit(limit))


def delete_ended_requests(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` requests that ended before `cutoff`; their links go with them (ON DELETE CASCADE)."""
    return _delete_some(conn, _R, select(_R.c.id).where(ended_before(cutoff)).order_by(_R.c.id).limit(limit))


def _delete_some(conn: Connection, table: t.Table, ids) -> int:
    return conn.execute(delete(table).where(table.c.id.in_(ids))).rowcount


# --- erasing a departure --------------------------------------------------------


def delete_departure(conn: Connection, departure_id: int) -> bool:
    """Delete a departure with its addresses and personal addresses; False when it is gone already."""
    for table in (t.departure_addresses, t.departure_personal_addresses):
        conn.execute(delete(table).where(table.c.departure_id == departure_id))
    return conn.execute(delete(_D).where(_D.c.id == departure_id)).rowcount == 1


def departure_events(conn: Connection, departure_id: int) -> list[tuple[int, dict[str, Any]]]:
    """(id, details) of every audit event about departure `departure_id` (the console's `departure.*` events).

    A scan of the log's departure events: an erasure is a rare, deliberate command.
    """
    query = select(_A.c.id, _A.c.details).where(_A.c.kind.like("departure.%")).order_by(_A.c.id)
    return [(row.id, row.details) for row in conn.execute(query) if (row.details or {}).get("id") == departure_id]


def rewrite_details(conn: Connection, event_id: int, details: dict[str, Any]) -> None:
    conn.execute(update(_A).where(_A.c.id == event_id).values(details=details))
