"""Builders for test data: short calls that read like the sentence a test states."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

from server.model import (
    Attachment,
    ClientMatch,
    Departure,
    DepartureStatus,
    Field,
    OutgoingMessage,
    PolicySettings,
    Recipient,
    normalise_address,
)

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
COMPANY = "northwind.example"


def make_message(
    to=(), cc=(), bcc=(), subject="Project update", body="Please find the update attached.", attachments=()
) -> OutgoingMessage:
    recipients = [
        Recipient(normalise_address(a), f)
        for f, values in ((Field.TO, to), (Field.CC, cc), (Field.BCC, bcc))
        for a in values
    ]
    return OutgoingMessage(tuple(recipients), subject, body, tuple(Attachment(n, s) for n, s in attachments))


def make_departure(
    email=f"alice@{COMPANY}",
    *,
    phase="notice",
    successor=f"bob@{COMPANY}",
    aliases=(),
    personal=("alice.private@gmail.com",),
    status=DepartureStatus.ACTIVE,
) -> Departure:
    """A departure whose dates put the person in `phase` on TODAY."""
    dates = {
        "before_notice": dict(notice_date=TODAY + 5 * DAY, last_working_date=TODAY + 35 * DAY),
        "notice": dict(notice_date=TODAY - 10 * DAY, last_working_date=TODAY + 20 * DAY),
        "garden_leave": dict(
            notice_date=TODAY - 40 * DAY, garden_leave_date=TODAY - 5 * DAY, last_working_date=TODAY + 25 * DAY
        ),
        "departed": dict(notice_date=TODAY - 60 * DAY, last_working_date=TODAY - DAY),
    }[phase]
    return Departure(
        email=email,
        successor=successor,
        aliases=tuple(aliases),
        personal_addresses=tuple(personal),
        status=status,
        **dates,
    )


def make_settings(**overrides) -> PolicySettings:
    return PolicySettings(internal_domains=frozenset({COMPANY}), **overrides)


def client_contact(account="Contoso Ltd", owner=f"bob@{COMPANY}", account_id=1) -> ClientMatch:
    return ClientMatch(account_id, account, owner, by_contact=True)


def client_domain(domain="contoso.example", account="Contoso Ltd", owner=f"bob@{COMPANY}", account_id=1) -> ClientMatch:
    return ClientMatch(account_id, account, owner, by_contact=False, domain=domain)


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released): a database that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
