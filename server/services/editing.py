"""What the admin console's edits share: versions, the outcomes a form can have, and who owns a record.

A record's version is its `updated_at`. A form carries the version it was
opened with; a change applies only while the stored version is still that one
(console's `claim_version`), and moves it on to `next_version`. Outcomes
other than success are exceptions the views turn into pages: InvalidForm (400,
messages by field, nothing written), StaleVersion (409, with the current
record), NoSuchRecord (404).

Must not import Flask.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from .. import store
from ..config import SYNC_CONNECTORS

#: Sources whose records were entered by people: a sync never touches them (server/sync/merge.py).
MANUAL = "manual"


class InvalidForm(Exception):
    """The form has problems: a message for each field that is wrong. Nothing was written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


class StaleVersion(Exception):
    """The record changed since the form was opened; `current` is what is stored now. Nothing was written."""

    def __init__(self, current: Any):
        super().__init__("changed by someone else since you opened it")
        self.current = current


class NoSuchRecord(Exception):
    """The record does not exist (any more)."""


def parse_version(text: str | None) -> datetime | None:
    """The version a form carried back (an ISO-8601 timestamp), or None when it is missing or garbled."""
    try:
        version = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return version if version.tzinfo else version.replace(tzinfo=UTC)


def next_version(version: datetime | None, now: datetime) -> datetime:
    """The version a change moves a record to: now, but always later than the version it replaces."""
    if version is not None and now <= version:
        return version + timedelta(microseconds=1)
    return now


def is_synced(source: str) -> bool:
    """True for a record a sync owns (its next run may overwrite a manual change)."""
    return source in SYNC_CONNECTORS


def policy_today(conn: Connection, now: datetime) -> date:
    """Today in the policy's time zone (phases change at midnight there, as the send-time check sees them)."""
    try:
        zone = ZoneInfo(store.load_settings(conn).timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return now.astimezone(zone).date()
