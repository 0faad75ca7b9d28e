"""A person on the departures register has no use of the console, whatever role they hold (issue 12).

A leaver with the hr or admin role could otherwise withdraw her own departure (and be answered like a colleague
from then on), change the policy, decide sign-offs, or export the client directory on her way out.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server import store
from server.tables import departures

from .console_helpers import ALICE, CSRF, seed, sign_in
from .register_helpers import text

LEAVER_ROLES = [{"HR_USERS": (ALICE,)}, {"ADMIN_USERS": (ALICE,)}]


@pytest.fixture(params=LEAVER_ROLES, ids=["hr", "admin"])
def alice(console, engine, request):
    """The demo leaver Alice, signed in to the console with the hr or the admin role."""
    seed(engine)
    console.config.update({key: (*console.config[key], *people) for key, people in request.param.items()})
    return sign_in(console.test_client(), ALICE)


def departure_id(engine, address: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(departures.c.id).where(departures.c.email == address))


@pytest.mark.parametrize(
    "path",
    ["/admin/clients/export", "/admin/departures/export", "/admin/audit/export.csv"],
)
def test_a_leaver_with_a_console_role_cannot_export(alice, path):
    with alice.get(path) as answer:
        answer.get_data()

    assert answer.status_code == 403
    assert "on the departures register" in text(answer)


def test_a_leaver_with_a_console_role_cannot_withdraw_her_own_departure(alice, engine):
    answer = alice.post(f"/admin/departures/{departure_id(engine, ALICE)}/withdraw", data={"csrf_token": CSRF})

    assert answer.status_code == 403
    with engine.connect() as conn:
        assert store.find_departure(conn, ALICE).status.value == "active"


@pytest.mark.parametrize("path", ["/admin/", "/admin/clients", "/admin/clients/1", "/admin/departures"])
def test_a_leaver_with_a_console_role_cannot_read_the_console_either(alice, path):
    """Reading is enough to copy the client directory page by page (a second review found it)."""
    answer = alice.get(path)

    assert answer.status_code == 403
    assert "kim@contoso.example" not in text(answer)
