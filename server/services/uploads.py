"""CSV imports from the admin console: keep the uploaded file, preview it (a dry run), then import it or drop it.

The file waits in the database (pending_uploads) under a random id, for the
person who uploaded it only, for at most a day: uploads older than that are
deleted whenever a new one is kept. The preview is the import's own dry run,
so it reports exactly what the import will do; the confirmation takes the
upload (only one of two clicks gets it) and runs the real import as an import
job (import_jobs.py), which is all-or-nothing and writes the import's audit row
with the signed-in actor: in the request, or, for a file too big for one, on a
thread of its own whose page shows its progress.

Must not import Flask.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from .. import import_jobs, imports
from ..console import uploads_store as pending
from ..console.uploads_store import Upload

KEPT_FOR = timedelta(days=1)
IMPORTERS: dict[str, Callable[..., imports.ImportReport]] = {
    "departures": imports.import_departures,
    "clients": imports.import_clients,
}
MAX_FILENAME = 255


class UnknownUpload(Exception):
    """No such upload waits for this person: never made, someone else's, already imported or cancelled."""


class ExpiredUpload(Exception):
    """The upload waited longer than KEPT_FOR; it has been deleted."""


def keep(engine: Engine, kind: str, filename: str, content: bytes, *, actor: str, now: datetime) -> str:
    """Store an uploaded file for its preview; its id. Forgets uploads older than KEPT_FOR on the way."""
    if kind not in IMPORTERS:
        raise ValueError(f"no import of {kind!r}")
    upload = Upload(secrets.token_urlsafe(32), kind, actor, (filename or "upload.csv")[:MAX_FILENAME], content, now)
    with engine.begin() as conn:
        pending.delete_older(conn, now - KEPT_FOR)
        pending.store_upload(conn, upload)
    return upload.id


def find(engine: Engine, upload_id: str, *, actor: str, now: datetime) -> Upload:
    """The actor's waiting upload (UnknownUpload, ExpiredUpload)."""
    with engine.begin() as conn:
        upload = pending.find_upload(conn, upload_id)
        expired = upload is not None and upload.created_at < now - KEPT_FOR
        if expired:
            pending.take_upload(conn, upload_id)
    if upload is None or upload.actor != actor:
        raise UnknownUpload(upload_id)
    if expired:
        raise ExpiredUpload(upload_id)
    return upload


def preview(engine: Engine, upload: Upload, *, now: datetime) -> imports.ImportReport:
    """What importing the upload would do: the import's dry run (nothing is written)."""
    return IMPORTERS[upload.kind](engine, io.BytesIO(upload.content), dry_run=True, now=now, actor=upload.actor)


def confirm(engine: Engine, upload_id: str, *, actor: str, now: datetime) -> tuple[Upload, imports.ImportReport]:
    """Import the upload now, as a job (import_jobs); a file with problems writes nothing and waits again."""
    upload, job = _start(engine, upload_id, actor=actor, now=now)
    try:
        report = _run(engine, upload, job, now)
    except Exception:
        _put_back(engine, upload)
        raise
    if not report.written:
        _put_back(engine, upload)
    return upload, report


def confirm_in_background(engine: Engine, upload_id: str, *, actor: str, now: datetime) -> tuple[Upload, int]:
    """Start importing the upload on a thread of its own; the job's id (its page follows it).

    For files whose import outlasts a request. The result is the same as `confirm`'s, all or nothing; a
    file with problems ends the job failed with its report (the upload is gone: upload it again).
    """
    upload, job = _start(engine, upload_id, actor=actor, now=now)
    import_jobs.start_in_background(job, lambda running: _run(engine, upload, running, now))
    return upload, job.id


def _start(engine: Engine, upload_id: str, *, actor: str, now: datetime) -> tuple[Upload, import_jobs.Job]:
    """Take the upload (only one of two clicks gets it) and start its job; ImportBusy puts it back."""
    upload = find(engine, upload_id, actor=actor, now=now)
    with engine.begin() as conn:
        if not pending.take_upload(conn, upload_id):
            raise UnknownUpload(upload_id)  # a second click, or a cancel, got it first
    try:
        job = import_jobs.create(engine, kind=upload.kind, actor=actor, filename=upload.filename, now=now)
    except import_jobs.ImportBusy:
        _put_back(engine, upload)
        raise
    return upload, job


def _run(engine: Engine, upload: Upload, job: import_jobs.Job, now: datetime) -> imports.ImportReport:
    with import_jobs.running(job):
        stream = io.BytesIO(upload.content)
        report = IMPORTERS[upload.kind](engine, stream, now=now, actor=upload.actor, job=job)
        if not report.written:
            import_jobs.fail(job, "The file has problems; nothing was imported.", report.as_json())
    return report


def cancel(engine: Engine, upload_id: str, *, actor: str, now: datetime) -> Upload:
    upload = find(engine, upload_id, actor=actor, now=now)
    with engine.begin() as conn:
        pending.take_upload(conn, upload_id)
    return upload


def _put_back(engine: Engine, upload: Upload) -> None:
    with engine.begin() as conn:
        pending.store_upload(conn, upload)
