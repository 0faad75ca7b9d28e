"""Security headers: a strict CSP on pages, the add-in's own policy where Outlook frames us, HSTS in production only.

Also the templates themselves: a CSP without 'unsafe-inline' only works when no page carries an inline
script, a <style> block, a style="" attribute or an on…="" handler, so a test reads them all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server import db
from server.web import headers
from tests.web.signin_helpers import PRODUCTION, console

ROOT = Path(__file__).resolve().parents[2]
TENANT = "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b"
API = {"ENTRA_CLIENT_ID": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "ENTRA_TENANTS": TENANT}


def directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    pairs = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: value for name, _, value in pairs}


@pytest.fixture
def production(database_url, tmp_path):
    app = console(database_url, tmp_path, **PRODUCTION, **API)
    yield app.test_client()
    db.dispose(app)


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/signin", "/approvals/not-a-real-link", "/admin/", "/no-such-page"])
def test_pages_forbid_inline_scripts_foreign_sources_and_framing(client, path):
    response = client.get(path, follow_redirects=True)

    policy = directives(response)
    assert response.mimetype == "text/html"
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert policy["img-src"] == "'self' data:" and policy["base-uri"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/signin").headers


@pytest.mark.parametrize("path", ["/signin", "/healthz", "/api/v1/ping"])
def test_production_sends_hsts_on_every_answer(production, path):
    response = production.get(path)

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_json_answers_carry_no_csp_but_are_not_sniffed(client):
    response = client.get("/healthz")

    assert response.mimetype == "application/json"
    assert "Content-Security-Policy" not in response.headers and "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_front_page_keeps_the_strict_sources_but_may_be_framed(client):
    response = client.get("/")

    policy = directives(response)
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "frame-ancestors" not in policy and "X-Frame-Options" not in response.headers


# --- what Outlook frames -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/addin/outlook/taskpane.html", "/addin/outlook/commands.html", "/try/outlook", "/try/outlook/taskpane"]
)
def test_add_in_pages_may_be_framed_by_office_and_load_office_js(client, path):
    with client.get(path) as response:
        policy = directives(response)

    assert response.status_code == 200 and response.mimetype == "text/html"
    assert policy["script-src"] == f"'self' {headers.OFFICE_JS}"
    assert "frame-ancestors" not in policy and "default-src" not in policy
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_add_in_pages_load_office_js_from_the_host_the_policy_allows():
    for page in ("taskpane.html", "commands.html"):
        sources = re.findall(r'<script[^>]*\bsrc="(https://[^/"]+)/', (ROOT / "addin/outlook" / page).read_text())
        assert set(sources) == {headers.OFFICE_JS}, page


# --- the templates keep everything in static files ----------------------------------------------

INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on… event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]
PAGES = [
    path
    for path in [*(ROOT / "server/templates").rglob("*.html"), *(ROOT / "addin").rglob("*.html")]
    if "mail" not in path.relative_to(ROOT).parts  # mail HTML is read by mail clients, not under our CSP
]


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_page_template_carries_inline_script_or_style(page):
    found = [what for pattern, what in INLINE if pattern.search(page.read_text(encoding="utf-8"))]

    assert found == [], f"{page.relative_to(ROOT)} has {', '.join(found)}: move it to a file under static/"


def test_the_template_check_finds_what_it_looks_for():
    samples = ["<script>x()</script>", "<style>p{}</style>", '<p style="color:red">', '<a onclick="x()">']
    samples.append('<a href="javascript:x()">')

    assert all(any(pattern.search(sample) for pattern, _ in INLINE) for sample in samples)
    assert not any(pattern.search('<script src="/static/x.js" defer></script>') for pattern, _ in INLINE)
