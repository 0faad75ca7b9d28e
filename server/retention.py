"""How long LeaverGuard keeps what it stores, and what goes when that time is up.

Three periods (settings, in days):
- message content of a sign-off request, from the moment the request ended (rejected, expired, sent on
  its approval, or its approval lapsed): the subject, the text, the attachment names, the sender's
  justification, and the words a solicitation signal quoted from the text. The decision trail stays:
  who asked, the recipients, the findings (codes and the recipients they name), the fingerprint, the
  attachment sizes, the attestation, who decided, when and with what comment. The queued mails carry
  the whole message, so a sent (or finally failed) mail goes after the same period;
- the audit log: an event older than this is deleted, and so is a sign-off request that ended longer
  ago (its decision trail is an audit record like the events);
- a departure record, from the last working day: only then may an admin erase it with its aliases and
  personal addresses (`flask departures erase`); earlier audit events lose their copies of the
  personal addresses, and the erasure itself is an event that names no personal address.

Pure: stdlib and model only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .model import CONTENT_PARAMS, ApprovalStatus

#: Statuses a request ends in; APPROVED ends when its approval lapses (expires_at).
ENDED = (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED, ApprovalStatus.CONSUMED)


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """The three periods, in days (each at least 1: a legal hold is a larger number, not an "off" switch)."""

    message_days: int = 90
    audit_days: int = 730
    departure_days: int = 365

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionSettings:
        """From app.config (keys without the LEAVERGUARD_ prefix)."""
        return cls(config["RETAIN_MESSAGE_DAYS"], config["RETAIN_AUDIT_DAYS"], config["RETAIN_DEPARTURE_DAYS"])

    def message_cutoff(self, now: datetime) -> datetime:
        """Requests that ended before this lose their content; sent mails queued before it are deleted."""
        return now - timedelta(days=self.message_days)

    def audit_cutoff(self, now: datetime) -> datetime:
        """Audit events before this are deleted, and so are requests that ended before it."""
        return now - timedelta(days=self.audit_days)

    def erasable_from(self, last_working_date: date) -> date:
        """The first day a departure with this last working day may be erased."""
        return last_working_date + timedelta(days=self.departure_days)


def without_content(attachments: list[dict[str, Any]], context: Mapping[str, Any]) -> dict[str, Any]:
    """The values that replace a request's content: empty texts, attachment sizes only, findings unquoted."""
    findings = [
        {**finding, "params": {k: v for k, v in finding.get("params", {}).items() if k not in CONTENT_PARAMS}}
        for finding in context.get("findings", [])
    ]
    return {
        "subject": "",
        "body": "",
        "justification": "",
        "attachments": [{"size": attachment.get("size", 0)} for attachment in attachments],
        "context": {**context, "findings": findings},
    }


def without_personal_addresses(details: Mapping[str, Any], note: str) -> dict[str, Any]:
    """An audit event's details about a departure, its copies of the record's personal addresses replaced by `note`.

    The console's departure events keep the record before and after the change (services/register.py).
    """
    scrubbed = {key: without_personal_addresses(v, note) if isinstance(v, Mapping) else v for key, v in details.items()}
    return scrubbed | ({"personal_addresses": note} if "personal_addresses" in details else {})
