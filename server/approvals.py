"""HR sign-off rules, pure: who is asked, whether a message may be put to HR, and when a request is due.

The workflow (store, mail, pages) lives in services.signoff and web.approvals;
this module only decides, over plain values, so it is tested without I/O.

Stdlib and server.model only: must not import Flask, SQLAlchemy, or anything
that does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .model import ApprovalStatus, Decision, Verdict


class Refusal(StrEnum):
    """Why a message cannot be put to HR (the API's error codes)."""

    NOT_NEEDED = "approval_not_needed"
    BLOCKED = "approval_cannot_lift_block"
    NO_APPROVERS = "approvals_not_configured"


@dataclass(frozen=True, slots=True)
class Timing:
    """How long HR has to decide, when they are reminded, how long an approval may be used."""

    expiry: timedelta = timedelta(hours=72)
    reminder: timedelta = timedelta(hours=24)


def refusal(decision: Decision) -> Refusal | None:
    """Why `decision` cannot be turned into a sign-off request, or None when it can.

    Only a held message needs sign-off; a block is never lifted by an approval
    (policy.py), so asking for one would only waste HR's time. In monitor-only
    mode `would_be` is what enforcement would answer, and that is what counts.
    """
    verdict = decision.would_be if decision.monitor_only else decision.verdict
    if verdict == Verdict.BLOCK:
        return Refusal.BLOCKED
    if verdict != Verdict.REQUIRE_APPROVAL:
        return Refusal.NOT_NEEDED
    return None


def approvers_for(
    accounts: Iterable[str], default: Iterable[str], routes: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """Who is asked: the routed approvers of every client account involved, else the default HR list.

    Routes are keyed by account name, case-insensitively; the answer is sorted
    and has no duplicates, so the same message always goes to the same people.
    """
    by_name = {name.casefold(): people for name, people in routes.items()}
    routed = {person for account in accounts for person in by_name.get(account.casefold(), ())}
    return tuple(sorted(routed or set(default)))


def expires_at(created_at: datetime, timing: Timing) -> datetime:
    """When a request that HR has not decided expires."""
    return created_at + timing.expiry


def approval_valid_until(decided_at: datetime, timing: Timing) -> datetime:
    """How long an approved message may still be sent: as long again as HR had to decide."""
    return decided_at + timing.expiry


def reminder_due(created_at: datetime, reminded_at: datetime | None, now: datetime, timing: Timing) -> bool:
    """A pending request gets one reminder, once `timing.reminder` has passed without a decision."""
    return reminded_at is None and now >= created_at + timing.reminder


def effective_status(status: ApprovalStatus, expires: datetime | None, now: datetime) -> ApprovalStatus:
    """The status to show: a pending or approved request past its expiry reads as expired."""
    live = status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    if live and expires is not None and expires <= now:
        return ApprovalStatus.EXPIRED
    return status
