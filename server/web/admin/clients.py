"""The Clients page: accounts with their domains and contacts, search, an account page, changes, CSV export.

Views parse the request, call server/services/client_directory.py and render;
the CSV import is uploads.py's. Viewers and HR see the directory read-only;
changing it needs EDIT_CLIENTS (admin), exporting it EXPORT (admin, hr),
checked here whatever the page showed.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ... import db, exports
from ...csv_formats import CLIENTS
from ...services import client_directory as directory
from ...services.editing import InvalidForm, StaleVersion, is_synced
from ..access import Permission, requires
from ..signin import verify_csrf
from . import NAV, bp
from .forms import csv_download, form_version, page_keys, typed_fields, who

NAV.append(("admin.clients", "Clients"))


@bp.get("/clients")
@requires(Permission.READ)
def clients():
    query, section = request.args.get("q", "").strip(), request.args.get("section")
    section = section if section in directory.SECTIONS else None
    listing = directory.listing(db.engine(), query=query, section=section, **page_keys())
    context = {"listing": listing, "query": query, "section": section, "columns": CLIENTS.columns}
    return render_template("admin/clients.html", **context)


@bp.route("/clients/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def new_account():
    if request.method == "GET":
        return render_template("admin/account_new.html", typed={}, errors={})
    verify_csrf()
    try:
        account_id = directory.add_account(db.engine(), typed_fields(), **who())
    except InvalidForm as exc:
        return render_template("admin/account_new.html", typed=typed_fields(), errors=exc.errors), 400
    flash("Account added. Add its domains and contacts below.", "ok")
    return redirect(url_for("admin.account", account_id=account_id))


@bp.get("/clients/<int:account_id>")
@requires(Permission.READ)
def account(account_id: int):
    return _page(account_id)


@bp.post("/clients/<int:account_id>")
@requires(Permission.EDIT_CLIENTS)
def save_account(account_id: int):
    take_over = request.form.get("take_over") == "1"
    return _change(account_id, "Saved.", directory.save_account, typed_fields(), take_over=take_over)


@bp.post("/clients/<int:account_id>/domains")
@requires(Permission.EDIT_CLIENTS)
def add_domain(account_id: int):
    return _change(account_id, "Domain added.", directory.add_domain, typed_fields())


@bp.post("/clients/<int:account_id>/domains/remove")
@requires(Permission.EDIT_CLIENTS)
def remove_domain(account_id: int):
    return _change(account_id, "Domain removed.", directory.remove_domain, request.form.get("domain", ""))


@bp.post("/clients/<int:account_id>/contacts")
@requires(Permission.EDIT_CLIENTS)
def add_contact(account_id: int):
    return _change(account_id, "Contact added.", directory.add_contact, typed_fields())


@bp.post("/clients/<int:account_id>/contacts/remove")
@requires(Permission.EDIT_CLIENTS)
def remove_contact(account_id: int):
    return _change(account_id, "Contact removed.", directory.remove_contact, request.form.get("key", ""))


@bp.route("/clients/<int:account_id>/delete", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def delete_account(account_id: int):
    if request.method == "GET":
        return render_template("admin/account_delete.html", account=directory.find(db.engine(), account_id))
    verify_csrf()
    try:
        directory.delete_account(db.engine(), account_id, form_version(), **who())
    except StaleVersion:
        return _page(account_id, conflict={}, status=409)
    flash("Account deleted, with its domains and contacts.", "ok")
    return redirect(url_for("admin.clients"))


@bp.get("/clients/export")
@requires(Permission.EXPORT)
def export_clients():
    return csv_download(lambda stream: exports.export_clients(db.engine(), stream, **who()), "clients")


def _change(account_id: int, done: str, change, *args, **options):
    """Run one change of the account with the form's version: back to its page, or the page with why not."""
    verify_csrf()
    try:
        change(db.engine(), account_id, *args, form_version(), **options, **who())
    except InvalidForm as exc:
        typed = typed_fields()
        return _page(account_id, typed=typed, errors=exc.errors, version=request.form.get("version"), status=400)
    except StaleVersion:
        return _page(account_id, conflict=typed_fields(), status=409)
    flash(done, "ok")
    return redirect(url_for("admin.account", account_id=account_id))


def _page(account_id: int, *, typed=None, errors=None, version=None, conflict=None, status=200):
    """The account page; forms keep what was typed, errors sit next to their fields."""
    keys = {"domains_after": request.args.get("domains_after"), "contacts_after": request.args.get("contacts_after")}
    shown = directory.view(db.engine(), account_id, **keys)
    account = shown.account
    typed = {"name": account.name, "owner": account.owner or ""} | (typed or {})
    page = render_template(
        "admin/account.html",
        view=shown,
        typed=typed,
        errors=errors or {},
        version=version or account.version.isoformat(),
        conflict=conflict,
        synced=is_synced(account.source),
    )
    return page, status
