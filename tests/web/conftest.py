"""Fixtures of the page tests: the app with the admin console's people and roles, and an admin signed in."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from server import store
from server.model import Departure, normalise_address
from server.tables import audit_events

from .console_helpers import TO_KIM, ask_signoff, check, seed
from .register_helpers import ADMIN, signed_in, with_roles


@pytest.fixture
def console(app):
    """The conftest app with the console's people and their roles (a test module may define its own)."""
    return with_roles(app)


@pytest.fixture
def admin(console):
    """A test client signed in as the admin."""
    return signed_in(console.test_client(), ADMIN)


@pytest.fixture
def exportable(console, engine):
    """The demo, and in each export a value a spreadsheet would run as a formula (no export made yet)."""
    seed(engine)
    now = datetime.now(UTC)
    client = console.test_client()
    check(client, TO_KIM)  # Alice's held send: evidence
    ask_signoff(client, payload=TO_KIM | {"subject": "@SUM(A1:A9)"})
    with engine.begin() as conn:
        account_id = store.ensure_account(conn, '=HYPERLINK("https://evil.example","Contoso")', None, "manual", now)
        store.add_client_domain(conn, account_id, "evil.example")
        store.add_client_contact(conn, account_id, normalise_address("x@evil.example"), "-2+3")
        leaver = Departure("=cmd@northwind.example", now.date(), now.date(), personal_addresses=("+1@mail.example",))
        store.save_departure(conn, leaver, now)
        conn.execute(insert(audit_events).values(at=now, kind="check", actor="=cmd@northwind.example", details={}))
