"""Import jobs: each import that writes is a row in `import_jobs` while it runs, wherever it runs.

- One import of a kind at a time, across every process: the job holds its kind's slot (a unique index).
- While the job's process lives, a thread moves its heartbeat every HEARTBEAT seconds. A job still
  running with a heartbeat older than STALE_AFTER died with its process: `recover` (every housekeeping
  round, and before each new import) undoes what it wrote (SQLite's journal, bulk_merge.py; PostgreSQL
  rolled it back already) and marks it failed, so the page shows a clear end and nothing half-written.
- An import fails in its own process the same way: what it wrote is undone before it is marked failed.
- `start_in_background` runs an import on a thread of its own (a console upload too big for one request);
  the job page follows it.

Must not import Flask.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from . import bulk_jobs, bulk_merge
from .bulk_jobs import DONE, FAILED, ImportJob

log = logging.getLogger(__name__)

HEARTBEAT = 2.0  # seconds between heartbeats of a running job
STALE_AFTER = timedelta(seconds=30)  # a running job whose heartbeat is older died with its process
DIED = "The import stopped before it finished (its process ended); nothing of it was kept. Import the file again."


class ImportBusy(Exception):
    """Another import of the same kind is running: `job` says whose, since when."""

    def __init__(self, job: ImportJob | None) -> None:
        super().__init__("another import of this kind is running")
        self.job = job


def busy_message(busy: ImportBusy) -> str:
    """Who runs the other import, since when, and what to do."""
    job = busy.job
    if job is None:  # it ended between the refusal and the look-up
        return "another import of this kind was running a moment ago; try again"
    since = job.started_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"another {job.kind} import is running (job {job.id}, {job.actor}, since {since}); try again once it ended"


class JobEnded(Exception):
    """The job was ended by someone else (its heartbeat went stale and it was undone): stop writing."""


@dataclass
class Job:
    """A running job of this process: its id, and how it reports progress and ends."""

    id: int
    engine: Engine
    _last_beat: float = field(default=0.0, repr=False)

    def phase(self, phase: str, **counts: int) -> None:
        with self.engine.begin() as conn:
            if not bulk_jobs.beat(conn, self.id, _now(), phase=phase, **counts):
                raise JobEnded(self.id)

    def wrote(self, rows: int) -> None:
        """Progress between batches (at most one write a second)."""
        now = datetime.now(UTC).timestamp()
        if now - self._last_beat >= 1.0:
            self._last_beat = now
            self.phase("writing", rows_written=rows)

    def done_in(self, conn: Connection, report: dict[str, Any]) -> None:
        """Mark the job done inside the import's last transaction, so the import and its end commit together."""
        if not bulk_jobs.finish(conn, self.id, _now(), status=DONE, report=report, error=None):
            raise JobEnded(self.id)


def _now() -> datetime:
    return datetime.now(UTC)


def create(engine: Engine, *, kind: str, actor: str, filename: str, now: datetime) -> Job:
    """A new running job of `kind` (after undoing jobs that died); ImportBusy while another one runs."""
    recover(engine, now)
    try:
        with engine.begin() as conn:
            job_id = bulk_jobs.create(conn, kind=kind, actor=actor, filename=filename, now=now)
    except bulk_jobs.SlotTaken:
        with engine.connect() as conn:
            raise ImportBusy(bulk_jobs.holder(conn, kind)) from None
    return Job(job_id, engine)


@contextmanager
def running(job: Job) -> Iterator[Job]:
    """Keep `job` alive while the block runs; if the block fails, undo what it wrote and mark the job failed."""
    stop = threading.Event()
    beater = threading.Thread(target=_beat, args=(job, stop), name=f"leaverguard-import-{job.id}", daemon=True)
    beater.start()
    try:
        yield job
    except JobEnded:  # undone and failed by a recovery: undo what this process wrote since, too
        _fail(job, "")
        raise
    except BaseException as exc:
        _fail(job, f"The import failed and nothing of it was kept: {type(exc).__name__}.")
        raise
    finally:
        stop.set()
        beater.join(timeout=10)


def fail(job: Job, message: str, report: dict[str, Any] | None = None) -> None:
    """End a job that did not write (a file with problems): failed, with its report."""
    with job.engine.begin() as conn:
        bulk_jobs.finish(conn, job.id, _now(), status=FAILED, report=report, error=message)


def _fail(job: Job, message: str) -> None:
    """Undo what the job wrote, then mark it failed with `message` (a job that has ended already stays as it is)."""
    try:
        _undo(job.engine, job.id)
        fail(job, message)
    except Exception:  # the database may be the reason: the job goes stale and `recover` finishes this
        log.exception("import job %s: could not undo and mark failed now; recovery will", job.id)


def _beat(job: Job, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT):
        try:
            with job.engine.begin() as conn:
                if not bulk_jobs.beat(conn, job.id, _now()):
                    return  # ended
        except Exception:  # a missed beat is harmless; STALE_AFTER allows many
            log.warning("import job %s: heartbeat failed", job.id, exc_info=True)


def recover(engine: Engine, now: datetime) -> int:
    """Undo and fail every job whose process died; how many (each is claimed by one process only)."""
    before = now - STALE_AFTER
    with engine.connect() as conn:
        stale = bulk_jobs.stale(conn, before)
    recovered = 0
    for job_id in stale:
        with engine.begin() as conn:
            if not bulk_jobs.claim_stale(conn, job_id, before, now):
                continue
        _undo(engine, job_id)
        with engine.begin() as conn:
            bulk_jobs.finish(conn, job_id, datetime.now(UTC), status=FAILED, report=None, error=DIED)
        log.warning("import job %s: its process died; what it wrote was undone", job_id)
        recovered += 1
    return recovered


def _undo(engine: Engine, job_id: int) -> None:
    """Replay the job's journal backwards, one journal row per short transaction (a bounded write lock each)."""
    while True:
        with engine.begin() as conn:
            if not bulk_merge.undo_one(conn, job_id):
                return
            bulk_jobs.undo_beat(conn, job_id, datetime.now(UTC))


def start_in_background(job: Job, work: Callable[[Job], object]) -> threading.Thread:
    """Run `work(job)` on a thread of its own (the request that started it returns at once)."""

    def run() -> None:
        try:
            work(job)
        except Exception:  # `running` marked the job failed; nobody else will see this exception
            log.exception("import job %s failed", job.id)

    thread = threading.Thread(target=run, name=f"leaverguard-import-job-{job.id}", daemon=True)
    thread.start()
    return thread


def find(engine: Engine, job_id: int) -> ImportJob | None:
    with engine.connect() as conn:
        return bulk_jobs.find(conn, job_id)


def is_stale(job: ImportJob, now: datetime) -> bool:
    """A job that claims to run but whose process stopped beating: shown as failed."""
    return job.status in (bulk_jobs.RUNNING, bulk_jobs.UNDOING) and job.heartbeat_at < now - STALE_AFTER
