"""Fixtures: app -> client -> runner, on SQLite and on PostgreSQL.

Every test that uses `app` runs once per database backend. PostgreSQL comes
from TEST_DATABASE_URL (scripts/with-postgres.sh sets it); without it the
PostgreSQL variant skips, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import delete

from server import create_app, db
from server.tables import metadata

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
