"""CSV imports from the admin console: keep the uploaded file, preview it (a dry run), then import it or drop it.

The file waits in the database (pending_uploads) under a random id, for the
person who uploaded it only, for at most a day: uploads older than that are
deleted whenever a new one is kept. The preview is the import's own dry run,
so it reports exactly what the import will do; the confirmation takes the
upload (only one of two clicks gets it) and runs the real import, which is
all-or-nothing and writes the import's audit row with the signed-in actor.

Must not import Flask.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from .. import imports
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
    """Import the upload for real; a file with problems writes nothing and waits again for its preview."""
    upload = find(engine, upload_id, actor=actor, now=now)
    with engine.begin() as conn:
        if not pending.take_upload(conn, upload_id):
            raise UnknownUpload(upload_id)  # a second click, or a cancel, got it first
    try:
        report = IMPORTERS[upload.kind](engine, io.BytesIO(upload.content), now=now, actor=actor)
    except Exception:
        _put_back(engine, upload)
        raise
    if not report.written:
        _put_back(engine, upload)
    return upload, report


def cancel(engine: Engine, upload_id: str, *, actor: str, now: datetime) -> Upload:
    upload = find(engine, upload_id, actor=actor, now=now)
    with engine.begin() as conn:
        pending.take_upload(conn, upload_id)
    return upload


def _put_back(engine: Engine, upload: Upload) -> None:
    with engine.begin() as conn:
        pending.store_upload(conn, upload)
