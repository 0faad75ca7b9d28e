"""Which departure is the caller's: by directory account first, then by the token's addresses in order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.identities import Identity, Match, choose
from server.model import normalise_address

from ..builders import make_departure

TENANT = "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b"
OTHER_TENANT = "0f9e8d7c-6b5a-4948-8372-615f4e3d2c1b"
ALICE_OID = "11111111-1111-4111-8111-111111111111"
NEWCOMER_OID = "22222222-2222-4222-8222-222222222222"
ALICE = "alice@northwind.example"
UPN = "asmith@northwind.onmicrosoft.com"

UNLINKED = make_departure(ALICE, aliases=("a.smith@northwind.example",))
LINKED = replace(UNLINKED, object_id=ALICE_OID, tenant_id=TENANT)
DMITRI = make_departure("dmitri@northwind.example")


def entra(name=UPN, oid=ALICE_OID, tenant=TENANT, emails=()) -> Identity:
    return Identity(normalise_address(name), "bearer", oid, tenant, tuple(normalise_address(e) for e in emails))


def by_address(departure, *addresses) -> Match:
    return Match(departure, keys=frozenset(normalise_address(a).key for a in addresses))


CASES = [
    pytest.param(
        entra(), [Match(LINKED, by_object_id=True)], LINKED, id="by object id alone (the UPN is in no record)"
    ),
    pytest.param(
        entra(ALICE),
        [Match(LINKED, by_object_id=True), by_address(DMITRI, ALICE)],
        LINKED,
        id="the object id wins over an address another record holds",
    ),
    pytest.param(entra(ALICE), [by_address(UNLINKED, ALICE)], UNLINKED, id="a record no sync linked, by the UPN"),
    pytest.param(
        entra(emails=["A.Smith@northwind.example"]),
        [by_address(UNLINKED, "a.smith@northwind.example")],
        UNLINKED,
        id="by an e-mail claim when the UPN is nobody's",
    ),
    pytest.param(
        entra(ALICE, oid=NEWCOMER_OID),
        [by_address(LINKED, ALICE)],
        None,
        id="someone else's object id with the leaver's UPN (a reused name) is not the leaver",
    ),
    pytest.param(
        entra(ALICE, oid=NEWCOMER_OID, tenant=OTHER_TENANT),
        [by_address(LINKED, ALICE)],
        LINKED,
        id="an account of another tenant cannot contradict the record: the address counts",
    ),
    pytest.param(
        entra(ALICE, oid=None, tenant=None),
        [by_address(LINKED, ALICE)],
        LINKED,
        id="a token without an object id is matched by address",
    ),
    pytest.param(
        entra(ALICE, emails=["dmitri@northwind.example"]),
        [by_address(DMITRI, "dmitri@northwind.example"), by_address(UNLINKED, ALICE)],
        UNLINKED,
        id="the sign-in name comes before the e-mail claims",
    ),
    pytest.param(
        entra(ALICE, emails=["dmitri@northwind.example"]),
        [by_address(replace(LINKED, object_id=NEWCOMER_OID), ALICE), by_address(DMITRI, "dmitri@northwind.example")],
        DMITRI,
        id="an address held by another account's record is passed over for the next one",
    ),
    pytest.param(
        Identity(normalise_address(ALICE), "gmail"),
        [by_address(replace(LINKED, tenant_id="google", object_id="1043"), ALICE)],
        replace(LINKED, tenant_id="google", object_id="1043"),
        id="a Google caller by the account's address",
    ),
    pytest.param(entra(), [], None, id="nobody in the register"),
    pytest.param(entra(), [Match(LINKED, keys=frozenset())], None, id="a match by neither way is no match"),
]


@pytest.mark.parametrize(("identity", "matches", "expected"), CASES)
def test_the_callers_departure_is_chosen_by_object_id_first_then_by_address(identity, matches, expected):
    assert choose(identity, matches) == expected


def test_a_match_flagged_by_object_id_must_really_carry_the_callers_account():
    assert choose(entra(oid=NEWCOMER_OID), [Match(LINKED, by_object_id=True)]) is None


def test_the_identitys_addresses_start_with_the_sign_in_name_and_hold_each_key_once():
    identity = entra(ALICE, emails=["Alice+news@northwind.example", "a.smith@northwind.example"])

    assert [a.email for a in identity.addresses] == [ALICE, "a.smith@northwind.example"]
    assert identity.keys == (ALICE, "a.smith@northwind.example")
