"""The Outlook add-in's own files (addin/outlook/) at /addin/outlook/<path>, with their run-time configuration.

commands.js goes out with one `var LEAVERGUARD_CONFIG = {...};` line in front (the absolute API address, the fail
mode — the admin's choice on the policy page, else LEAVERGUARD_ADDIN_FAIL_MODE —, the body limit the add-in cuts the
body to, the Entra ID application and scope, and `devAuth` only in development); taskpane.js with
`var LEAVERGUARD_TEXTS = {...};` (the pane's words in en, es and ru). MSAL.js for the browser runtime is served
from node_modules (`npm ci`) at vendor/msal-browser.min.js. Only files inside the folder of the listed types are
served: anything else, hidden files included, is a 404.

No authentication: these are public files. Reads the database only for the stored fail mode, through the
process's settings cache (as the check does); must not import the store or other services.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, request, send_file, send_from_directory
from sqlalchemy.exc import InterfaceError, OperationalError

from .. import db
from ..addin_texts import TEXTS

ROOT = Path(__file__).resolve().parents[2]
ADDIN_DIR = ROOT / "addin" / "outlook"
MSAL_BROWSER = ROOT / "node_modules" / "@azure" / "msal-browser" / "lib" / "msal-browser.min.js"
MSAL_PATH = "vendor/msal-browser.min.js"
SERVED_TYPES = {".html", ".js", ".css", ".png", ".svg", ".ico"}
REQUEST_TIMEOUT_MS = 3500  # well under Outlook's 5 s before it shows "taking longer than expected"
POLL_MS = 5000  # how often the task pane asks for the sign-off's state
TASK_PANE_ID = "LeaverGuardTaskPane"

bp = Blueprint("addin_files", __name__)
log = logging.getLogger(__name__)


@bp.get("/addin/outlook/<path:filename>")
def addin_file(filename: str):
    """One file of the add-in: commands.js and taskpane.js with their settings in front, others as they are."""
    if filename == MSAL_PATH:
        return _msal_browser()
    if not _servable(filename):
        abort(404)
    if filename == "commands.js":
        settings = client_config(current_app.config, _base_url(), fail_mode())
        return _script("commands.js", "LEAVERGUARD_CONFIG", settings)
    if filename == "taskpane.js":
        return _script("taskpane.js", "LEAVERGUARD_TEXTS", TEXTS)
    response = send_from_directory(ADDIN_DIR, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # Outlook caches add-in files hard: make it revalidate
    return response


def _servable(filename: str) -> bool:
    """A visible file of a served type; send_from_directory still refuses paths that leave the folder."""
    parts = filename.split("/")
    return not any(part.startswith(".") or not part for part in parts) and Path(filename).suffix in SERVED_TYPES


def _msal_browser():
    """MSAL.js's browser bundle (the UMD build that defines `msal`), from the npm package `npm ci` installs."""
    if not MSAL_BROWSER.is_file():
        abort(404)  # without it the add-in falls back to Office's getAccessToken
    response = send_file(MSAL_BROWSER, mimetype="text/javascript", max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _base_url() -> str:
    """Where the add-in finds the API: LEAVERGUARD_BASE_URL in production; in development the address the
    script itself was fetched from, so /try/outlook works on any host and port."""
    if current_app.config.get("ENV") == "development" or not current_app.config.get("BASE_URL"):
        return request.host_url.rstrip("/")
    return current_app.config["BASE_URL"].rstrip("/")


def _script(name: str, variable: str, value: Any) -> Response:
    """`name` from the add-in folder with `var <variable> = <value as JSON>;` as its first line."""
    source = (ADDIN_DIR / name).read_text(encoding="utf-8")
    # ensure_ascii: no U+2028/U+2029 or other surprises for older JavaScript engines.
    line = f"var {variable} = {json.dumps(value, ensure_ascii=True, sort_keys=True)};\n"
    response = current_app.response_class(line + source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.add_etag()
    return response.make_conditional(request)


def fail_mode() -> str:
    """The add-in's fail mode: the one saved on the policy page, else LEAVERGUARD_ADDIN_FAIL_MODE.

    When the database cannot be read, the setting applies: the add-in must still load, and it then fails
    the way the deployment was configured.
    """
    configured = current_app.config.get("ADDIN_FAIL_MODE") or "open"
    try:
        with db.check_engine().connect() as conn:
            stored = current_app.extensions["leaverguard.settings_cache"].current(conn).fail_mode
    except (OperationalError, InterfaceError) as exc:
        log.warning("stored fail mode unreadable, using LEAVERGUARD_ADDIN_FAIL_MODE: %s", type(exc).__name__)
        return configured
    return stored or configured


def client_config(config: Mapping[str, Any], base_url: str, fail_mode: str | None = None) -> dict[str, Any]:
    """What the add-in needs to know at run time; `devAuth` is present only in development."""
    settings: dict[str, Any] = {
        "apiBase": base_url,
        "failMode": fail_mode or config.get("ADDIN_FAIL_MODE") or "open",
        "timeoutMs": REQUEST_TIMEOUT_MS,
        "maxBodyBytes": config.get("MAX_BODY_BYTES") or 1_000_000,  # the add-in sends at most this much body
        "pollMs": POLL_MS,
        "taskPaneId": TASK_PANE_ID,
        "entra": entra_settings(config),
    }
    if config.get("ENV") == "development":
        settings["devAuth"] = True
    return settings


def entra_settings(config: Mapping[str, Any]) -> dict[str, str]:
    """The Entra ID application the add-in asks tokens for: client id, `<app id uri>/access_as_user`, authority."""
    client_id = config.get("ENTRA_CLIENT_ID") or ""
    if not client_id:
        return {}
    app_id_uri = (config.get("ENTRA_APP_ID_URI") or f"api://{client_id}").rstrip("/")
    tenants = config.get("ENTRA_TENANTS") or ()
    if isinstance(tenants, str):
        tenants = [t.strip() for t in tenants.split(",") if t.strip()]
    # One tenant: sign in there. Several: any work account; the server checks the tenant.
    tenant = tenants[0] if len(tenants) == 1 else "organizations"
    host = config.get("ENTRA_AUTHORITY_HOST") or "login.microsoftonline.com"
    return {"clientId": client_id, "scope": f"{app_id_uri}/access_as_user", "authority": f"https://{host}/{tenant}"}
