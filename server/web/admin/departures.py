"""The Departures page: the register with search and phase filter, add, edit, withdraw, reinstate, delete, export.

Views parse the request, call server/services/register.py and render; the
CSV import is uploads.py's. Viewers see the register read-only; changing it
needs EDIT_DEPARTURES (admin, hr), deleting a record entered by mistake
DELETE_DEPARTURES (admin), exporting EXPORT (admin, hr), checked here whatever
the page showed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for

from ... import db, exports
from ...console.register_forms import DEPARTURE_FIELDS, departure_fields
from ...csv_formats import DEPARTURES
from ...model import Phase
from ...services import register
from ...services.editing import InvalidForm, StaleVersion, is_synced
from ..access import Permission, requires
from ..signin import verify_csrf
from . import NAV, bp
from .forms import csv_download, form_version, page_keys, typed_fields, who

NAV.append(("admin.departures", "Departures"))
LABELS = {
    "email": "Work address",
    "notice_date": "Notice date",
    "garden_leave_date": "Garden leave from",
    "last_working_date": "Last working day",
    "successor": "Successor",
    "aliases": "Aliases",
    "personal_addresses": "Personal addresses",
}
PHASE_NAMES = {
    Phase.NOTICE: "notice",
    Phase.GARDEN_LEAVE: "garden leave",
    Phase.DEPARTED: "departed",
    Phase.WITHDRAWN: "withdrawn",
    Phase.NONE: "upcoming",
}


@bp.get("/departures")
@requires(Permission.READ)
def departures():
    query, phase = request.args.get("q", "").strip(), _phase(request.args.get("phase"))
    listing = register.listing(db.engine(), query=query, phase=phase, now=datetime.now(UTC), **page_keys())
    return render_template(
        "admin/departures.html",
        listing=listing,
        query=query,
        phase=phase,
        phases=PHASE_NAMES,
        columns=DEPARTURES.columns,
    )


@bp.route("/departures/new", methods=["GET", "POST"])
@requires(Permission.EDIT_DEPARTURES)
def new_departure():
    if request.method == "GET":
        return _form(None, {})
    verify_csrf()
    try:
        departure_id = register.add(db.engine(), typed_fields(), **who())
    except InvalidForm as exc:
        return _form(None, typed_fields(), errors=exc.errors), 400
    flash("Added. The next check of this person's mail follows it.", "ok")
    return redirect(url_for("admin.departure", departure_id=departure_id))


@bp.get("/departures/<int:departure_id>")
@requires(Permission.READ)
def departure(departure_id: int):
    record = _found(departure_id)
    return _form(record, departure_fields(record[0].departure))


@bp.post("/departures/<int:departure_id>")
@requires(Permission.EDIT_DEPARTURES)
def save_departure(departure_id: int):
    verify_csrf()
    typed, take_over = typed_fields(), request.form.get("take_over") == "1"
    try:
        register.save(db.engine(), departure_id, typed, form_version(), take_over=take_over, **who())
    except InvalidForm as exc:
        return _form(_found(departure_id), typed, errors=exc.errors, version=request.form.get("version")), 400
    except StaleVersion as exc:
        return _conflict(exc.current, typed)
    flash("Saved. The next check of this person's mail follows it.", "ok")
    return redirect(url_for("admin.departure", departure_id=departure_id))


@bp.post("/departures/<int:departure_id>/<any(withdraw, reinstate):action>")
@requires(Permission.EDIT_DEPARTURES)
def withdraw_departure(departure_id: int, action: str):
    verify_csrf()
    try:
        register.set_withdrawn(db.engine(), departure_id, action == "withdraw", form_version(), **who())
    except StaleVersion as exc:
        return _conflict(exc.current, {})
    flash("Resignation withdrawn." if action == "withdraw" else "Resignation reinstated.", "ok")
    return redirect(url_for("admin.departure", departure_id=departure_id))


@bp.route("/departures/<int:departure_id>/delete", methods=["GET", "POST"])
@requires(Permission.DELETE_DEPARTURES)
def delete_departure(departure_id: int):
    if request.method == "GET":
        return _delete_page(_found(departure_id))
    verify_csrf()
    try:
        gone = register.delete(db.engine(), departure_id, typed_fields(), form_version(), **who())
    except InvalidForm as exc:
        typed, version = typed_fields(), request.form.get("version")
        return _delete_page(_found(departure_id), typed=typed, errors=exc.errors, version=version, status=400)
    except StaleVersion as exc:
        return _conflict(exc.current, {})
    except register.SyncedRecord as exc:
        return _delete_page((exc.current, None))
    flash(
        f"Deleted {gone.email}, with its aliases and personal addresses; the audit log keeps what it was and why.", "ok"
    )
    return redirect(url_for("admin.departures"))


@bp.get("/departures/export")
@requires(Permission.EXPORT)
def export_departures():
    return csv_download(lambda stream: exports.export_departures(db.engine(), stream, **who()), "departures")


def _phase(value: str | None) -> Phase | None:
    return next((phase for phase in PHASE_NAMES if phase.value == value), None)


def _found(departure_id: int) -> tuple[register.Versioned, Phase]:
    return register.find(db.engine(), departure_id, datetime.now(UTC))


def _form(record, typed: dict, *, errors=None, version=None, conflict=None):
    """The departure page: the form (new or edit; read-only without EDIT_DEPARTURES), errors next to fields."""
    versioned, phase = record or (None, None)
    departure = versioned.departure if versioned else None
    context = {
        "record": departure,
        "version": version or (versioned and versioned.version.isoformat()),
        "phase": phase,
        "phase_name": phase and PHASE_NAMES[phase],
        "synced": bool(departure) and is_synced(departure.source),
        "conflict": conflict,
    }
    page = "admin/departure.html"
    return render_template(page, typed=typed, errors=errors or {}, labels=LABELS, fields=DEPARTURE_FIELDS, **context)


def _delete_page(record, *, typed=None, errors=None, version=None, status=200):
    """Confirm a deletion: the record's values and a required reason; a synced record says to withdraw it (409)."""
    versioned = record[0]
    synced = is_synced(versioned.departure.source)
    page = render_template(
        "admin/departure_delete.html",
        record=versioned.departure,
        values=departure_fields(versioned.departure),
        version=version or versioned.version.isoformat(),
        synced=synced,
        typed=typed or {},
        errors=errors or {},
        labels=LABELS,
        fields=DEPARTURE_FIELDS,
    )
    return page, 409 if synced else status


def _conflict(current: register.Versioned, typed: dict):
    """409: the record changed since the form was opened; show what is stored now, and what was typed."""
    phase = register.find(db.engine(), current.departure.id, datetime.now(UTC))[1]
    return _form((current, phase), departure_fields(current.departure), conflict=typed), 409
