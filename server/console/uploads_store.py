"""CSV files uploaded on the admin console, kept in `pending_uploads` between the preview and the confirmation.

The database, not a local disk, holds them: the confirmation may reach another
worker or replica than the upload did. Must not import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select

from .. import tables as t

_U = t.pending_uploads


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    kind: str
    actor: str
    filename: str
    content: bytes
    created_at: datetime


def store_upload(conn: Connection, upload: Upload) -> None:
    values = {"id": upload.id, "kind": upload.kind, "actor": upload.actor, "filename": upload.filename}
    conn.execute(insert(_U).values(content=upload.content, created_at=upload.created_at, **values))


def delete_older(conn: Connection, before: datetime) -> int:
    """Forget uploads made before `before` (never confirmed nor cancelled); how many."""
    return conn.execute(delete(_U).where(_U.c.created_at < before)).rowcount


def find_upload(conn: Connection, upload_id: str) -> Upload | None:
    row = conn.execute(select(_U).where(_U.c.id == upload_id)).mappings().first()
    if row is None:
        return None
    created = row["created_at"]
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
    return Upload(row["id"], row["kind"], row["actor"], row["filename"], bytes(row["content"]), created)


def take_upload(conn: Connection, upload_id: str) -> bool:
    """Delete the upload; True for the one caller that did (two confirmations cannot both import it)."""
    return conn.execute(delete(_U).where(_U.c.id == upload_id)).rowcount == 1
