"""The merge rules of syncs, as tables: add, update, remove only own records, never touch others', conflicts,
empty answers and large drops refused, malformed records skipped while the rest applies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from server.model import Departure, PolicySettings
from server.sync.merge import plan_departures, refusal
from server.sync.merge_clients import plan_clients
from server.sync.records import Account, Claims, Conflict, Contact, Leaver, PlannedAccount, Problem, Rules

TODAY = date(2026, 11, 22)
DAY = timedelta(days=1)
RULES = Rules(source="entra", today=TODAY, max_drop_share=0.5, lookback_days=30)
COMPANY = PolicySettings(internal_domains=frozenset({"northwind.example"}))
OUTSIDE = "is not in the company's domains (northwind.example): a leaver's work addresses are"


def leaver(email="alice@northwind.example", last=TODAY + 20 * DAY, **fields) -> Leaver:
    return Leaver(ref=fields.pop("ref", email or "?"), email=email, last_working_date=last, **fields)


def stored(email="alice@northwind.example", last=TODAY + 20 * DAY, notice=TODAY - 10 * DAY, **fields) -> Departure:
    fields.setdefault("source", "entra")
    return Departure(email=email, notice_date=notice, last_working_date=last, **fields)


def owned(*departures: Departure) -> dict[str, Departure]:
    return {d.email: d for d in departures}


# --- departures: what each record becomes --------------------------------------------

NEW = "alice@northwind.example"


@pytest.mark.parametrize(
    ("records", "mine", "others", "expected"),
    [
        pytest.param([leaver()], {}, {}, {"add": [NEW]}, id="a new leaver is added"),
        pytest.param([leaver()], owned(stored(notice=TODAY)), {}, {"unchanged": 1}, id="an unchanged one is left"),
        pytest.param(
            [leaver(last=TODAY + 9 * DAY)], owned(stored()), {}, {"update": [NEW]}, id="a changed own one is updated"
        ),
        pytest.param(
            [leaver("bob@northwind.example")],
            owned(stored(), stored("bob@northwind.example")),
            {},
            {"remove": ["alice@northwind.example"], "unchanged": 1},
            id="an own record the answer no longer lists is removed",
        ),
        pytest.param(
            [leaver()], {}, {NEW: "manual"}, {"conflicts": [("departure", NEW, "manual")]}, id="a manual one is kept"
        ),
        pytest.param(
            [leaver()], {}, {NEW: "hubspot"}, {"conflicts": [("departure", NEW, "hubspot")]}, id="another source's too"
        ),
        pytest.param(
            [leaver(last=TODAY - 31 * DAY), leaver("bob@northwind.example")],
            owned(stored(last=TODAY - 31 * DAY, notice=TODAY - 60 * DAY), stored("bob@northwind.example")),
            {},
            {"remove": [NEW], "unchanged": 1},
            id="a leaver gone longer than the lookback is removed",
        ),
        pytest.param(
            [leaver(last=TODAY - 30 * DAY)], {}, {}, {"add": [NEW]}, id="one gone within the lookback is kept"
        ),
    ],
)
def test_each_departure_record_is_added_updated_removed_or_left_by_the_rules(records, mine, others, expected):
    plan = plan_departures(records, mine, others, RULES)

    assert [d.email for d in plan.add] == expected.get("add", [])
    assert [d.email for d in plan.update] == expected.get("update", [])
    assert list(plan.remove) == expected.get("remove", [])
    assert plan.unchanged == expected.get("unchanged", 0)
    assert [(c.kind, c.value, c.held_by) for c in plan.conflicts] == expected.get("conflicts", [])
    assert plan.refused is None


def test_nothing_held_by_another_source_is_ever_in_a_plan():
    others = {"carol@northwind.example": "manual", "dmitri@northwind.example": "csv"}
    records = [leaver("carol@northwind.example"), leaver("dmitri@northwind.example"), leaver()]

    plan = plan_departures(records, {}, others, RULES)

    assert [d.email for d in plan.add] == [NEW]
    assert {c.value for c in plan.conflicts} == set(others)
    assert plan.skipped_count == 2


def test_an_alias_someone_else_holds_is_left_out_and_reported_while_the_leaver_is_added():
    record = leaver(aliases=("a.smith@northwind.example", "alice.s@northwind.example"))

    plan = plan_departures([record], {}, {"a.smith@northwind.example": "manual"}, RULES)

    assert plan.add[0].aliases == ("alice.s@northwind.example",)
    assert plan.conflicts == (Conflict("alias", "a.smith@northwind.example", "manual", NEW),)


def test_a_synced_record_is_written_as_the_sources_own_with_its_successor_and_aliases():
    record = leaver(successor="Bob@Northwind.example", aliases=("A.Smith@northwind.example",), notice_date=TODAY)

    (departure,) = plan_departures([record], {}, {}, RULES).add

    assert departure.source == "entra"
    assert (departure.successor, departure.aliases, departure.notice_date) == (
        "bob@northwind.example",
        ("a.smith@northwind.example",),
        TODAY,
    )


@pytest.mark.parametrize(
    ("stored_notice", "last", "garden", "expected"),
    [
        pytest.param(None, TODAY + 20 * DAY, None, TODAY, id="first seen today"),
        pytest.param(TODAY - 5 * DAY, TODAY + 20 * DAY, None, TODAY - 5 * DAY, id="kept from the first sighting"),
        pytest.param(None, TODAY - 2 * DAY, None, TODAY - 2 * DAY, id="never after the last day"),
        pytest.param(None, TODAY + 20 * DAY, TODAY - 3 * DAY, TODAY - 3 * DAY, id="never after garden leave"),
    ],
)
def test_without_a_notice_date_from_the_source_the_first_day_it_was_seen_is_kept(stored_notice, last, garden, expected):
    mine = owned(stored(notice=stored_notice, last=last - DAY)) if stored_notice else {}  # last day moved

    plan = plan_departures([leaver(last=last, garden_leave_date=garden)], mine, {}, RULES)

    assert [*plan.add, *plan.update][0].notice_date == expected


# --- departures: malformed records ----------------------------------------------------

MALFORMED = [
    pytest.param(leaver(email=None, ref="user-7"), Problem("user-7", "no e-mail address"), id="no address"),
    pytest.param(
        leaver(email="not an address", ref="user-8"),
        Problem("user-8", "'not an address' is not a valid e-mail address"),
        id="a bad address",
    ),
    pytest.param(leaver(last=None), Problem(NEW, "no last working day"), id="no last day"),
    pytest.param(
        leaver(notice_date=TODAY + 30 * DAY),
        Problem(NEW, "notice date 2026-12-22 is after the last working day 2026-12-12"),
        id="notice after the last day",
    ),
    pytest.param(
        leaver(problems=("employeeLeaveDateTime 'soon' is not a date",)),
        Problem(NEW, "employeeLeaveDateTime 'soon' is not a date"),
        id="what the connector could not read",
    ),
]


@pytest.mark.parametrize(("record", "problem"), MALFORMED)
def test_a_malformed_record_is_skipped_and_reported_while_the_rest_applies(record, problem):
    plan = plan_departures([record, leaver("bob@northwind.example")], {}, {}, RULES)

    assert [d.email for d in plan.add] == ["bob@northwind.example"]
    assert plan.skipped == (problem,)
    assert plan.skipped_count == 1


def test_a_leaver_outside_the_company_domains_is_skipped_and_reported_while_the_rest_applies():
    records = [leaver("alice.private@gmail.com"), leaver()]

    plan = plan_departures(records, {}, {}, replace(RULES, policy=COMPANY))

    assert [d.email for d in plan.add] == [NEW]
    assert plan.skipped == (Problem("alice.private@gmail.com", OUTSIDE),) and plan.skipped_count == 1


def test_a_client_contact_is_no_leaver_its_record_is_a_conflict_naming_the_account():
    records = [leaver("kim@contoso.example"), leaver()]

    plan = plan_departures(records, {}, {}, RULES, clients={"kim@contoso.example": "Contoso Ltd"})

    assert [d.email for d in plan.add] == [NEW]
    assert plan.conflicts == (
        Conflict("departure", "kim@contoso.example", "client account 'Contoso Ltd'", "kim@contoso.example"),
    )
    assert plan.skipped_count == 1


def test_an_alias_outside_the_company_or_of_a_client_contact_is_left_out_and_reported_while_the_leaver_is_added():
    record = leaver(aliases=("alice@gmail.com", "kim@northwind.example", "a.smith@northwind.example"))

    plan = plan_departures(
        [record], {}, {}, replace(RULES, policy=COMPANY), clients={"kim@northwind.example": "Contoso Ltd"}
    )

    assert plan.add[0].aliases == ("a.smith@northwind.example",)
    assert [p.message for p in plan.problems] == [f"alias alice@gmail.com {OUTSIDE}; left out"]
    assert plan.conflicts == (Conflict("alias", "kim@northwind.example", "client account 'Contoso Ltd'", NEW),)


def test_a_stored_leaver_the_source_now_gives_outside_the_company_is_kept_not_removed():
    mine = owned(stored("alice@contoso.example"), stored("bob@northwind.example"))

    plan = plan_departures(
        [leaver("alice@contoso.example"), leaver("bob@northwind.example")], mine, {}, replace(RULES, policy=COMPANY)
    )

    assert plan.remove == () and plan.update == () and len(plan.skipped) == 1


def test_a_malformed_record_of_a_stored_leaver_keeps_the_stored_one_instead_of_removing_it():
    mine = owned(stored(), stored("bob@northwind.example"))

    plan = plan_departures([leaver(last=None), leaver("bob@northwind.example")], mine, {}, RULES)

    assert plan.remove == () and plan.update == ()


def test_a_bad_successor_or_alias_is_left_out_and_reported_but_the_leaver_is_added():
    plan = plan_departures([leaver(successor="nobody", aliases=("???",))], {}, {}, RULES)

    assert (plan.add[0].successor, plan.add[0].aliases) == (None, ())
    assert [p.message for p in plan.problems] == [
        "successor 'nobody' is not an e-mail address",
        "'???' is not an e-mail address; left out",
    ]


def test_a_person_listed_twice_is_applied_once_and_reported():
    plan = plan_departures([leaver(), leaver(last=TODAY + 2 * DAY)], {}, {}, RULES)

    assert len(plan.add) == 1
    assert plan.skipped == (Problem(NEW, "is listed twice in the answer, or as someone's alias"),)


# --- the safety checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "owned_count", "removed", "share", "refused"),
    [
        pytest.param(0, 3, 3, 0.2, True, id="an empty answer with records synced"),
        pytest.param(0, 0, 0, 0.2, False, id="an empty answer with nothing synced yet"),
        pytest.param(8, 10, 2, 0.2, False, id="a drop of exactly the share"),
        pytest.param(7, 10, 3, 0.2, True, id="a drop above the share"),
        pytest.param(1, 10, 9, 1.0, False, id="a share of 100 % allows any drop"),
    ],
)
def test_an_empty_answer_or_a_drop_above_the_share_is_refused(listed, owned_count, removed, share, refused):
    rules = Rules("entra", TODAY, max_drop_share=share)

    assert (refusal(rules, listed, owned_count, removed) is not None) is refused


def test_a_refused_plan_changes_nothing_at_all_and_says_why():
    mine = owned(*(stored(f"p{i}@northwind.example") for i in range(4)))

    plan = plan_departures([leaver("p0@northwind.example"), leaver()], mine, {}, RULES)

    assert (plan.add, plan.update, plan.remove) == ((), (), ())
    assert plan.refused == (
        "the answer would remove 3 of the 4 records synced from this source (more than 50%); nothing was changed"
    )


def test_an_empty_answer_is_refused_instead_of_deleting_everything():
    plan = plan_departures([], owned(stored()), {}, RULES)

    assert plan.remove == ()
    assert plan.refused == "the source answered with no records while 1 are synced from it; nothing was changed"


def test_an_admin_may_accept_a_large_drop_once():
    plan = plan_departures([], owned(stored()), {}, Rules("entra", TODAY, accept_drop=True))

    assert (plan.refused, plan.remove) == (None, (NEW,))


# --- client accounts ------------------------------------------------------------------


def account(ref="1", name="Contoso Ltd", domains=("contoso.example",), contacts=("kim@contoso.example",), **f):
    return Account(ref=ref, name=name, domains=domains, contacts=tuple(Contact(c, "") for c in contacts), **f)


def planned(ref="1", name="Contoso Ltd", domains=("contoso.example",), contacts=("kim@contoso.example",), id=1):
    return PlannedAccount(ref, name, None, domains, tuple((c, c, "") for c in contacts), id)


CRM = Rules(source="hubspot", today=TODAY, max_drop_share=0.5)


@pytest.mark.parametrize(
    ("records", "mine", "claims", "expected"),
    [
        pytest.param([account()], {}, Claims(), {"add": ["1"]}, id="a new account is added"),
        pytest.param([account()], {"1": planned()}, Claims(), {"unchanged": 1}, id="an unchanged one is left"),
        pytest.param(
            [account(name="Contoso Group")], {"1": planned()}, Claims(), {"update": ["1"]}, id="a renamed one updated"
        ),
        pytest.param(
            [account(domains=("contoso.example", "contoso.test"))],
            {"1": planned()},
            Claims(),
            {"update": ["1"]},
            id="a new domain updates it",
        ),
        pytest.param(
            [account("2", "Fabrikam", ("fabrikam.example",), ())],
            {"1": planned(), "2": planned("2", "Fabrikam", ("fabrikam.example",), (), id=2)},
            Claims(),
            {"remove": [1], "unchanged": 1},
            id="an own account the CRM no longer lists is removed",
        ),
        pytest.param(
            [account()],
            {},
            Claims(names={"Contoso Ltd": "manual"}),
            {"conflicts": [("account", "Contoso Ltd", "manual")]},
            id="an account entered by hand is kept",
        ),
    ],
)
def test_each_account_is_added_updated_removed_or_left_by_the_rules(records, mine, claims, expected):
    plan = plan_clients(records, mine, claims, CRM)

    assert [a.ref for a in plan.add] == expected.get("add", [])
    assert [a.ref for a in plan.update] == expected.get("update", [])
    assert list(plan.remove) == expected.get("remove", [])
    assert plan.unchanged == expected.get("unchanged", 0)
    assert [(c.kind, c.value, c.held_by) for c in plan.conflicts] == expected.get("conflicts", [])


def test_a_domain_or_contact_held_by_a_manual_account_stays_there_and_the_rest_of_the_account_applies():
    claims = Claims(
        domains={"contoso.example": ("Contoso", "csv")}, contacts={"kim@contoso.example": ("Contoso", "manual")}
    )

    plan = plan_clients([account(domains=("contoso.example", "contoso.test"))], {}, claims, CRM)

    assert (plan.add[0].domains, plan.add[0].contacts) == (("contoso.test",), ())
    assert [(c.kind, c.value, c.held_by) for c in plan.conflicts] == [
        ("domain", "contoso.example", "csv (Contoso)"),
        ("contact", "kim@contoso.example", "manual (Contoso)"),
    ]


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        pytest.param(account(ref=""), Problem("Contoso Ltd", "has no id in the source"), id="no id"),
        pytest.param(account(name=" "), Problem("1", "has no name"), id="no name"),
        pytest.param(account(name="x" * 201), Problem("1", "name is longer than 200 characters"), id="a long name"),
    ],
)
def test_a_malformed_account_is_skipped_and_reported_while_the_rest_applies(record, problem):
    plan = plan_clients([record, account("9", "Fabrikam", ("fabrikam.example",), ())], {}, Claims(), CRM)

    assert [a.ref for a in plan.add] == ["9"]
    assert plan.skipped == (problem,)


def test_bad_domains_and_contacts_are_left_out_and_reported_but_the_account_is_added():
    record = account(domains=("contoso", "contoso.example"), contacts=("nope", "kim@contoso.example"))

    plan = plan_clients([record], {}, Claims(), CRM)

    assert (plan.add[0].domains, [c[1] for c in plan.add[0].contacts]) == (
        ("contoso.example",),
        ["kim@contoso.example"],
    )
    assert len(plan.problems) == 2


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("gmail.com", "is a consumer webmail domain (the policy's webmail list)"),
        ("GMX.de", "is a consumer webmail domain (the policy's webmail list)"),
        ("northwind.example", "is one of the company's own domains"),
        ("sales.northwind.example", "is under the company's domain northwind.example"),
        ("northwind-group.example", "is a parent of the company's domain eu.northwind-group.example"),
    ],
)
def test_a_company_or_webmail_domain_from_a_crm_is_left_out_and_reported_while_the_account_applies(domain, problem):
    policy = replace(COMPANY, internal_domains=frozenset({"northwind.example", "eu.northwind-group.example"}))

    plan = plan_clients([account(domains=(domain, "contoso.example"))], {}, Claims(), replace(CRM, policy=policy))

    assert plan.add[0].domains == ("contoso.example",)
    (reported,) = plan.problems
    assert reported.ref == "1" and reported.message.startswith(f"domain {domain.lower()} {problem}")
    assert reported.message.endswith("; left out")


def test_two_crm_accounts_with_the_same_name_are_told_apart_by_their_id():
    records = [account("1", "Acme", ("acme.example",), ()), account("2", "Acme", ("acme.test",), ())]

    plan = plan_clients(records, {}, Claims(), CRM)

    assert [a.name for a in plan.add] == ["Acme", "Acme (2)"]


def test_a_crm_that_answers_nothing_does_not_empty_the_client_list():
    plan = plan_clients([], {"1": planned()}, Claims(), CRM)

    assert plan.remove == () and plan.refused is not None
