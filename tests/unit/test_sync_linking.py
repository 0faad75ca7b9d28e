"""The link rule, as tables: a hand-entered departure gets the directory account that has one of its addresses,
with the account's other addresses as aliases; ambiguity, an account held already, or an address held by someone
else is reported and changes nothing of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from server.model import Departure
from server.sync.linking import plan_links
from server.sync.merge import plan_departures
from server.sync.records import Conflict, DirectoryUser, Leaver, Problem, Rules

TENANT = "11111111-2222-3333-4444-555555555555"
KIM_OID = "AAAAAAAA-0000-4000-8000-000000000001"
LEE_OID = "aaaaaaaa-0000-4000-8000-000000000002"
KIM = "kim@northwind.example"
KIM_UPN = "ksmith@northwind.onmicrosoft.com"
KIM_PROXY = "k.smith@northwind.example"


def manual(email=KIM, aliases=(), **fields) -> Departure:
    return Departure(
        email=email, notice_date=date(2026, 11, 1), last_working_date=date(2026, 12, 31), aliases=aliases, **fields
    )


def kim(*addresses: str, oid: str = KIM_OID) -> DirectoryUser:
    return DirectoryUser(KIM_UPN, oid, TENANT, addresses or (KIM, KIM_UPN, KIM_PROXY))


LINKED_KIM = replace(
    manual(aliases=(KIM_PROXY, KIM_UPN)), object_id=KIM_OID.lower(), tenant_id=TENANT, aliases=(KIM_PROXY, KIM_UPN)
)

LINKS = [
    pytest.param([kim()], [manual()], {}, {}, [LINKED_KIM], [], id="by the primary address: UPN and proxies added"),
    pytest.param(
        [kim()],
        [manual(KIM_PROXY)],
        {},
        {},
        [replace(manual(KIM_PROXY), object_id=KIM_OID.lower(), tenant_id=TENANT, aliases=(KIM, KIM_UPN))],
        [],
        id="by a proxy address the record was entered with",
    ),
    pytest.param(
        [kim(KIM, "KSmith@Northwind.onmicrosoft.com", KIM_PROXY)],
        [manual("kim.s@northwind.example", aliases=(KIM_UPN,))],
        {},
        {},
        [
            replace(
                manual("kim.s@northwind.example"),
                object_id=KIM_OID.lower(),
                tenant_id=TENANT,
                aliases=(KIM_PROXY, KIM, KIM_UPN),
            )
        ],
        [],
        id="by an alias that is the UPN in another case",
    ),
    pytest.param([kim()], [manual("lee@northwind.example")], {}, {}, [], [], id="nobody with its addresses"),
    pytest.param(
        [kim(KIM), DirectoryUser("lee", LEE_OID, TENANT, (KIM_PROXY,))],
        [manual(aliases=(KIM_PROXY,))],
        {},
        {},
        [],
        [Problem(KIM, "matches several directory accounts (ksmith@northwind.onmicrosoft.com, lee); not linked")],
        id="two accounts have its addresses",
    ),
    pytest.param(
        [kim()],
        [manual()],
        {(TENANT, KIM_OID.lower()): "kim.old@northwind.example"},
        {},
        [],
        [Problem(KIM, "its directory account is kim.old@northwind.example's record; not linked")],
        id="the account is another record's already",
    ),
    pytest.param(
        [kim()],
        [manual(), manual(KIM_PROXY)],
        {},
        {},
        [],
        [
            Problem(KIM, f"{KIM_UPN} matches {KIM_PROXY}, {KIM}: not linked"),
            Problem(KIM_PROXY, f"{KIM_UPN} matches {KIM_PROXY}, {KIM}: not linked"),
        ],
        id="two hand-entered records match one account",
    ),
    pytest.param(
        [kim()],
        [manual()],
        {},
        {KIM_PROXY: "dmitri@northwind.example", KIM: KIM},
        [replace(LINKED_KIM, aliases=(KIM_UPN,))],
        [Problem(KIM, f"alias {KIM_PROXY} left out: it is dmitri@northwind.example's")],
        id="an address someone else sends as is left out",
    ),
    pytest.param(
        [kim(KIM, "not an address", KIM_UPN)],
        [manual()],
        {},
        {},
        [replace(LINKED_KIM, aliases=(KIM_UPN,))],
        [],
        id="a directory value that is no address is ignored",
    ),
]


@pytest.mark.parametrize(("users", "candidates", "holders", "taken", "linked", "problems"), LINKS)
def test_a_hand_entered_departure_is_linked_to_the_one_account_with_its_address(
    users, candidates, holders, taken, linked, problems
):
    assert plan_links(users, candidates, holders, taken) == (tuple(linked), tuple(problems))


RULES = Rules(source="entra", today=date(2026, 11, 22))


def test_a_leaver_is_recorded_with_her_directory_account():
    record = Leaver(KIM_UPN, KIM, date(2026, 12, 31), object_id=KIM_OID, tenant_id=TENANT)

    (added,) = plan_departures([record], {}, {}, RULES).add

    assert (added.object_id, added.tenant_id) == (KIM_OID.lower(), TENANT)


def test_a_leaver_whose_account_a_hand_entered_record_holds_is_a_conflict_not_a_second_record():
    record = Leaver(KIM_UPN, "kim.new@northwind.example", date(2026, 12, 31), object_id=KIM_OID, tenant_id=TENANT)

    plan = plan_departures([record], {}, {}, RULES, accounts={(TENANT, KIM_OID.lower()): "manual"})

    assert (plan.add, plan.conflicts) == ((), (Conflict("departure", "kim.new@northwind.example", "manual", KIM_UPN),))
