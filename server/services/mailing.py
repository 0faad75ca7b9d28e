"""The outbound mail queue: deliver what is due through a transport, retry failures with backoff.

Mails are rows in `outbound_mail` (queued by the use case that caused them).
A worker claims due rows with a conditional UPDATE, so several processes may
run this at once without sending a mail twice; a worker that dies mid-send
leaves a claim that goes stale and is picked up again. Every delivery and
every failure is an audit event; the reason of a failure is kept on the row.

Must not import Flask.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from .. import signoff_store, store
from ..adapters.mail import Mail, MailError, Transport

log = logging.getLogger(__name__)

#: Wait before each retry; after the last one the mail is marked failed for good.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
#: A claim older than this belongs to a worker that vanished.
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(engine: Engine, transport: Transport, *, sender: str, now: datetime) -> Delivery:
    """Send every due mail once; returns how many were sent, will be retried, or failed for good."""
    with engine.begin() as conn:
        claimed = signoff_store.claim_due_mail(conn, now, now - STALE_CLAIM)
    sent = retrying = failed = 0
    for mail in claimed:
        message = Mail(sender, tuple(mail["recipients"]), mail["subject"], mail["text_body"], mail["html_body"])
        try:
            transport.send(message)
        except Exception as exc:  # a transport bug must not stop the queue; MailError is the expected kind
            if not isinstance(exc, MailError):
                log.exception("mail transport %s raised unexpectedly", transport.name)
            reason = exc.reason if isinstance(exc, MailError) else f"unexpected {type(exc).__name__} in the transport"
            final = (isinstance(exc, MailError) and not exc.retryable) or mail["attempts"] > len(BACKOFF)
            _finish(engine, mail, now, transport.name, error=reason, final=final)
            failed, retrying = failed + final, retrying + (not final)
        else:
            _finish(engine, mail, now, transport.name)
            sent += 1
    return Delivery(sent, retrying, failed)


def _finish(engine: Engine, mail: dict, now: datetime, transport: str, *, error: str = "", final: bool = False) -> None:
    """Record the attempt on the row and in the audit log."""
    if not error:
        values, kind = {"status": "sent", "sent_at": now, "last_error": None}, "mail.sent"
    elif final:
        values, kind = {"status": "failed", "last_error": error}, "mail.failed"
    else:
        retry_at = now + BACKOFF[mail["attempts"] - 1]
        values, kind = {"status": "retry", "next_attempt_at": retry_at, "last_error": error}, "mail.retrying"
    values |= {"transport": transport, "claimed_at": None}
    details = {"mail_id": mail["id"], "mail_kind": mail["kind"], "to": mail["recipients"], "attempt": mail["attempts"]}
    if error:
        details["error"] = error
    with engine.begin() as conn:
        signoff_store.finish_mail(conn, mail["id"], values)
        approval_id = mail["approval_id"]
        store.record_audit(conn, at=now, kind=kind, actor="leaverguard", details=details, approval_id=approval_id)
