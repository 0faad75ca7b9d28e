"""All SQL of HR sign-off and of the outbound mail queue (store.py holds the rest).

Every state change is one conditional UPDATE (`... WHERE status = 'pending'`)
whose row count says whether this caller won, so two HR clicks, two workers or
two replicas never both act. Rows come back as plain dicts with aware datetimes.

Must not import Flask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, false, insert, or_, select, text, update

from . import tables as t
from .model import ApprovalStatus
from .store import _aware

_R = t.approval_requests
_L = t.approval_links
_M = t.outbound_mail
_DATES = (
    "created_at",
    "expires_at",
    "decided_at",
    "reminded_at",
    "consumed_at",
    "opened_at",
    "used_at",
    "content_removed_at",
)
_MAIL_DATES = ("created_at", "next_attempt_at", "claimed_at", "sent_at")


def _plain(row, dates=_DATES) -> dict[str, Any]:
    values = dict(row._mapping)
    return values | {k: _aware(values[k]) for k in dates if k in values}


# --- requests ---------------------------------------------------------------


def insert_request(conn: Connection, values: dict[str, Any]) -> int:
    return conn.execute(insert(_R).values(values)).inserted_primary_key[0]


def get_request(conn: Connection, approval_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_R).where(_R.c.id == approval_id)).first()
    return _plain(row) if row else None


def lock_for_new_request(conn: Connection, names: Iterable[str]) -> None:
    """Hold off every other making of a request by these senders and approvers until this transaction ends.

    The hourly limits count rows and then insert one: two workers must not both count before either
    inserts. PostgreSQL: one transaction-scoped advisory lock per name, taken in sorted order so that
    two callers never wait on each other in a circle. SQLite has one writer at a time: a first statement
    that writes (an UPDATE matching nothing still takes the database's write lock, waiting out the busy
    timeout) keeps other writers out until this one commits, and every count after it sees every
    committed request.
    """
    if conn.dialect.name == "postgresql":
        for name in sorted(set(names)):
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})
    else:
        conn.execute(update(_R).where(false()).values(id=_R.c.id))


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name`, apart from any other use of advisory locks."""
    digest = hashlib.sha256(f"leaverguard.signoff:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def request_times(conn: Connection, sender_keys: Iterable[str], since: datetime) -> list[datetime]:
    """When the requests made under any of `sender_keys` after `since` were made (the per-sender limit)."""
    query = select(_R.c.created_at).where(_R.c.sender_key.in_(sorted(set(sender_keys))), _R.c.created_at > since)
    return [_aware(at) for at in conn.scalars(query)]


def link_times(conn: Connection, approvers: Iterable[str], since: datetime) -> dict[str, list[datetime]]:
    """For each approver, when the request mails (one link each) sent to them after `since` were queued."""
    people = sorted(set(approvers))
    times: dict[str, list[datetime]] = {person: [] for person in people}
    query = select(_L.c.approver_email, _L.c.created_at).where(_L.c.approver_email.in_(people), _L.c.created_at > since)
    for person, at in conn.execute(query):
        times[person].append(_aware(at))
    return times


def live_request(conn: Connection, sender_key: str, fingerprint: str, now: datetime) -> dict[str, Any] | None:
    """The newest pending or approved, unexpired request of this sender for this message."""
    query = (
        select(_R)
        .where(_R.c.sender_key == sender_key, _R.c.fingerprint == fingerprint)
        .where(_R.c.status.in_([ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value]))
        .where(_R.c.expires_at > now)
        .order_by(_R.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return _plain(row) if row else None


def requests_of(conn: Connection, sender_key: str, limit: int = 50) -> list[dict[str, Any]]:
    """A sender's requests, newest first (the approval page's history)."""
    query = select(_R).where(_R.c.sender_key == sender_key).order_by(_R.c.id.desc()).limit(limit)
    return [_plain(row) for row in conn.execute(query)]


def decide(conn: Connection, approval_id: int, values: dict[str, Any], now: datetime) -> bool:
    """Record a decision if the request is still pending and unexpired; False when someone was first."""
    pending = and_(_R.c.id == approval_id, _R.c.status == ApprovalStatus.PENDING.value, _R.c.expires_at > now)
    return conn.execute(update(_R).where(pending).values(values)).rowcount == 1


def consume(conn: Connection, approval_id: int, now: datetime) -> bool:
    """Mark an approved request as used by a send; False when it was used already."""
    approved = and_(_R.c.id == approval_id, _R.c.status == ApprovalStatus.APPROVED.value)
    values = {"status": ApprovalStatus.CONSUMED.value, "consumed_at": now}
    return conn.execute(update(_R).where(approved).values(values)).rowcount == 1


def due_for_reminder(conn: Connection, created_before: datetime, now: datetime) -> list[int]:
    query = select(_R.c.id).where(
        _R.c.status == ApprovalStatus.PENDING.value,
        _R.c.reminded_at.is_(None),
        _R.c.created_at <= created_before,
        _R.c.expires_at > now,
    )
    return list(conn.scalars(query))


def mark_reminded(conn: Connection, approval_id: int, now: datetime) -> bool:
    unreminded = and_(_R.c.id == approval_id, _R.c.reminded_at.is_(None), _R.c.status == ApprovalStatus.PENDING.value)
    return conn.execute(update(_R).where(unreminded).values(reminded_at=now)).rowcount == 1


def due_for_expiry(conn: Connection, now: datetime) -> list[int]:
    query = select(_R.c.id).where(_R.c.status == ApprovalStatus.PENDING.value, _R.c.expires_at <= now)
    return list(conn.scalars(query))


def expire(conn: Connection, approval_id: int) -> bool:
    pending = and_(_R.c.id == approval_id, _R.c.status == ApprovalStatus.PENDING.value)
    return conn.execute(update(_R).where(pending).values(status=ApprovalStatus.EXPIRED.value)).rowcount == 1


# --- links ------------------------------------------------------------------


def insert_link(conn: Connection, approval_id: int, approver: str, now: datetime) -> int:
    values = {"approval_id": approval_id, "approver_email": approver, "created_at": now}
    return conn.execute(insert(_L).values(values)).inserted_primary_key[0]


def links_of(conn: Connection, approval_id: int) -> list[dict[str, Any]]:
    return [_plain(row) for row in conn.execute(select(_L).where(_L.c.approval_id == approval_id).order_by(_L.c.id))]


def get_link(conn: Connection, link_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_L).where(_L.c.id == link_id)).first()
    return _plain(row) if row else None


def mark_link(conn: Connection, link_id: int, column: str, now: datetime) -> bool:
    """Set `opened_at` or `used_at` the first time only; True when this call set it."""
    target = _L.c[column]
    return conn.execute(update(_L).where(_L.c.id == link_id, target.is_(None)).values({column: now})).rowcount == 1


# --- outbound mail ----------------------------------------------------------


def enqueue_mail(conn: Connection, values: dict[str, Any]) -> int:
    defaults = {"status": "queued", "attempts": 0}
    return conn.execute(insert(_M).values(defaults | values)).inserted_primary_key[0]


def _due(now: datetime, stale_before: datetime):
    """Queued or failed-and-due mail, or mail whose worker vanished mid-send."""
    waiting = and_(_M.c.status.in_(["queued", "retry"]), _M.c.next_attempt_at <= now)
    abandoned = and_(_M.c.status == "sending", _M.c.claimed_at < stale_before)
    return or_(waiting, abandoned)


def claim_due_mail(conn: Connection, now: datetime, stale_before: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """Claim up to `limit` due mails for this worker (status `sending`); mails another worker claimed are skipped."""
    claimed = []
    for mail_id in conn.scalars(select(_M.c.id).where(_due(now, stale_before)).order_by(_M.c.id).limit(limit)):
        claim = update(_M).where(_M.c.id == mail_id, _due(now, stale_before))
        if conn.execute(claim.values(status="sending", claimed_at=now, attempts=_M.c.attempts + 1)).rowcount:
            claimed.append(_plain(conn.execute(select(_M).where(_M.c.id == mail_id)).one(), _MAIL_DATES))
    return claimed


def finish_mail(conn: Connection, mail_id: int, values: dict[str, Any]) -> None:
    """Record how a claimed mail's delivery ended (sent, retry at a time, or failed for good)."""
    conn.execute(update(_M).where(_M.c.id == mail_id).values(values))


def mails(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The newest mails, newest first (the development outbox and the admins' view of failures)."""
    query = select(_M).order_by(_M.c.id.desc()).limit(limit)
    return [_plain(row, _MAIL_DATES) for row in conn.execute(query)]


def get_mail(conn: Connection, mail_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_M).where(_M.c.id == mail_id)).first()
    return _plain(row, _MAIL_DATES) if row else None
