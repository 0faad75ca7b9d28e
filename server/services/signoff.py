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
from ..model import ApprovalStatus, OutgoingMessage
from .checking import CheckMode, CheckRequest, CheckResult, SettingsCache, check_message


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


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """What the approval page shows: the request, its effective status, and the sender's history."""

    request: dict[str, Any]
    status: ApprovalStatus
    history: list[dict[str, Any]]
    link_id: int


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
    sender_key = check_request.sender.key
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
        values = _request_values(check_request, result, justification, attestation, people, settings, now)
        approval_id = signoff_store.insert_request(conn, values)
        request = signoff_store.get_request(conn, approval_id)
        for person in people:
            _mail_approver(conn, request, person, settings, now)
        _audit(conn, now, "approval.requested", check_request.sender.email, request, approvers=list(people))
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
        if user not in request["approvers"]:
            raise NotAnApprover(user)
        if signoff_store.mark_link(conn, link["id"], "opened_at", now):
            _audit(conn, now, "approval.link_opened", link["approver_email"], request, link_id=link["id"])
        history = [r for r in signoff_store.requests_of(conn, request["sender_key"]) if r["id"] != request["id"]]
    return OpenedLink(request, _status(request, now), history, link["id"])


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
    """Approve or reject through a link: (True, request) for the first decision, (False, request) after one.

    A decision is final: the conditional UPDATE lets exactly one of two
    simultaneous clicks win; the other is shown who decided and when.
    """
    with engine.begin() as conn:
        request, link = _resolve(conn, token, settings)
        if user not in request["approvers"]:
            raise NotAnApprover(user)
        status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        values = {"status": status.value, "decided_at": now, "decided_by": user, "comment": comment or None}
        if approve:
            values["expires_at"] = approvals.approval_valid_until(now, settings.timing)
        won = signoff_store.decide(conn, request["id"], values, now)
        request = signoff_store.get_request(conn, request["id"])
        if won:
            signoff_store.mark_link(conn, link["id"], "used_at", now)
            _mail_sender(conn, request, now)
            _audit(conn, now, "approval.decided", user, request, decision=status.value, link_id=link["id"])
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
                _mail_sender(conn, request, now)
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


def _request_values(
    check_request: CheckRequest,
    result: CheckResult,
    justification: str,
    attestation: bool,
    people: tuple[str, ...],
    settings: SignoffSettings,
    now: datetime,
) -> dict[str, Any]:
    message = check_request.message
    return {
        "sender_key": check_request.sender.key,
        "sender_email": check_request.sender.email,
        "fingerprint": result.fingerprint,
        "status": ApprovalStatus.PENDING.value,
        "recipients": [{"email": r.address.email, "field": r.field.value} for r in message.recipients],
        "subject": message.subject,
        "body": message.body,
        "attachments": [{"name": a.name, "size": a.size} for a in message.attachments],
        "justification": justification,
        "attestation": attestation,
        "created_at": now,
        "expires_at": approvals.expires_at(now, settings.timing),
        "locale": check_request.locale,
        "approvers": list(people),
        "context": _context(message, result),
    }


def _context(message: OutgoingMessage, result: CheckResult) -> dict[str, Any]:
    """A snapshot of what HR is asked about: the departure, each recipient's client account, the findings."""
    sender = result.sender
    departure = {
        "notice_date": sender.notice_date.isoformat(),
        "last_working_date": sender.last_working_date.isoformat(),
        "garden_leave_date": sender.garden_leave_date.isoformat() if sender.garden_leave_date else None,
        "successor": sender.successor,
    }
    recipients = []
    for recipient in message.recipients:
        match = result.clients.get(recipient.address.key)
        client = {"account": match.account_name, "owner": match.owner} if match else None
        recipients.append({"email": recipient.address.email, "field": recipient.field.value, "client": client})
    findings = [
        {"code": f.code, "verdict": f.verdict.value, "recipients": list(f.recipients), "params": dict(f.params)}
        for f in result.decision.findings
    ]
    phase = result.decision.phase.value
    return {"phase": phase, "departure": departure, "recipients": recipients, "findings": findings}


def _remind(conn: Connection, approval_id: int, settings: SignoffSettings, now: datetime) -> None:
    request = signoff_store.get_request(conn, approval_id)
    for link in signoff_store.links_of(conn, approval_id):
        url = settings.link(approval_id, link["id"])
        content = mail_content.hr_request(request, url, settings.hr_locale, reminder=True)
        _enqueue(conn, "approval.reminder", request, [link["approver_email"]], content, now)
    _audit(conn, now, "approval.reminded", "leaverguard", request)


def _mail_approver(conn: Connection, request: dict[str, Any], person: str, settings: SignoffSettings, now: datetime):
    link_id = signoff_store.insert_link(conn, request["id"], person, now)
    content = mail_content.hr_request(request, settings.link(request["id"], link_id), settings.hr_locale)
    _enqueue(conn, "approval.request", request, [person], content, now)


def _mail_sender(conn: Connection, request: dict[str, Any], now: datetime) -> None:
    valid_until = request["expires_at"] if request["status"] == ApprovalStatus.APPROVED.value else None
    content = mail_content.outcome(request, request["locale"], valid_until=valid_until)
    _enqueue(conn, f"approval.{request['status']}", request, [request["sender_email"]], content, now)


def _enqueue(conn, kind: str, request: dict, to: list[str], content: mail_content.MailText, now: datetime) -> None:
    values = {"created_at": now, "next_attempt_at": now, "kind": kind, "approval_id": request["id"]}
    values |= {"recipients": to, "subject": content.subject, "text_body": content.text, "html_body": content.html}
    signoff_store.enqueue_mail(conn, values)


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
