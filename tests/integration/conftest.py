"""Fixtures of the integration tests beyond tests/conftest.py."""

from datetime import UTC, datetime

import pytest

from server import create_app, db, demo


@pytest.fixture
def make_runner(tmp_path):
    """Builds CLI runners of development apps on a throw-away SQLite file, with settings of the test's choosing."""
    apps = []

    def make(**config):
        settings = {"ENV": "development", "TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'lg.db'}"}
        app = create_app(settings | config)
        apps.append(app)
        return app.test_cli_runner()

    yield make
    for app in apps:
        db.dispose(app)


@pytest.fixture
def northwind(engine):
    """The demo organisation of the README, seeded for today (a test module may define its own)."""
    assert demo.seed(engine, datetime.now(UTC))
    return engine
