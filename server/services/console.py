"""Read-only use cases of the admin console: the dashboard, the sign-off queue and the sync status.

Each takes an Engine and the clock's `now` and returns plain values for a template.
Must not import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from .. import store
from ..approvals import effective_status
from ..config import SYNC_CONNECTORS
from ..console import dashboard_store, queue_store
from ..directory import phase_of
from ..model import ApprovalStatus, Departure, Phase, Verdict
from ..sync import store as sync_store
from ..sync.records import Run

CHART_DAYS = 30
UPCOMING_DAYS = 30
PENDING_SHOWN = 10
DECISIONS_SHOWN = 10
QUEUE_PAGE = 25
RUNS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    held: int  # require_approval and block
    warned: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    today: date
    leaving: list[dict[str, Any]]  # on notice or garden leave today, each with its `phase`
    upcoming: list[dict[str, Any]]  # notice starting within UPCOMING_DAYS
    pending_count: int
    pending: list[dict[str, Any]]
    days: list[DayCount]  # oldest first, CHART_DAYS of them, today last
    decisions: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a keyset-paginated list; `next_before` continues it (None on the last page)."""

    items: list[dict[str, Any]]
    next_before: int | None = None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    source: str
    enabled: bool
    last_run: Run | None = None
    last_success_at: datetime | None = None
    conflicts: list[dict[str, str]] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)


def dashboard(engine: Engine, now: datetime) -> Dashboard:
    """Who is leaving, what waits for HR, and how many sends were held or warned a day."""
    with engine.connect() as conn:
        today = now.astimezone(ZoneInfo(store.load_settings(conn).timezone)).date()
        people = dashboard_store.leavers_between(conn, today, today + timedelta(days=UPCOMING_DAYS))
        pending_count, pending = dashboard_store.pending_signoffs(conn, now, PENDING_SHOWN)
        counts = dashboard_store.held_and_warned_by_day(conn, _chart_start(now))
        decisions = dashboard_store.recent_decisions(conn, DECISIONS_SHOWN)
    for person in people:
        person["phase"] = _phase(person, today)
    leaving = [p for p in people if p["phase"] in (Phase.NOTICE, Phase.GARDEN_LEAVE)]
    upcoming = [p for p in people if p["phase"] == Phase.NONE]
    days = _days(counts, now.astimezone(UTC).date())
    return Dashboard(today, leaving, upcoming, pending_count, pending, days, decisions)


def _phase(person: dict[str, Any], today: date) -> Phase:
    departure = Departure(
        email=person["email"],
        notice_date=person["notice_date"],
        last_working_date=person["last_working_date"],
        garden_leave_date=person["garden_leave_date"],
    )
    return phase_of(departure, today)


def _chart_start(now: datetime) -> datetime:
    """Midnight UTC of the chart's first day (the chart ends today, UTC)."""
    first = now.astimezone(UTC).date() - timedelta(days=CHART_DAYS - 1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def _days(counts: dict[tuple[date, str], int], today: date) -> list[DayCount]:
    held = (Verdict.REQUIRE_APPROVAL.value, Verdict.BLOCK.value)
    result = []
    for offset in range(CHART_DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        blocked = sum(counts.get((day, verdict), 0) for verdict in held)
        result.append(DayCount(day, blocked, counts.get((day, Verdict.WARN.value), 0)))
    return result


def signoff_queue(engine: Engine, view: str, before: int | None, now: datetime) -> Page:
    """A page of sign-off requests of one of queue_store.QUEUE_VIEWS, newest first."""
    with engine.connect() as conn:
        rows = queue_store.queue_page(conn, view, now, before, QUEUE_PAGE)
    items = rows[:QUEUE_PAGE]
    for item in items:
        item["shown_status"] = effective_status(ApprovalStatus(item["status"]), item["expires_at"], now).value
    return Page(items, items[-1]["id"] if len(rows) > QUEUE_PAGE else None)


def sync_overview(engine: Engine, enabled: tuple[str, ...]) -> list[SourceStatus]:
    """Every enabled connector and every source that ever ran: last run, last success, conflicts, recent runs."""
    with engine.connect() as conn:
        status = sync_store.sync_status(conn)
        names = [n for n in SYNC_CONNECTORS if n in enabled or n in status]
        names += sorted(set(status) - set(names))
        runs = {name: sync_store.recent_runs(conn, name, RUNS_SHOWN) for name in status}
    return [_source_status(name, name in enabled, status.get(name), runs.get(name, [])) for name in names]


def _source_status(name: str, enabled: bool, entry: dict[str, Any] | None, runs: list[Run]) -> SourceStatus:
    if entry is None:
        return SourceStatus(name, enabled)
    return SourceStatus(name, enabled, entry["last_run"], entry["last_success_at"], entry["conflicts"], runs)
