"""What HR sign-off writes besides the decision: a new request's row with its context snapshot, the mails it
queues, and its audit events.

Split from signoff.py (open, decide, remind, expire) and signoff_requests.py (making a request).
Must not import Flask.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from .. import approvals, mail_content, signoff_store, store
from ..approvals import Timing
from ..model import ApprovalStatus, OutgoingMessage
from .checking import CheckRequest, CheckResult

if TYPE_CHECKING:
    from .signoff_settings import SignoffSettings


def request_values(
    check_request: CheckRequest,
    result: CheckResult,
    justification: str,
    attestation: bool,
    people: tuple[str, ...],
    sender_keys: frozenset[str],
    timing: Timing,
    now: datetime,
) -> dict[str, Any]:
    """The row of a new request: the message, who is asked, until when, and what HR is asked about."""
    message = check_request.message
    return {
        "sender_key": result.sender_address.key,
        "sender_email": result.sender_address.email,
        "sender_keys": sorted(sender_keys),
        "fingerprint": result.fingerprint,
        "status": ApprovalStatus.PENDING.value,
        "recipients": [{"email": r.address.email, "field": r.field.value} for r in message.recipients]
        + [{"email": r.value, "field": r.field.value} for r in _unread(message)],
        "subject": message.subject,
        "body": message.body,
        "attachments": [{"name": a.name, "size": a.size, "sha256": a.sha256} for a in message.attachments],
        "justification": justification,
        "attestation": attestation,
        "created_at": now,
        "expires_at": approvals.expires_at(now, timing),
        "locale": check_request.locale,
        "approvers": list(people),
        "context": context(message, result),
    }


def context(message: OutgoingMessage, result: CheckResult) -> dict[str, Any]:
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
    recipients += [{"email": r.value, "field": r.field.value, "client": None, "unread": True} for r in _unread(message)]
    findings = [
        {"code": f.code, "verdict": f.verdict.value, "recipients": list(f.recipients), "params": dict(f.params)}
        for f in result.decision.findings
    ]
    phase = result.decision.phase.value
    return {"phase": phase, "departure": departure, "recipients": recipients, "findings": findings}


def _unread(message: OutgoingMessage) -> tuple:
    """The recipients the check did not read as addresses: HR is asked about them by the value the sender gave."""
    return (*message.unreadable, *message.unchecked)


def mail_approver(
    conn: Connection, request: dict[str, Any], person: str, settings: SignoffSettings, now: datetime
) -> None:
    """Queue the mail with one new link to one approver."""
    link_id = signoff_store.insert_link(conn, request["id"], person, now)
    content = mail_content.hr_request(request, settings.link(request["id"], link_id), settings.hr_locale)
    enqueue(conn, "approval.request", request, [person], content, now)


def mail_sender(conn: Connection, request: dict[str, Any], now: datetime) -> None:
    """Queue the mail that tells the sender what became of their request."""
    valid_until = request["expires_at"] if request["status"] == ApprovalStatus.APPROVED.value else None
    content = mail_content.outcome(request, request["locale"], valid_until=valid_until)
    enqueue(conn, f"approval.{request['status']}", request, [request["sender_email"]], content, now)


def enqueue(conn, kind: str, request: dict, to: list[str], content: mail_content.MailText, now: datetime) -> None:
    values = {"created_at": now, "next_attempt_at": now, "kind": kind, "approval_id": request["id"]}
    values |= {"recipients": to, "subject": content.subject, "text_body": content.text, "html_body": content.html}
    signoff_store.enqueue_mail(conn, values)


def audit(conn: Connection, now: datetime, kind: str, actor: str, request: dict[str, Any], **details: Any) -> None:
    """One audit event about a request: the sender, the fingerprint and the request id ride along."""
    store.record_audit(
        conn,
        at=now,
        kind=kind,
        actor=actor,
        details={"sender": request["sender_email"], **details},
        fingerprint=request["fingerprint"],
        approval_id=request["id"],
    )
