"""Making an HR sign-off request: who is asked, the hourly limits, the row and the mails, in one transaction.

A request goes to the route approvers who speak for every client account the message touches, else to
HR, never to the sender (approvals.approvers_for). The hourly limits per sender and per approver mailbox
are counted in the database inside the transaction that inserts, under a lock on the sender and the
approvers (signoff_store.lock_for_new_request), so every worker and replica agrees and two requests at
once cannot both take the last place.

Must not import Flask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from .. import approvals, signoff_store, store
from ..approvals import Refusal
from . import signoff_records
from .checking import CheckMode, CheckRequest, SettingsCache, check_message
from .signoff_settings import SignoffSettings


class SignoffRefused(Exception):
    """The message cannot be put to HR; `refusal` is the reason (an API error code)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class LimitReached:
    """Which hourly limit a request ran into, and how long until one more fits."""

    limit: str  # "sender" or "approver"
    allowed: int  # requests (or mails) the window allows
    retry_after: int  # seconds
    approver: str | None = None

    @property
    def minutes(self) -> int:
        return math.ceil(self.retry_after / 60)


class SignoffLimited(Exception):
    """The sender asked too often this hour, or an approver's mailbox got too many requests (HTTP 429)."""

    def __init__(self, reached: LimitReached):
        super().__init__(f"{reached.limit} limit reached; retry after {reached.retry_after} s")
        self.reached = reached


def request_signoff(
    engine: Engine,
    check_request: CheckRequest,
    *,
    justification: str,
    attestation: bool,
    settings: SignoffSettings,
    now: datetime,
    settings_cache: SettingsCache | None = None,
) -> tuple[dict[str, Any], bool]:
    """The sign-off request for this message: (request, True) when created, (existing, False) when one is live.

    Raises SignoffRefused when the message needs no sign-off, is blocked outright, or nobody but the
    sender could approve it, and SignoffLimited over an hourly limit. Asking again for a live request
    answers it and counts towards no limit.
    """
    preview = replace(check_request, mode=CheckMode.PREVIEW)  # the request itself is not a send
    result = check_message(engine, preview, now=now, settings_cache=settings_cache)
    if result.fingerprint is None:
        raise SignoffRefused(Refusal.NOT_NEEDED)
    sender_keys = approvals.sender_identities(check_request.sender, result.sender) | {result.sender_address.key}
    accounts = approvals.accounts_touched(result.clients, result.decision.findings)
    people = approvals.approvers_for(accounts, settings.approvers, settings.routes, sender_keys)
    with engine.connect() as conn:  # an approver who is leaving is asked nothing, as the sender is not; only
        leaving = store.on_register(conn, {*people, *settings.approvers})  # those asked, or HR instead, matter
    if leaving:
        people = approvals.approvers_for(accounts, settings.approvers, settings.routes, sender_keys | leaving)
    with engine.begin() as conn:
        names = [f"sender:{key}" for key in sender_keys] + [f"approver:{person}" for person in people]
        signoff_store.lock_for_new_request(conn, names)
        existing = signoff_store.live_request(conn, result.sender_address.key, result.fingerprint, now)
        if existing is not None:
            return existing, False
        refusal = approvals.refusal(result.decision)
        if refusal is not None:
            raise SignoffRefused(refusal)
        if not people:
            raise SignoffRefused(Refusal.NO_APPROVERS)
        reached = _limit_reached(conn, sender_keys, people, settings.limits, now)
        if reached is None:
            values = signoff_records.request_values(
                check_request, result, justification, attestation, people, sender_keys, settings.timing, now
            )
            request = _insert(conn, values, people, settings, now)
            signoff_records.audit(
                conn, now, "approval.requested", result.sender_address.email, request, approvers=list(people)
            )
        else:  # recorded, so the evidence shows the attempts; committed, then refused
            _audit_limited(conn, now, result.sender_address.email, result.fingerprint, reached)
    if reached is not None:
        raise SignoffLimited(reached)
    return request, True


def _insert(
    conn: Connection, values: dict[str, Any], people: tuple[str, ...], settings: SignoffSettings, now: datetime
) -> dict[str, Any]:
    approval_id = signoff_store.insert_request(conn, values)
    request = signoff_store.get_request(conn, approval_id)
    for person in people:
        signoff_records.mail_approver(conn, request, person, settings, now)
    return request


def _limit_reached(
    conn: Connection,
    sender_keys: frozenset[str],
    people: tuple[str, ...],
    limits: approvals.RequestLimits,
    now: datetime,
) -> LimitReached | None:
    """The first hourly limit this request would break: the sender's, then each approver's mailbox."""
    since = now - limits.window
    wait = approvals.retry_after(
        signoff_store.request_times(conn, sender_keys, since), limits.per_sender, limits.window, now
    )
    if wait is not None:
        return LimitReached("sender", limits.per_sender, wait)
    for person, times in signoff_store.link_times(conn, people, since).items():
        wait = approvals.retry_after(times, limits.per_approver, limits.window, now)
        if wait is not None:
            return LimitReached("approver", limits.per_approver, wait, person)
    return None


def _audit_limited(conn: Connection, now: datetime, sender: str, fingerprint: str, reached: LimitReached) -> None:
    details = {"sender": sender, "limit": reached.limit, "allowed": reached.allowed, "retry_after": reached.retry_after}
    if reached.approver:
        details["approver"] = reached.approver
    store.record_audit(conn, at=now, kind="approval.limited", actor=sender, details=details, fingerprint=fingerprint)
