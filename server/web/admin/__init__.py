"""The admin console under /admin: one blueprint, one sub-module per page.

Pages are server-rendered (templates/admin/), every view is guarded by
`access.requires(...)`, every POST checks the CSRF token (signin.verify_csrf),
and views stay thin: parse the form → a service in server/services → render.
Sub-modules register their routes on `bp` when imported below; each adds its
entry to NAV so the shared layout (templates/admin/base.html) links it.

Must not hold SQL or policy logic: that is in store/services.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")

# (endpoint, label) of each page in the navigation, in order; sub-modules append theirs.
NAV: list[tuple[str, str]] = []


def init_app(app: Flask) -> None:
    from . import pages  # noqa: F401  (registers the routes on bp)

    app.jinja_env.globals.update(admin_nav=lambda: NAV)
    app.register_blueprint(bp)
