"""What the sign-in provider tests share: an app with a provider on, looks into its session and audit log, and
the check that a failed sign-in is a page with a way back and nobody signed in."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from server import create_app, store
from server.tables import metadata

PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": "s" * 40,
    "BASE_URL": "https://lg.northwind.example",
    "MAIL_TRANSPORT": "smtp",
    "SMTP_HOST": "smtp.northwind.example",
    "MAIL_FROM": "leaverguard@northwind.example",
}


def console(database_url: str, tmp_path, **settings: Any) -> Flask:
    """A development app (unless `settings` say otherwise) on an emptied database."""
    values = {"ENV": "development", "TESTING": True, "DATABASE_URL": database_url, "LOG_FORMAT": "text"}
    app = create_app(values | settings)
    app.instance_path = str(tmp_path)
    with app.extensions["leaverguard.engine"].begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    return app


def session_of(client: FlaskClient) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def signin_events(app: Flask) -> list[dict[str, Any]]:
    with app.extensions["leaverguard.engine"].connect() as conn:
        return [event for event in store.audit_events(conn) if event["kind"] == "signin"]


def assert_failed(response, status: int, sentence: str, client: FlaskClient, secret: str) -> None:
    """A failure page: `status`, the `sentence`, a "try again" link, no trace, no secret, nobody signed in."""
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert sentence in page
    assert "Try again" in page and 'href="/signin?next=' in page
    assert "Traceback" not in page and secret not in page
    assert "user" not in session_of(client) and "signin_pending" not in session_of(client)
