"""/try/outlook and its task pane: there in development, 404 in production; built from the real add-in files."""

from __future__ import annotations

import re
from datetime import date

import pytest

from server import demo
from server.web import try_pages


def scripts(html: str) -> list[str]:
    """The src of every <script>, in order; an inline script shows as ''."""
    return [m.group(1) or "" for m in re.finditer(r"<script(?:[^>]*\bsrc=\"([^\"]+)\")?[^>]*>", html)]


def test_the_try_page_loads_the_shim_then_the_real_add_in_script_then_the_page(client):
    response = client.get("/try/outlook")

    assert response.status_code == 200
    assert scripts(response.get_data(as_text=True)) == [
        "/static/try/office-shim.js",
        "/addin/outlook/commands.js",
        "/static/try/try-outlook.js",
    ]


def test_the_try_page_offers_every_demo_person_to_send_as(client):
    html = client.get("/try/outlook").get_data(as_text=True)

    for address, _ in try_pages.PEOPLE:
        assert f'<option value="{address}">' in html


def test_the_people_on_the_try_page_are_the_demo_organisations():
    leavers = {d.email for d in demo.departures(date(2026, 11, 22))}
    colleagues = {owner for _, owner, _, _ in demo.CLIENTS}

    assert {address for address, _ in try_pages.PEOPLE} == leavers | colleagues


def test_the_try_page_shows_the_configured_fail_mode(app, client):
    app.config["ADDIN_FAIL_MODE"] = "closed"

    html = client.get("/try/outlook").get_data(as_text=True)

    assert 'data-configured="closed"' in html
    assert '<option value="closed" selected>' in html


def test_the_try_task_pane_is_the_real_one_with_the_shim_instead_of_office_js(client):
    html = client.get("/try/outlook/taskpane").get_data(as_text=True)

    assert '<base href="/addin/outlook/">' in html
    assert "appsforoffice.microsoft.com" not in html
    assert scripts(html) == ["/static/try/office-shim.js", "vendor/msal-browser.min.js", "commands.js", "taskpane.js"]


@pytest.mark.parametrize("path", ["/try/outlook", "/try/outlook/taskpane", "/static/try/office-shim.js"])
def test_the_try_pages_exist_in_development(client, path):
    response = client.get(path)
    assert response.status_code == 200
    response.close()


@pytest.mark.parametrize("path", ["/try/outlook", "/try/outlook/taskpane"])
def test_the_try_pages_are_a_404_in_production(app, client, path):
    app.config["ENV"] = "production"

    assert client.get(path).status_code == 404


def test_the_front_page_links_to_the_try_page_in_development_only(app, client):
    assert 'href="/try/outlook"' in client.get("/").get_data(as_text=True)

    app.config["ENV"] = "production"

    assert "/try/outlook" not in client.get("/").get_data(as_text=True)
