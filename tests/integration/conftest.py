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


#: A leaver whose last working day was long ago, entered and edited on the console (tests/integration/conftest.py).
ZOE = {
    "email": "zoe@northwind.example",
    "aliases": "z.ross@northwind.example",
    "personal_addresses": "zoe.home@gmail.com, zoe.ross@proton.me",
    "notice_date": "2025-09-01",
    "last_working_date": "2025-10-31",
    "successor": "bob@northwind.example",
}


@pytest.fixture
def zoe(engine) -> int:
    """Zoe's departure (its id), added and edited on the console in 2025: two audit events copy her record."""
    from datetime import UTC, datetime

    from server.services import register

    added = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
    departure_id = register.add(engine, ZOE, actor="hana@northwind.example", now=added)
    found, _ = register.find(engine, departure_id, added)
    edited = ZOE | {"successor": "carol@northwind.example"}
    register.save(
        engine, departure_id, edited, found.version, take_over=False, actor="hana@northwind.example", now=added
    )
    return departure_id
