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

from sqlalchemy import Connection, Select, and_, bindparam, delete, or_, select, update
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
    sender) first, and the same round may then purge it. Migration 0007's index holds every column
    this reads, so the scan never touches the rows (on SQLite, reading a row's later columns means
    reading through its body).
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
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


_REMOVE_CONTENT = (
    update(_R)
    .where(_R.c.id == bindparam("request_id"), _R.c.content_removed_at.is_(None))
    .values({name: bindparam(name) for name in ("subject", "body", "justification", "attachments", "context")})
    .values(content_removed_at=bindparam("removed_at"))
)


def remove_content(conn: Connection, replacements: dict[int, dict[str, Any]], now: datetime) -> int:
    """Replace each request's content (id -> retention.without_content's values), in one statement run for all;
    how many this call changed (a request another process got to first is left alone)."""
    if not replacements:
        return 0
    rows = [values | {"request_id": key, "removed_at": now} for key, values in replacements.items()]
    return conn.execute(_REMOVE_CONTENT, rows).rowcount


def delete_finished_mail(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` mails sent (or failed for good) before `cutoff`; mail still to be delivered stays."""
    # Both terms are ranges on migration 0007's index (status, sent_at, created_at).
    finished = or_(
        and_(_M.c.status == "sent", _M.c.sent_at < cutoff), and_(_M.c.status == "failed", _M.c.created_at < cutoff)
    )
    return _delete_some(conn, _M, select(_M.c.id).where(finished).limit(limit))


# --- the decision trail -------------------------------------------------------


def delete_audit_events(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` audit events from before `cutoff`, oldest first."""
    # Ordered by `at`, not id: the index on `at` then finds the oldest rows at once, where an id order
    # could make PostgreSQL walk the primary key through every young row of a large log.
    return _delete_some(conn, _A, select(_A.c.id).where(_A.c.at < cutoff).order_by(_A.c.at).limit(limit))


def delete_ended_requests(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` requests that ended before `cutoff`; their links go with them (ON DELETE CASCADE)."""
    return _delete_some(conn, _R, select(_R.c.id).where(ended_before(cutoff)).limit(limit))


def _delete_some(conn: Connection, table: t.Table, ids: Select) -> int:
    """Delete the rows `ids` selects. Read first, then delete by id: SQLite takes its one write lock at the
    DELETE, so the lock covers the deletion only, and a round with nothing due takes no lock at all."""
    found = list(conn.scalars(ids))
    return conn.execute(delete(table).where(table.c.id.in_(found))).rowcount if found else 0


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


def drop_sender_keys(conn: Connection, sender_keys: list[str], dropped: set[str]) -> int:
    """Remove `dropped` from the `sender_keys` of the requests sent under any of `sender_keys`; how many changed."""
    found = conn.execute(select(_R.c.id, _R.c.sender_keys).where(_R.c.sender_key.in_(sender_keys))).all()
    changed = 0
    for request_id, keys in found:
        kept = [key for key in keys or [] if key not in dropped]
        if kept != list(keys or []):
            conn.execute(update(_R).where(_R.c.id == request_id).values(sender_keys=kept))
            changed += 1
    return changed
