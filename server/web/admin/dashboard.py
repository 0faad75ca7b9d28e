"""The dashboard: who is on notice, pending sign-offs, held and warned sends, recent decisions."""

from __future__ import annotations

from flask import render_template

from ..access import Permission, requires
from . import NAV, bp

NAV.append(("admin.dashboard", "Dashboard"))


@bp.get("/")
@requires(Permission.READ)
def dashboard():
    return render_template("admin/dashboard.html")
