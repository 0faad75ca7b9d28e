"""HR sign-off use cases: open a link, decide, and the timed work (reminders, expiry); making a request is
signoff_requests.py's (re-exported here, with the settings, for the views).

Every mail is queued in the same transaction as the change that causes it and
delivered later by services.mailing, so a mail server outage never loses or
breaks a request. Every step is an audit event. Nobody decides their own request:
the one decide function behind the link and the console refuses it.

Must not import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from .. import approvals, links, mail_content, signoff_store, store
from ..model import ApprovalStatus
from . import signoff_records
from .signoff_records import audit
from .signoff_requests import LimitReached, SignoffLimited, SignoffRefused, request_signoff
from .signoff_settings import SignoffSettings

__all__ = ["LimitReached", "SignoffLimited", "SignoffRefused", "SignoffSettings", "request_signoff"]


class NotAnApprover(Exception):
    """The signed-in person is not one of the approvers the request went to."""


class OwnRequest(NotAnApprover):
    """The signed-in person is the request's sender, under one of their addresses: nobody decides their own."""


class LeavingApprover(NotAnApprover):
    """The signed-in approver is on the departures register: a leaver decides nobody's sign-off request."""


class RequestNotFound(Exception):
    """No sign-off request has this id."""


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """What the approval page shows: the request, its effective status, and the sender's history.

    `link_id` is the mailed link it was opened through; None on the admin console.
    """

    request: dict[str, Any]
    status: ApprovalStatus
    history: list[dict[str, Any]]
    link_id: int | None
    sender_keys: frozenset[str] = frozenset()  # every address the sender is known by (check_decider)


def sender_request(engine: Engine, approval_id: int, sender_key: str) -> dict[str, Any] | None:
    """A request, only if `sender_key` made it (others get None, as if it did not exist)."""
    with engine.connect() as conn:
        request = signoff_store.get_request(conn, approval_id)
    return request if request and request["sender_key"] == sender_key else None


def open_link(engine: Engine, token: str, *, user: str, settings: SignoffSettings, now: datetime) -> OpenedLink:
    """The request behind a link token, for one of its approvers; records the first opening.

    Raises LinkError when the token is forged, garbled or too old, NotAnApprover when `user` was
    not asked, and OwnRequest when `user` is the sender (they see nothing of the message).
    """
    with engine.begin() as conn:
        request, link = _resolve(conn, token, settings)
        sender_keys = _sender_keys(conn, request)
        check_decider(request, sender_keys, user)
        _refuse_leaving(conn, user)
        if signoff_store.mark_link(conn, link["id"], "opened_at", now):
            audit(conn, now, "approval.link_opened", link["approver_email"], request, link_id=link["id"])
        history = [r for r in signoff_store.requests_of(conn, request["sender_key"]) if r["id"] != request["id"]]
    return OpenedLink(request, _status(request, now), history, link["id"], sender_keys)


def open_request(engine: Engine, approval_id: int, now: datetime) -> OpenedLink:
    """A request by id with the sender's other requests, for the admin console (opens no link).

    Raises RequestNotFound.
    """
    with engine.connect() as conn:
        request = signoff_store.get_request(conn, approval_id)
        if request is None:
            raise RequestNotFound(approval_id)
        history = [r for r in signoff_store.requests_of(conn, request["sender_key"]) if r["id"] != approval_id]
        sender_keys = _sender_keys(conn, request)
    return OpenedLink(request, _status(request, now), history, None, sender_keys)


def check_decider(request: dict[str, Any], sender_keys: frozenset[str], user: str | None) -> None:
    """The one rule of who decides, by link or on the console: an approver the request went to, never its sender.

    Raises OwnRequest when `user` is the sender under any address they are known by (whatever their
    role: an HR approver, a route approver or an admin who is leaving), NotAnApprover when they were
    not asked. The sender is never asked (approvals.approvers_for), but an alias recorded after the
    request, or a request made before that rule, could still name them.
    """
    if user is not None and approvals.is_own_request(user, sender_keys):
        raise OwnRequest(user)
    if user is None or user not in request["approvers"]:
        raise NotAnApprover(user)


def _refuse_leaving(conn: Connection, user: str) -> None:
    """LeavingApprover when `user` is on the departures register (asked before they gave notice, say)."""
    if store.on_register(conn, [user]):
        raise LeavingApprover(user)


def may_decide(opened: OpenedLink, user: str | None) -> bool:
    """Whether `user` may decide the opened request (check_decider without the exception)."""
    try:
        check_decider(opened.request, opened.sender_keys, user)
    except NotAnApprover:
        return False
    return True


def decide(
    engine: Engine,
    token: str,
    *,
    approve: bool,
    comment: str,
    user: str,
    settings: SignoffSettings,
    now: datetime,
) -> tuple[bool, dict[str, Any]]:
    """Approve or reject through a link: (True, request) for the first decision, (False, request) after one."""
    with engine.begin() as conn:
        request, link = _resolve(conn, token, settings)
        return _decide(conn, request, approve, comment, user, settings, now, link_id=link["id"])


def decide_request(
    engine: Engine,
    approval_id: int,
    *,
    approve: bool,
    comment: str,
    user: str,
    settings: SignoffSettings,
    now: datetime,
) -> tuple[bool, dict[str, Any]]:
    """Approve or reject on the admin console, as one of the request's approvers: as `decide`, by request id.

    Raises RequestNotFound and NotAnApprover.
    """
    with engine.begin() as conn:
        request = signoff_store.get_request(conn, approval_id)
        if request is None:
            raise RequestNotFound(approval_id)
        return _decide(conn, request, approve, comment, user, settings, now, link_id=None)


def _decide(
    conn: Connection,
    request: dict[str, Any],
    approve: bool,
    comment: str,
    user: str,
    settings: SignoffSettings,
    now: datetime,
    *,
    link_id: int | None,
) -> tuple[bool, dict[str, Any]]:
    """The decision itself, shared by links and the console; final, and the first one wins.

    The conditional UPDATE lets exactly one of two simultaneous decisions win;
    the other is shown who decided and when. Every approver asked speaks for every
    account the message touches (approvals.approvers_for), so whichever decision
    wins covers them all. Raises OwnRequest and NotAnApprover (check_decider), and LeavingApprover.
    """
    check_decider(request, _sender_keys(conn, request), user)
    _refuse_leaving(conn, user)
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    values = {"status": status.value, "decided_at": now, "decided_by": user, "comment": comment or None}
    if approve:
        values["expires_at"] = approvals.approval_valid_until(now, settings.timing)
    won = signoff_store.decide(conn, request["id"], values, now)
    request = signoff_store.get_request(conn, request["id"])
    if won:
        if link_id is not None:
            signoff_store.mark_link(conn, link_id, "used_at", now)
        signoff_records.mail_sender(conn, request, now)
        via = {"link_id": link_id} if link_id is not None else {"via": "console"}
        audit(conn, now, "approval.decided", user, request, decision=status.value, **via)
    return won, request


def remind_and_expire(engine: Engine, *, settings: SignoffSettings, now: datetime) -> tuple[int, int]:
    """One reminder to the approvers of each request undecided for too long; expire those past expiry.

    Returns (reminded, expired). Safe to run in several processes at once.
    """
    reminded = expired = 0
    with engine.connect() as conn:
        due = signoff_store.due_for_reminder(conn, now - settings.timing.reminder, now)
    for approval_id in due:
        with engine.begin() as conn:
            if signoff_store.mark_reminded(conn, approval_id, now):
                _remind(conn, approval_id, settings, now)
                reminded += 1
    with engine.connect() as conn:
        due = signoff_store.due_for_expiry(conn, now)
    for approval_id in due:
        with engine.begin() as conn:
            if signoff_store.expire(conn, approval_id):
                request = signoff_store.get_request(conn, approval_id)
                signoff_records.mail_sender(conn, request, now)
                audit(conn, now, "approval.expired", "leaverguard", request)
                expired += 1
    return reminded, expired


def view(request: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The API's picture of a request."""
    return {
        "id": request["id"],
        "status": _status(request, now).value,
        "fingerprint": request["fingerprint"],
        "created_at": _iso(request["created_at"]),
        "expires_at": _iso(request["expires_at"]),
        "decided_at": _iso(request["decided_at"]),
        "decided_by": request["decided_by"],
        "comment": request["comment"],
    }


# --- helpers ----------------------------------------------------------------


def _resolve(conn: Connection, token: str, settings: SignoffSettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request and link a token names; LinkError("invalid") when they do not exist or do not belong together."""
    approval_id, link_id = links.read(settings.secret, token, max_age=settings.timing.expiry)
    link = signoff_store.get_link(conn, link_id)
    if link is None or link["approval_id"] != approval_id:
        raise links.LinkError("invalid")
    return signoff_store.get_request(conn, approval_id), link


def _sender_keys(conn: Connection, request: dict[str, Any]) -> frozenset[str]:
    """The sender's addresses: those on the request, and those their departure record holds now."""
    on_request = approvals.identity_keys(request["sender_email"]) | set(request["sender_keys"] or ())
    return (
        on_request
        | {request["sender_key"]}
        | approvals.record_identities(store.find_departure(conn, request["sender_key"]))
    )


def _status(request: dict[str, Any], now: datetime) -> ApprovalStatus:
    return approvals.effective_status(ApprovalStatus(request["status"]), request["expires_at"], now)


def status_of(request: dict[str, Any], now: datetime | None = None) -> str:
    """A stored request's status as shown to people (a lapsed approval reads as expired)."""
    return _status(request, now or datetime.now(UTC)).value


def _remind(conn: Connection, approval_id: int, settings: SignoffSettings, now: datetime) -> None:
    request = signoff_store.get_request(conn, approval_id)
    for link in signoff_store.links_of(conn, approval_id):
        url = settings.link(approval_id, link["id"])
        content = mail_content.hr_request(request, url, settings.hr_locale, reminder=True)
        signoff_records.enqueue(conn, "approval.reminder", request, [link["approver_email"]], content, now)
    audit(conn, now, "approval.reminded", "leaverguard", request)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
