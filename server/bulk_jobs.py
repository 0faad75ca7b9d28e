"""SQL of import jobs: the `import_jobs` rows (one import of a kind at a time, progress, heartbeat, outcome).

Every function takes a Connection (the caller owns the transaction) and returns plain values or an
ImportJob. Must not import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import tables as t

_J = t.import_jobs
RUNNING, UNDOING, DONE, FAILED = "running", "undoing", "done", "failed"


@dataclass(frozen=True, slots=True)
class ImportJob:
    id: int
    kind: str
    actor: str
    filename: str
    status: str
    phase: str
    rows_total: int
    rows_written: int
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    report: dict[str, Any] | None
    error: str | None


class SlotTaken(Exception):
    """Another import of this kind is running."""


def create(conn: Connection, *, kind: str, actor: str, filename: str, now: datetime) -> int:
    """A running job of `kind` holding its slot; SlotTaken while another one holds it (the unique index decides).

    Run it in a transaction of its own: after SlotTaken, PostgreSQL has aborted the transaction it was in.
    """
    values = {"kind": kind, "actor": actor, "filename": filename, "status": RUNNING, "slot": kind, "phase": "reading"}
    values |= {"started_at": now, "heartbeat_at": now, "rows_total": 0, "rows_written": 0}
    statement = insert(_J).values(values)
    try:
        return conn.execute(statement).inserted_primary_key[0]
    except IntegrityError:
        raise SlotTaken(kind) from None


def find(conn: Connection, job_id: int) -> ImportJob | None:
    row = conn.execute(select(_J).where(_J.c.id == job_id)).mappings().first()
    if row is None:
        return None
    values = {name: row[name] for name in ImportJob.__slots__}
    for name in ("started_at", "heartbeat_at", "finished_at"):
        values[name] = _aware(values[name])
    return ImportJob(**values)


def holder(conn: Connection, kind: str) -> ImportJob | None:
    """The job holding `kind`'s slot, if any."""
    job_id = conn.scalar(select(_J.c.id).where(_J.c.slot == kind))
    return None if job_id is None else find(conn, job_id)


def beat(conn: Connection, job_id: int, now: datetime, **progress: Any) -> bool:
    """Move the heartbeat (and `phase`, `rows_total`, `rows_written` if given); False once the job is not running."""
    changed = conn.execute(
        update(_J).where(_J.c.id == job_id, _J.c.status == RUNNING).values(heartbeat_at=now, **progress)
    )
    return changed.rowcount == 1


def finish(
    conn: Connection, job_id: int, now: datetime, *, status: str, report: dict | None, error: str | None
) -> bool:
    """End a running (or undoing) job and free its slot; False if it had ended already (someone else ended it).

    A job done has written all its rows; a failed one, none (what it wrote was undone).
    """
    written = _J.c.rows_total if status == DONE else 0
    ended = conn.execute(
        update(_J)
        .where(_J.c.id == job_id, _J.c.status.in_((RUNNING, UNDOING)))
        .values(status=status, slot=None, finished_at=now, heartbeat_at=now, phase=status, report=report, error=error)
        .values(rows_written=written)
    )
    return ended.rowcount == 1


def stale(conn: Connection, before: datetime) -> list[int]:
    """Jobs still running or undoing whose heartbeat stopped before `before`: their process died."""
    query = select(_J.c.id).where(_J.c.status.in_((RUNNING, UNDOING)), _J.c.heartbeat_at < before)
    return list(conn.scalars(query.order_by(_J.c.id)))


def claim_stale(conn: Connection, job_id: int, before: datetime, now: datetime) -> bool:
    """Take over a stale job to undo it; True for the one process that did."""
    claimed = conn.execute(
        update(_J)
        .where(_J.c.id == job_id, _J.c.status.in_((RUNNING, UNDOING)), _J.c.heartbeat_at < before)
        .values(status=UNDOING, phase=UNDOING, heartbeat_at=now)
    )
    return claimed.rowcount == 1


def undo_beat(conn: Connection, job_id: int, now: datetime) -> None:
    conn.execute(update(_J).where(_J.c.id == job_id, _J.c.status == UNDOING).values(heartbeat_at=now))


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
