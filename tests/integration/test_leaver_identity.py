"""Leavers are recognised by who they are: Entra ID tokens whose UPN is not the address the register knows.

Through `POST /api/v1/check`, `POST /api/v1/approvals` and `GET /api/v1/approvals/<id>` with real
signed tokens (tests/entra_tokens.py): a leaver is found by her object id, by an e-mail claim that is
one of her proxy addresses, by a v1 `unique_name`; someone else's object id with her UPN is not her;
and her sign-off requests and audit rows are kept under her record's primary address whatever the
token called her.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from server import demo, signoff_store, store
from server.services import signoff

from .signoff_helpers import CAROL, HR, KIM, REQUEST

ALICE = "alice@northwind.example"
ALIAS = "a.smith@northwind.example"  # her proxy address, an alias in the register
UPN = "asmith@northwind.onmicrosoft.com"  # her user principal name: in no record
ALICE_OID = "11111111-1111-4111-8111-111111111111"
NEWCOMER_OID = "22222222-2222-4222-8222-222222222222"
CAROL_OID = "33333333-3333-4333-8333-333333333333"
TO_KIM = {"to": [KIM], "subject": "Handover", "body": "Hello Kim, Bob takes over from Monday."}


@pytest.fixture
def northwind(app, engine):
    app.config["HR_APPROVERS"] = (HR,)
    assert demo.seed(engine, datetime.now(UTC))
    return engine


def link_alice(engine, oid: str = ALICE_OID) -> None:
    """What the Entra ID sync records: Alice's object id and tenant on her departure."""
    from tests.entra_tokens import TENANT

    with engine.begin() as conn:
        alice = store.find_departure(conn, ALICE)
        store.save_departure(conn, replace(alice, object_id=oid, tenant_id=TENANT), datetime.now(UTC))


def verdict(client, headers: dict, message: dict = TO_KIM) -> str:
    response = client.post("/api/v1/check", headers=headers, json=message)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["verdict"]


RECOGNISED = [
    pytest.param(True, {"preferred_username": UPN, "oid": ALICE_OID}, id="by object id, her UPN in no record"),
    pytest.param(
        False,
        {"preferred_username": UPN, "oid": ALICE_OID, "email": ALIAS},
        id="by the email claim, one of her proxy addresses, before any sync linked her",
    ),
    pytest.param(
        False,
        {"version": 1, "upn": UPN, "oid": ALICE_OID, "unique_name": ALICE},
        id="by a v1 token's unique_name",
    ),
    pytest.param(False, {"preferred_username": ALIAS.upper(), "oid": ALICE_OID}, id="by a UPN that is her alias"),
]


@pytest.mark.parametrize(("linked", "claims"), RECOGNISED)
def test_a_leaver_whose_upn_is_not_her_mail_is_recognised_and_held(client, northwind, entra_tokens, linked, claims):
    if linked:
        link_alice(northwind)

    assert verdict(client, entra_tokens(**claims)) == "require_approval"


def test_a_colleague_with_an_object_id_the_register_does_not_know_is_allowed(client, northwind, entra_tokens):
    link_alice(northwind)

    assert verdict(client, entra_tokens(preferred_username=CAROL, oid=CAROL_OID, email=CAROL)) == "allow"


def test_someone_elses_object_id_with_the_leavers_upn_is_not_the_leaver(client, northwind, entra_tokens):
    """Alice's UPN was given to a newcomer: the record names Alice's account, so the newcomer is not held."""
    link_alice(northwind)

    assert verdict(client, entra_tokens(preferred_username=ALICE, oid=NEWCOMER_OID)) == "allow"
    assert verdict(client, entra_tokens(preferred_username="new.name@northwind.example", oid=ALICE_OID)) == (
        "require_approval"
    )


def test_a_check_by_object_id_is_audited_under_the_leavers_primary_address(client, northwind, entra_tokens):
    link_alice(northwind)

    verdict(client, entra_tokens(preferred_username=UPN, oid=ALICE_OID))

    with northwind.connect() as conn:
        (event,) = store.audit_events(conn, limit=1)
    assert (event["actor"], event["details"]["signed_in_as"]) == (ALICE, UPN)


def test_a_leaver_known_only_by_object_id_asks_hr_and_sees_her_request_under_any_name(client, northwind, entra_tokens):
    link_alice(northwind)
    by_oid = entra_tokens(preferred_username=UPN, oid=ALICE_OID)

    created = client.post("/api/v1/approvals", headers=by_oid, json=REQUEST)

    assert created.status_code == 201, created.get_json()
    approval_id = created.get_json()["approval"]["id"]
    with northwind.connect() as conn:
        stored = signoff_store.get_request(conn, approval_id)
    assert (stored["sender_key"], stored["sender_email"]) == (ALICE, ALICE)
    for headers in (by_oid, {"Authorization": f"Dev {ALIAS}"}, {"Authorization": f"Dev {ALICE}"}):
        assert client.get(f"/api/v1/approvals/{approval_id}", headers=headers).status_code == 200
    for stranger in (entra_tokens(preferred_username=ALICE, oid=NEWCOMER_OID), {"Authorization": f"Dev {CAROL}"}):
        assert client.get(f"/api/v1/approvals/{approval_id}", headers=stranger).status_code == 404


def test_an_approval_asked_for_under_an_alias_lifts_the_message_sent_under_the_object_id(
    app, client, northwind, entra_tokens
):
    link_alice(northwind)
    asked = client.post("/api/v1/approvals", headers={"Authorization": f"Dev {ALIAS}"}, json=REQUEST)
    approval_id = asked.get_json()["approval"]["id"]
    signoff.decide_request(
        northwind,
        approval_id,
        approve=True,
        comment="",
        user=HR,
        settings=signoff.SignoffSettings.from_config(app.config),
        now=datetime.now(UTC),
    )

    again = client.post("/api/v1/approvals", headers=entra_tokens(preferred_username=UPN, oid=ALICE_OID), json=REQUEST)

    assert (again.status_code, again.get_json()["approval"]["id"]) == (200, approval_id)
    assert verdict(client, entra_tokens(preferred_username=UPN, oid=ALICE_OID), TO_KIM | {"mode": "send"}) == "allow"
