"""Sessions end: every sign-in is a permanent cookie of PERMANENT_SESSION_LIFETIME (8 h), an older cookie means
signed out, and a sign-in older than the lifetime ends even while the person keeps clicking."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from itsdangerous import TimestampSigner

from server import db
from server.web.signin import SESSION_LIFETIME, SIGNED_IN_AT
from tests.integration.signoff_helpers import sign_in
from tests.web.signin_helpers import console, session_of

ADA = "ada@northwind.example"
LATER = SESSION_LIFETIME + timedelta(minutes=1)


@pytest.fixture
def client(database_url, tmp_path):
    app = console(database_url, tmp_path, ADMIN_USERS=(ADA,))
    yield app.test_client()
    db.dispose(app)


def session_cookie_expiry(response) -> datetime:
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    expires = next(part for part in cookie.split(";") if part.strip().lower().startswith("expires="))
    return parsedate_to_datetime(expires.split("=", 1)[1])


def test_a_sign_in_is_a_permanent_cookie_that_lasts_eight_hours(client):
    page = client.get("/signin").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    response = client.post("/signin", data={"csrf_token": token, "email": ADA, "next": "/admin/"})

    assert session_of(client)["_permanent"] is True
    left = session_cookie_expiry(response) - datetime.now(UTC)
    assert timedelta(hours=7, minutes=59) < left <= timedelta(hours=8)


def test_a_cookie_older_than_the_lifetime_means_signed_out(client, monkeypatch):
    sign_in(client, ADA)
    assert client.get("/admin/").status_code == 200
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + int(LATER.total_seconds()))

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/admin/"


def test_a_sign_in_older_than_the_lifetime_ends_even_while_the_person_stays_active(client):
    sign_in(client, ADA)
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] = int(time.time() - LATER.total_seconds())

    response = client.get("/admin/")

    assert response.status_code == 302 and response.headers["Location"] == "/signin?next=/admin/"
    assert "user" not in session_of(client)


def test_a_sign_in_within_the_lifetime_stays(client):
    sign_in(client, ADA)
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] = int(time.time() - (SESSION_LIFETIME - timedelta(minutes=5)).total_seconds())

    assert client.get("/admin/").status_code == 200
