"""HR sign-off use cases: request, open a link, decide, and the timed work (reminders, expiry).

Every mail is queued in the same transaction as the change that causes it and
delivered later by services.mailing, so a mail server outage never loses or
breaks a request. Every step is an audit event.

Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from .. import approvals, links, mail_content, signoff_store, store
from ..approvals import Refusal, Timing
from ..model import ApprovalStatus
from . import signoff_records
from .checking import CheckMode, CheckRequest, SettingsCache, check_message


@dataclass(frozen=True, slots=True)
class SignoffSettings:
    """What the workflow needs from configuration."""

    secret: str
    base_url: str  # where links point, without a trailing slash
    approvers: tuple[str, ...] = ()
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    hr_locale: str = "en"
    timing: Timing = field(default_factory=Timing)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignoffSettings:
        """From app.config (keys without the LEAVERGUARD_ prefix)."""
        timing = Timing(
            expiry=timedelta(hours=config["APPROVAL_EXPIRY_HOURS"]),
            reminder=timedelta(hours=config["APPROVAL_REMINDER_HOURS"]),
        )
        return cls(
            secret=config["SECRET_KEY"],
            base_url=config["BASE_URL"].rstrip("/"),
            approvers=tuple(config["HR_APPROVERS"]),
            routes=config["APPROVER_ROUTES"],
            hr_locale=config["HR_LOCALE"],
            timing=timing,
        )

    def link(self, approval_id: int, link_id: int) -> str:
        return f"{self.base_url}/approvals/{links.sign(self.secret, approval_id, link_id)}"


class SignoffRefused(Exception):
    """The message cannot be put to HR; `refusal` is the reason (an API error code)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.value)
        self.refusal = refusal


class NotAnApprover(Exception):
    """The signed-in person is not one of the approvers the request went to."""


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

    Raises SignoffRefused when the message needs no sign-off, is blocked
    outright, or nobody is configured to approve it.
    """
    preview = replace(check_request, mode=CheckMode.PREVIEW)  # the request itself is not a send
    result = check_message(engine, preview, now=now, settings_cache=settings_cache)
    if result.fingerprint is None:
        raise SignoffRefused(Refusal.NOT_NEEDED)
    sender_key = result.sender_address.key  # the departure's primary key: the same whatever alias the token showed
    with engine.begin() as conn:
        existing = signoff_store.live_request(conn, sender_key, result.fingerprint, now)
        if existing is not None:
            return existing, False
        refusal = approvals.refusal(result.decision)
        if refusal is not None:
            raise SignoffRefused(refusal)
        people = approvals.approvers_for(
            {m.account_name for m in result.clients.values()}, settings.approvers, settings.routes
        )
        if not people:
            raise SignoffRefused(Refusal.NO_APPROVERS)
        values = signoff_records.request_values(
            check_request, result, justification, attestation, people, settings.timing, now
        )
        approval_id = signoff_store.insert_request(conn, values)
        request = signoff_store.get_request(conn, approval_id)
        for person in people:
            signoff_records.mail_approver(conn, request, person, settings, now)
        _audit(conn, now, "approval.requested", result.sender_address.email, request, approvers=list(people))
    return request, True


def sender_request(engine: Engine, approval_id: int, sender_key: str) -> dict[str, Any] | None:
    """A request, only if `sender_key` made it (others get None, as if it did not exist)."""
    with engine.connect() as conn:
        request = signoff_store.get_request(conn, approval_id)
    return request if request and request["sender_key"] == sender_key else None


def open_link(engine: Engine, token: str, *, user: str, settings: SignoffSettings, now: datetime) -> OpenedLink:
    """The request behind a link token, for one of its approvers; records the first opening.

    Raises LinkError when the token is forged, garbled or too old, and
    NotAnApprover when `user` was not asked (they see nothing of the message).
    """
    with engine.begin() as conn:
        request, link = _resolve(conn, token, settings)
        if not may_decide(request, user):
            raise NotAnApprover(user)
        if signoff_store.mark_link(conn, link["id"], "opened_at", now):
            _audit(conn, now, "approval.link_opened", link["approver_email"], request, link_id=link["id"])
        history = [r for r in signoff_store.requests_of(conn, request["sender_key"]) if r["id"] != request["id"]]
    return OpenedLink(request, _status(request, now), history, link["id"])


def open_request(engine: Engine, approval_id: int, now: datetime) -> OpenedLink:
    """A request by id with the sender's other requests, for the admin console (opens no link).

    Raises RequestNotFound.
    """
    with engine.connect() as conn:
        request = signoff_store.get_request(conn, approval_id)
        if request is None:
            raise RequestNotFound(approval_id)
        history = [r for r in signoff_store.requests_of(conn, request["sender_key"]) if r["id"] != approval_id]
    return OpenedLink(request, _status(request, now), history, None)


def may_decide(request: dict[str, Any], user: str) -> bool:
    """The one rule of who decides, by link or on the console: the approvers the request went to."""
    return user in request["approvers"]


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
    the other is shown who decided and when.
    """
    if not may_decide(request, user):
        raise NotAnApprover(user)
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
        _audit(conn, now, "approval.decided", user, request, decision=status.value, **via)
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
                _audit(conn, now, "approval.expired", "leaverguard", request)
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
    _audit(conn, now, "approval.reminded", "leaverguard", request)


def _audit(conn: Connection, now: datetime, kind: str, actor: str, request: dict[str, Any], **details: Any) -> None:
    store.record_audit(
        conn,
        at=now,
        kind=kind,
        actor=actor,
        details={"sender": request["sender_email"], **details},
        fingerprint=request["fingerprint"],
        approval_id=request["id"],
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
