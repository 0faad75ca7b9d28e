"""The sync status page (/admin/syncs): each connector's last run and last success, its counts and errors,
the alert when a run stopped instead of deleting, the conflicts with records entered by hand, and recent runs.

Read-only, for everyone on the console. Must not hold SQL.
"""

from __future__ import annotations

from flask import current_app, render_template

from ... import db
from ...mail_content import when
from ...services import console
from ...sync.records import RunStatus
from ..access import Permission, requires
from . import NAV, bp

NAV.append(("admin.syncs", "Syncs"))

CONFLICTS_SHOWN = 200  # per source; the CLI's `sync status --json` lists every one


@bp.get("/syncs")
@requires(Permission.READ)
def syncs():
    sources = console.sync_overview(db.engine(), tuple(current_app.config.get("SYNC_CONNECTORS") or ()))
    return render_template(
        "admin/syncs.html", sources=sources, when=when, RunStatus=RunStatus, conflicts_shown=CONFLICTS_SHOWN
    )
