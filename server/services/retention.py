"""Retention use cases: purge what has been kept long enough (housekeeping), and erase a departure (an admin command).

`purge()` is one bounded round, run by every housekeeping tick: at most `batches` batches of
BATCH rows of each kind, each batch its own short transaction, so a large backlog (the first
run on a database that never purged) drains over several ticks without long locks;
`purge_all()` repeats rounds until nothing is left (`flask retention purge`). What is purged
when is server/retention.py's; the SQL is retention_store's.

Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import Connection, Engine

from .. import retention_store, store
from ..console import uploads_store as pending_uploads
from ..model import normalise_address
from ..retention import RetentionSettings, without_content, without_personal_addresses
from . import uploads
from .editing import policy_today

#: Rows per statement, and batches of each kind per housekeeping round.
BATCH = 500
BATCHES = 4


@dataclass(frozen=True, slots=True)
class Purged:
    """What one purge removed: request contents, mails, ended requests, audit events."""

    contents: int = 0
    mails: int = 0
    requests: int = 0
    audit_events: int = 0
    uploads: int = 0  # CSV uploads never confirmed nor cancelled (they hold the whole file)

    def __add__(self, other: Purged) -> Purged:
        return Purged(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def summary(self) -> str:
        return (
            f"content removed from {self.contents} sign-off requests; deleted {self.mails} sent mails, "
            f"{self.requests} ended requests, {self.audit_events} audit events, {self.uploads} abandoned uploads"
        )


def purge(
    engine: Engine, settings: RetentionSettings, now: datetime, *, batches: int = BATCHES, batch: int = BATCH
) -> Purged:
    """One bounded round: content, then mails, then requests and audit events past their periods."""
    message_cutoff, audit_cutoff = settings.message_cutoff(now), settings.audit_cutoff(now)
    return Purged(
        contents=_batches(engine, lambda conn: _remove_contents(conn, message_cutoff, batch, now), batch, batches),
        mails=_batches(
            engine, lambda conn: retention_store.delete_finished_mail(conn, message_cutoff, batch), batch, batches
        ),
        requests=_batches(
            engine, lambda conn: retention_store.delete_ended_requests(conn, audit_cutoff, batch), batch, batches
        ),
        audit_events=_batches(
            engine, lambda conn: retention_store.delete_audit_events(conn, audit_cutoff, batch), batch, batches
        ),
        uploads=_batches(engine, lambda conn: pending_uploads.delete_older(conn, now - uploads.KEPT_FOR), batch, 1),
    )


def purge_all(engine: Engine, settings: RetentionSettings, now: datetime, *, batch: int = BATCH) -> Purged:
    """Rounds until one removes nothing: everything past its period is gone."""
    total = Purged()
    while done := purge(engine, settings, now, batch=batch):
        total += done
    return total


def _batches(engine: Engine, step: Callable[[Connection], int], batch: int, batches: int) -> int:
    """Run `step` (one batch, its own transaction) until a batch is not full or `batches` ran; rows it removed."""
    removed = 0
    for _ in range(batches):
        with engine.begin() as conn:
            count = step(conn)
        removed += count
        if count < batch:
            break
    return removed


def _remove_contents(conn: Connection, cutoff: datetime, limit: int, now: datetime) -> int:
    due = retention_store.requests_with_content(conn, cutoff, limit)
    replacements = {request["id"]: without_content(request["attachments"], request["context"]) for request in due}
    return retention_store.remove_content(conn, replacements, now)


# --- erasing a departure ----------------------------------------------------------


class NoSuchDeparture(Exception):
    """Nobody in the register sends as this address."""


class NotYetErasable(Exception):
    """The departure's retention has not passed; `erasable_from` is the first day it may be erased."""

    def __init__(self, email: str, last_working_date: date, erasable_from: date):
        super().__init__(email)
        self.email, self.last_working_date, self.erasable_from = email, last_working_date, erasable_from


@dataclass(frozen=True, slots=True)
class Erasure:
    """A departure erased (or that would be, on a dry run): whose, and how much went."""

    email: str
    last_working_date: date
    aliases: int
    personal_addresses: int
    events_scrubbed: int
    dry_run: bool


def erase_departure(
    engine: Engine, address: str, *, settings: RetentionSettings, actor: str, now: datetime, dry_run: bool = False
) -> Erasure:
    """Erase the departure of whoever sends as `address`, once its retention has passed; audited.

    Raises InvalidAddress, NoSuchDeparture, or NotYetErasable with the first day it may be.
    """
    key = normalise_address(address).key
    with engine.begin() as conn:
        departure = store.find_departure(conn, key)
        if departure is None or departure.id is None:
            raise NoSuchDeparture(address)
        erasable_from = settings.erasable_from(departure.last_working_date)
        if policy_today(conn, now) < erasable_from:
            raise NotYetErasable(departure.email, departure.last_working_date, erasable_from)
        events = retention_store.departure_events(conn, departure.id)
        erasure = Erasure(
            departure.email,
            departure.last_working_date,
            len(departure.aliases),
            len(departure.personal_addresses),
            len(events),
            dry_run,
        )
        if dry_run:
            return erasure
        if not retention_store.delete_departure(conn, departure.id):
            raise NoSuchDeparture(address)  # erased by someone else a moment ago
        work = [normalise_address(a).key for a in (departure.email, *departure.aliases)]
        retention_store.drop_sender_keys(conn, work, {normalise_address(a).key for a in departure.personal_addresses})
        note = f"removed when the record was erased on {now.date().isoformat()}"
        for event_id, details in events:
            retention_store.rewrite_details(conn, event_id, without_personal_addresses(details, note))
        details = {
            "id": departure.id,
            "email": departure.email,
            "last_working_date": departure.last_working_date.isoformat(),
            "retained_days": settings.departure_days,
            "aliases_erased": erasure.aliases,
            "personal_addresses_erased": erasure.personal_addresses,
            "events_scrubbed": erasure.events_scrubbed,
        }
        store.record_audit(conn, at=now, kind="departure.erased", actor=actor, details=details)
    return erasure
