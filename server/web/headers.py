"""Security headers on every response: a Content-Security-Policy for HTML, no sniffing, no referrer, HSTS.

Pages get a strict policy: scripts, styles and images only from this server (no inline
script or style attribute anywhere: templates keep them in static/), forms post only here,
and no one may frame them (frame-ancestors 'none' and X-Frame-Options: DENY).

What Outlook frames must keep working there. The add-in files (/addin/) and the
development-only try pages (/try/: /try/outlook frames the task pane) get their own policy:
scripts from here and from Office.js's host, and no frame-ancestors, because Office's hosts
are many and change (outlook.office.com, outlook.cloud.microsoft, national clouds, desktop
webviews). The front page (/) keeps the strict policy but may be framed: new Outlook is
reported to frame a server's root before it loads the add-in. JSON and other non-HTML
answers get no CSP. HSTS is sent in production only: a development server on
http://127.0.0.1 must stay reachable over plain HTTP.

Nothing is kept by a browser or a proxy (`Cache-Control: no-store`) but the public files under
PUBLIC_PREFIXES: pages and API answers show messages, decisions, people and CSRF tokens, and one
rule for every answer (error pages, exports and routes added later included) cannot forget a
page the way a list of sensitive pages would. The public files keep the caching their views set.

Must not import services, the store or the database.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import Headers

FRAMABLE_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'"
)
PAGE_POLICY = f"{FRAMABLE_PAGE_POLICY}; frame-ancestors 'none'"
OFFICE_JS = "https://appsforoffice.microsoft.com"
ADDIN_POLICY = f"script-src 'self' {OFFICE_JS}; object-src 'none'; base-uri 'self'"
ADDIN_PREFIXES = ("/addin/", "/try/")
FRAMABLE_PAGES = ("/",)
#: Files anyone may fetch that say nothing about anyone (styles, the add-ins' files, the well-known file).
PUBLIC_PREFIXES = ("/static/", "/addin/", "/.well-known/")
NO_STORE = "no-store"
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if current_app.config["ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if not request.path.startswith(PUBLIC_PREFIXES):
        headers["Cache-Control"] = NO_STORE  # replaces what send_file sets on exports (no-cache lets a copy be kept)
    if response.mimetype == "text/html":
        _page_headers(headers)
    return response


def _page_headers(headers: Headers) -> None:
    """The policy of an HTML page: the add-in's, the framable front page's, or the strict one."""
    if request.path.startswith(ADDIN_PREFIXES):
        headers.setdefault("Content-Security-Policy", ADDIN_POLICY)
    elif request.path in FRAMABLE_PAGES:
        headers.setdefault("Content-Security-Policy", FRAMABLE_PAGE_POLICY)
    else:
        headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
