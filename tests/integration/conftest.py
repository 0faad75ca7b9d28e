"""Fixtures of the integration tests beyond tests/conftest.py."""

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from jwt import PyJWK

from server import create_app, db, demo
from server.auth import DevVerifier, Verifiers
from server.auth.entra import EntraSettings, EntraVerifier
from server.auth.entra_keys import SigningKeys
from tests import entra_tokens as entra_tokens_module
from tests import gmail_tokens
from tests.integration import gmail_helpers
from tests.integration.signoff_helpers import HR

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
    from server.services import register

    added = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
    departure_id = register.add(engine, ZOE, actor="hana@northwind.example", now=added)
    found, _ = register.find(engine, departure_id, added)
    edited = ZOE | {"successor": "carol@northwind.example"}
    register.save(
        engine, departure_id, edited, found.version, take_over=False, actor="hana@northwind.example", now=added
    )
    return departure_id


@pytest.fixture
def entra_tokens(app):
    """The test app also takes Entra ID bearer tokens signed by tests.entra_tokens' key (served in-process).

    Returns a function: `sign(**claims)` is the `Authorization` header of a v2 token with those claims
    (v1 with `version=1`). The development scheme is still accepted next to it.
    """
    key = entra_tokens_module.make_key("identity-key")
    keys = SigningKeys(lambda _tenant: {key.kid: PyJWK(key.jwk, algorithm="RS256")}, lambda: 0.0)
    settings = EntraSettings(client_id=entra_tokens_module.CLIENT_ID, tenants=(entra_tokens_module.TENANT,))
    app.extensions["leaverguard.verifiers"] = Verifiers([EntraVerifier(settings, keys), DevVerifier()])

    def sign(version: int = 2, **claims) -> dict[str, str]:
        build = entra_tokens_module.v1_claims if version == 1 else entra_tokens_module.v2_claims
        return {"Authorization": f"Bearer {entra_tokens_module.token(key, build(**claims))}"}

    return sign


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


@pytest.fixture
def google_certs():
    """Google's certificates URL answered with the test key of tests.gmail_tokens, as Google answers it."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gmail_tokens.mock_certs(rsps, gmail_tokens.key())
        yield rsps


@pytest.fixture
def gmail(app, northwind, google_certs):
    """A client of an app with the Gmail add-on switched on, HR approvers set and the demo organisation seeded."""
    gmail_helpers.configure(app, HR_APPROVERS=(HR,))
    return app.test_client()
