"""Development-only pages that show the add-ins without a tenant: /try/outlook and its task pane.

/try/outlook runs the real addin/outlook/commands.js (as served, with its configuration) in the browser against
a small Office mailbox shim (static/try/office-shim.js): compose fields, a "send as" choice of the demo people,
the banner area and the Smart Alerts dialog drawn as Outlook draws them. /try/outlook/taskpane is the real
taskpane.html with the shim in place of office.js. Both are 404 unless LEAVERGUARD_ENV=development.
Must not import services or the database (the fail mode shown comes from addin_files.fail_mode).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, url_for

from . import addin_files
from .addin_files import ADDIN_DIR

bp = Blueprint("try_pages", __name__, url_prefix="/try")

OFFICE_JS = '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>'

# The demo organisation (server/demo.py): who to send as, and what the policy knows about them.
PEOPLE = (
    ("alice@northwind.example", "Alice — on notice (a leaver); successor Bob"),
    ("dmitri@northwind.example", "Dmitri — on garden leave"),
    ("erin@northwind.example", "Erin — past her last working day"),
    ("frank@northwind.example", "Frank — resignation withdrawn"),
    ("carol@northwind.example", "Carol — a colleague, not leaving"),
    ("bob@northwind.example", "Bob — a colleague, Alice's successor"),
)
LANGUAGES = (("en-GB", "English"), ("es-ES", "Español"), ("ru-RU", "Русский"))


@bp.before_request
def development_only() -> None:
    """Nothing here exists in production."""
    if current_app.config.get("ENV") != "development":
        abort(404)


@bp.get("/outlook")
def outlook():
    """A compose window with the add-in's banner area, Send button and Smart Alerts dialog."""
    return render_template(
        "try_outlook.html",
        people=PEOPLE,
        languages=LANGUAGES,
        fail_mode=addin_files.fail_mode(),
    )


@bp.get("/outlook/taskpane")
def outlook_taskpane():
    """The real task pane page, reading the try page's draft through the shim instead of Office."""
    page = (ADDIN_DIR / "taskpane.html").read_text(encoding="utf-8")
    if OFFICE_JS not in page:
        raise RuntimeError("addin/outlook/taskpane.html no longer loads office.js as /try/outlook expects")
    shim = url_for("static", filename="try/office-shim.js")
    base = url_for("addin_files.addin_file", filename="taskpane.html").rsplit("/", 1)[0] + "/"
    page = page.replace("<head>", f'<head>\n  <base href="{base}">', 1)
    return page.replace(OFFICE_JS, f'<script src="{shim}"></script>', 1)
