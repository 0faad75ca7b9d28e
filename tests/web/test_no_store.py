"""No answer is kept by a browser or a proxy: `Cache-Control: no-store` everywhere but public static files.

Pages and API answers show messages, decisions and people; a shared computer's back button or a
proxy must not keep them. Every route is found in the app's url_map (a new one is covered without
touching this file) and requested with real ids, so the pages answer with their content.
"""

from __future__ import annotations

import pytest

from ..integration.signoff_helpers import link_path, queued
from .console_helpers import ALICE, CSRF, HR, ROLES, ask_signoff, audit_rows, seed, sign_in
from .route_helpers import filled_path, rules, verbs

#: Files anyone may fetch and that hold nothing about anyone: they keep their own caching.
PUBLIC = ("/static/", "/addin/", "/.well-known/")


@pytest.fixture
def app(app):
    app.config.update(ROLES)
    seed(app.extensions["leaverguard.engine"])
    return app


@pytest.fixture
def existing_ids(client, engine) -> dict[str, str]:
    """A real id for each kind of id a route takes: a sign-off request, its mail, an audit event, a departure…"""
    approval_id = ask_signoff(client)
    with engine.connect() as conn:
        departure_id = conn.exec_driver_sql("SELECT id FROM departures").scalars().first()
        account_id = conn.exec_driver_sql("SELECT id FROM client_accounts").scalars().first()
    ids = {
        "approval_id": approval_id,
        "mail_id": queued(engine)[0]["id"],
        "event_id": audit_rows(engine)[-1]["id"],
        "departure_id": departure_id,
        "account_id": account_id,
    }
    return {name: str(value) for name, value in ids.items()}


def cache_control(client, verb: str, path: str) -> tuple[int, str]:
    options = {"headers": {"Authorization": f"Dev {ALICE}"}, "data": {"csrf_token": CSRF}}
    with client.open(path, method=verb, **options) as response:
        return response.status_code, response.headers.get("Cache-Control", "")


def test_every_answer_but_public_files_says_no_store(app, client, existing_ids):
    admin = sign_in(client, "ada@northwind.example")
    answers = {
        f"{verb} {path}": cache_control(admin, verb, path)
        for rule in rules(app)
        for path in [filled_path(rule, ids=existing_ids)]
        if not path.startswith(PUBLIC)
        for verb in verbs(rule)
    }

    assert len([status for status, _ in answers.values() if status == 200]) >= 20  # the pages showed their content
    assert {what: header for what, (_, header) in answers.items() if header != "no-store"} == {}


@pytest.mark.parametrize("path", ["/static/admin.css", "/addin/outlook/taskpane.html"])
def test_public_files_keep_their_own_caching(client, path):
    with client.get(path) as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_the_approval_page_with_the_message_is_not_stored(client, engine):
    ask_signoff(client)
    hr = sign_in(client, HR)
    mail = queued(engine, "approval.request")[0]

    response = hr.get(link_path(mail["text_body"]))

    assert response.status_code == 200 and "Bob takes over" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/admin/audit/export.csv", "/admin/departures/export", "/admin/clients/export"])
def test_exports_are_not_stored(client, path):
    admin = sign_in(client, "ada@northwind.example")

    with admin.get(path) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
