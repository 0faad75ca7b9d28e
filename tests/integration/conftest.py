"""Fixtures of the integration tests beyond tests/conftest.py."""

import csv
from pathlib import Path

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


@pytest.fixture
def clients_file(tmp_path):
    """Writes a clients file of `contacts` contacts: 100 contacts and 10 domains per account (bench/import_bench.py's
    shape), contact `n` being person<n>@client<account>-0.example and domain `d` client<account>-<d>.example."""

    def write(contacts: int, name: str = "clients.csv") -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["Account", "Domain", "ContactEmail", "ContactName", "OwnerEmail"])
            for account in range(contacts // 100):
                label, owner = f"Account {account:05d}", f"owner{account % 50}@northwind.example"
                writer.writerows([label, f"client{account:05d}-{d}.example", "", "", owner] for d in range(10))
                writer.writerows(
                    [label, "", f"person{account * 100 + c}@client{account:05d}-0.example", f"Person {c}", owner]
                    for c in range(100)
                )
        return path

    return write
