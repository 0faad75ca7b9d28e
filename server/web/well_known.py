"""/.well-known/microsoft-officeaddins-allowed.json: the scripts of this origin Office may run with SSO and CORS.

Classic Outlook on Windows runs the add-in's event handlers in a JavaScript-only runtime;
before that script may get a token (OfficeRuntime.auth.getAccessToken) or call the API
cross-origin, Office reads this file at the root of the script's origin:
`{"allowed": [<script URLs>]}`. It lists commands.js exactly as the manifests name it
(manifests.outlook), at LEAVERGUARD_BASE_URL's origin in production and at the
requested origin in development (like the add-in files themselves).

No authentication: a public file. Must not import services or the database.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request

from ..manifests import outlook

bp = Blueprint("well_known", __name__)


@bp.get("/.well-known/microsoft-officeaddins-allowed.json")
def officeaddins_allowed():
    response = jsonify(allowed=outlook.allowed_scripts(_origin()))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _origin() -> str:
    base_url = current_app.config.get("BASE_URL") or ""
    if current_app.config.get("ENV") == "development" or not base_url:
        return request.host_url.rstrip("/")
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"
