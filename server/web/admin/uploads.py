"""CSV imports on the Departures and Clients pages: upload → preview (changes, every bad line) → import or cancel.

Uploads may be far larger than the API's requests: these routes alone accept
bodies up to UPLOAD_MAX_BYTES (Flask's per-request `max_content_length`, set
before the form is read). The file waits in the database (services/uploads.py)
for the person who uploaded it; unknown, foreign and used uploads are a 404,
expired ones a 410.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ... import db, import_jobs
from ...services import uploads
from ..access import Permission, can, requires
from ..signin import current_user, verify_csrf
from . import bp
from .forms import who
from .import_job_view import job_view

MAX_ID = 2**31 - 1  # ids beyond a database integer are no job (and must not reach the database)

EDIT = {"departures": Permission.EDIT_DEPARTURES, "clients": Permission.EDIT_CLIENTS}
LIST_PAGE = {"departures": "admin.departures", "clients": "admin.clients"}


def accepts_upload(view: Callable) -> Callable:
    """Let this view's request body be up to UPLOAD_MAX_BYTES (the rest of the app keeps MAX_CONTENT_LENGTH)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"]
        return view(*args, **kwargs)

    return wrapped


@bp.route("/<any(departures, clients):kind>/import", methods=["GET", "POST"])
@requires(Permission.READ)
@accepts_upload
def upload(kind: str):
    _may_import(kind)
    if request.method == "GET":
        return render_template("admin/upload_form.html", kind=kind, errors={})
    try:
        verify_csrf()
        file = request.files.get("file")
    except RequestEntityTooLarge:
        abort(413, description=_too_large())
    if file is None or not file.filename:
        return render_template("admin/upload_form.html", kind=kind, errors={"file": "Choose a CSV file"}), 400
    upload_id = uploads.keep(db.engine(), kind, file.filename, file.read(), **who())
    return redirect(url_for("admin.upload_preview", upload_id=upload_id))


@bp.get("/uploads/<upload_id>")
@requires(Permission.READ)
def upload_preview(upload_id: str):
    _may_import()
    now = datetime.now(UTC)
    waiting = uploads.find(db.engine(), upload_id, actor=current_user(), now=now)
    _may_import(waiting.kind)
    return _preview(waiting, uploads.preview(db.engine(), waiting, now=now))


@bp.post("/uploads/<upload_id>/import")
@requires(Permission.READ)
def confirm_upload(upload_id: str):
    _may_import()
    verify_csrf()
    waiting = uploads.find(db.engine(), upload_id, actor=current_user(), now=datetime.now(UTC))
    _may_import(waiting.kind)
    if len(waiting.content) > current_app.config["UPLOAD_BACKGROUND_BYTES"]:  # too long for one request
        _, job_id = uploads.confirm_in_background(db.engine(), upload_id, **who())
        return redirect(url_for("admin.import_job", job_id=job_id))
    done, report = uploads.confirm(db.engine(), upload_id, **who())
    if not report.written:
        return _preview(done, report, status=400)
    flash(f"Imported {done.filename}: {report.summary()}", "ok")
    return redirect(url_for(LIST_PAGE[done.kind]))


@bp.get("/imports/<int:job_id>")
@requires(Permission.READ)
def import_job(job_id: int):
    """An import job: its progress while it runs (the page refreshes itself), then its report or why it failed."""
    _may_import()
    job = import_jobs.find(db.engine(), job_id) if job_id <= MAX_ID else None
    if job is None:
        abort(404, description=f"There is no import job {job_id}.")
    _may_import(job.kind)
    shown = job_view(job, datetime.now(UTC))
    return render_template("admin/import_job.html", job=job, shown=shown, list_page=LIST_PAGE[job.kind])


@bp.post("/uploads/<upload_id>/cancel")
@requires(Permission.READ)
def cancel_upload(upload_id: str):
    _may_import()
    verify_csrf()
    dropped = uploads.cancel(db.engine(), upload_id, actor=current_user(), now=datetime.now(UTC))
    flash(f"Cancelled: nothing from {dropped.filename} was imported.", "ok")
    return redirect(url_for(LIST_PAGE[dropped.kind]))


@bp.errorhandler(uploads.UnknownUpload)
def unknown_upload(_exc: uploads.UnknownUpload):
    description = (
        "No upload with this address is waiting for you: it was imported or cancelled already, belongs to"
        " someone else, or never existed. Upload the file again from the Departures or Clients page."
    )
    return render_template("error.html", code=404, name="Not Found", description=description), 404


@bp.errorhandler(import_jobs.ImportBusy)
def import_busy(exc: import_jobs.ImportBusy):
    description = f"Nothing was imported: {import_jobs.busy_message(exc)}. Your upload still waits for you."
    page = render_template("error.html", code=409, name="Another import is running", description=description)
    return page, 409


@bp.errorhandler(uploads.ExpiredUpload)
def expired_upload(_exc: uploads.ExpiredUpload):
    description = "This upload waited more than a day and was deleted; nothing was imported. Upload the file again."
    return render_template("error.html", code=410, name="Gone", description=description), 410


def _may_import(kind: str | None = None) -> None:
    """403 unless the user may change `kind` (None: either register: checked before an upload is looked up)."""
    if not any(can(EDIT[k]) for k in ([kind] if kind else EDIT)):
        needed = "admin" if kind == "clients" else "admin or hr"
        abort(403, description=f"{current_user()} may not import {kind or 'anything'}: it needs the role {needed}.")


def _too_large() -> str:
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    return (
        f"The file is larger than the upload limit of {limit:,} bytes (LEAVERGUARD_UPLOAD_MAX_BYTES);"
        " nothing was uploaded. Split it into smaller files, or ask an administrator to raise the limit."
    )


def _preview(waiting: uploads.Upload, report, *, status: int = 200):
    page = render_template(
        "admin/upload_preview.html", upload=waiting, report=report, list_page=LIST_PAGE[waiting.kind]
    )
    return page, status
