"""The SQL of the sign-off queue: requests by the status people read, newest first, a page at a time.

Statuses follow what the approval page shows (approvals.effective_status): a pending or
approved request past its expiry reads as expired even before housekeeping marks it.
Pages are keyset-paginated by id (newest first; `before` is the last id of the previous
page), so a deep page costs what the first does. Must not import Flask.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, true

from .. import tables as t
from ..model import ApprovalStatus
from .rows import plain

_R = t.approval_requests
QUEUE_VIEWS = ("pending", "decided", "expired", "consumed", "all")
_COLUMNS = (
    _R.c.id,
    _R.c.sender_email,
    _R.c.recipients,
    _R.c.created_at,
    _R.c.expires_at,
    _R.c.status,
    _R.c.approvers,
    _R.c.decided_by,
    _R.c.decided_at,
)


def view_condition(view: str, now: datetime):
    """The WHERE clause of one of QUEUE_VIEWS."""
    live = _R.c.expires_at > now
    pending, approved = ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value
    conditions = {
        "pending": and_(_R.c.status == pending, live),
        "decided": or_(_R.c.status == ApprovalStatus.REJECTED.value, and_(_R.c.status == approved, live)),
        "expired": or_(_R.c.status == ApprovalStatus.EXPIRED.value, and_(_R.c.status.in_([pending, approved]), ~live)),
        "consumed": _R.c.status == ApprovalStatus.CONSUMED.value,
        "all": true(),
    }
    return conditions[view]


def queue_page(conn: Connection, view: str, now: datetime, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` + 1 requests of `view` older than id `before` (the extra one says another page follows)."""
    query = select(*_COLUMNS).where(view_condition(view, now)).order_by(_R.c.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(_R.c.id < before)
    return [plain(row, "created_at", "expires_at", "decided_at") for row in conn.execute(query)]
