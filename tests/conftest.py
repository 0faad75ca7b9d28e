"""Fixtures: app -> client -> runner, on SQLite and on PostgreSQL.

Every test that uses `app` runs once per database backend. PostgreSQL comes
from TEST_DATABASE_URL (scripts/with-postgres.sh sets it); without it the
PostgreSQL variant skips, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from server import create_app, db
from server.tables import approval_requests, metadata

from .builders import make_departure, make_message, make_settings


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL not available (set TEST_DATABASE_URL or run `make test`)")
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated, empty database of each backend, shared by the session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'leaverguard.db'}"
    else:
        url = _postgres_url()
    engine = db.make_engine(url)
    if request.param == "postgresql":
        metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    db.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({"ENV": "development", "TESTING": True, "DATABASE_URL": database_url, "LOG_FORMAT": "text"})
    app.instance_path = str(tmp_path)
    _empty(app.extensions["leaverguard.engine"])
    yield app
    db.dispose(app)


def _empty(engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def engine(app):
    return app.extensions["leaverguard.engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def message_builder():
    return make_message


@pytest.fixture
def departure_builder():
    return make_departure


@pytest.fixture
def settings_builder():
    return make_settings


@pytest.fixture
def requests_in_each_state(app, client, engine) -> dict[str, int]:
    """Sign-off requests of the demo leaver, made now, by state (ids): the message names an attachment and its text
    a private phone number (a solicitation signal quotes it).

    pending and approved stay so for a year; lapsed was approved and its approval lapses with the usual expiry;
    expired is left pending (housekeeping expires it after the usual expiry); rejected, consumed (sent on its
    approval) were decided now.
    """
    from server.services import signoff  # here, not at the top: most tests of the session need none of it

    from .integration.signoff_helpers import HR, check, seed

    app.config["HR_APPROVERS"] = (HR,)
    seed(engine)
    now = datetime.now(UTC)
    ids = {state: _ask(client, SIGNED_OFF | {"subject": state}) for state in SIGNOFF_STATES}
    settings = signoff.SignoffSettings.from_config(app.config)
    for state in ("approved", "lapsed", "rejected", "consumed"):
        decision = {"approve": state != "rejected", "comment": f"{state}: fine by HR", "user": HR}
        signoff.decide_request(engine, ids[state], **decision, settings=settings, now=now)
    message = {name: SIGNED_OFF[name] for name in ("to", "cc", "body", "attachments")}
    assert check(client, message | {"subject": "consumed"})["approval"]["status"] == "consumed"  # sent on approval
    with engine.begin() as conn:
        long_lived = approval_requests.c.id.in_([ids["pending"], ids["approved"]])
        conn.execute(update(approval_requests).where(long_lived).values(expires_at=now + timedelta(days=365)))
    return ids


SIGNOFF_STATES = ("pending", "approved", "lapsed", "expired", "rejected", "consumed")
SIGNED_OFF = {
    "to": ["kim@contoso.example"],
    "cc": ["bob@northwind.example"],
    "body": "Hello Kim, call me on my private mobile +34 600 123 456. Bob takes over.",
    "attachments": [{"name": "client-list.xlsx", "size": 48213}],
    "justification": "A farewell note that introduces Bob.",
    "attestation": True,
}


def _ask(client, payload: dict) -> int:
    response = client.post("/api/v1/approvals", headers={"Authorization": "Dev alice@northwind.example"}, json=payload)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["approval"]["id"]
