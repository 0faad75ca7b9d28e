"""What the import job page shows: one of three clear states (running, done, failed), progress, the report.

A job that says it runs but whose heartbeat stopped is shown as failed: its process died, and what it
wrote is being (or has been) undone by import_jobs.recover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ... import import_jobs
from ...bulk_jobs import DONE, FAILED, RUNNING, UNDOING, ImportJob
from ...import_report import ImportReport

PHASES = {
    "reading": "Reading and checking the file",
    "writing": "Writing",
    UNDOING: "The import stopped; undoing what it wrote",
}


@dataclass(frozen=True, slots=True)
class JobView:
    state: str  # running, done or failed
    headline: str
    percent: int | None  # of the rows written, while writing
    refresh: bool  # the page reloads itself until the job has ended
    report: ImportReport | None
    error: str | None


def job_view(job: ImportJob, now: datetime) -> JobView:
    report = ImportReport.from_json(job.report) if job.report else None
    if job.status == DONE:
        return JobView(DONE, "Imported: every row of the file was written.", 100, False, report, None)
    if job.status == FAILED:
        return JobView(FAILED, "Not imported: nothing of this file was kept.", None, False, report, job.error)
    if import_jobs.is_stale(job, now) or job.status == UNDOING:
        error = import_jobs.DIED if job.status == RUNNING else "The import stopped; what it wrote is being undone."
        return JobView(FAILED, "Not imported: the import stopped before it finished.", None, True, None, error)
    percent = round(100 * job.rows_written / job.rows_total) if job.phase == "writing" and job.rows_total else None
    return JobView(RUNNING, PHASES.get(job.phase, job.phase), percent, True, None, None)
