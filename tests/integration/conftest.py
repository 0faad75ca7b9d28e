"""Fixtures of the integration tests beyond tests/conftest.py."""

import pytest

from server import create_app, db

from ..throwaway_postgres import throwaway_postgres


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


@pytest.fixture(scope="module")
def own_postgres():
    """A PostgreSQL server of this module's own (tests/throwaway_postgres.py), which its tests may freeze."""
    with throwaway_postgres() as server:
        yield server
