"""Sign-off that cannot be gamed: nobody decides their own request, and a Cc cannot pick the approver."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from server import signoff_store
from server.services import signoff
from server.tables import approval_requests

from ..web.console_helpers import CSRF, text_of
from ..web.console_helpers import sign_in as console_sign_in
from .signoff_helpers import ALICE, HR, KIM, add_alias, add_leaver, ask, link_path, queued, seed, sign_in

NOW = datetime.now(UTC)
ALIAS = "a.smith@northwind.example"  # Alice's alias in the demo register
LEGAL, SALES, FRIEND = "legal@northwind.example", "sales@northwind.example", "friend@northwind.example"
TO_KIM_CC_FABRIKAM = {"to": [KIM], "cc": ["orders@fabrikam.example"]}
TO_KIM_CC_TAILSPIN = {"to": [KIM], "cc": ["info@tailspin.example"]}


@pytest.fixture
def app(app):
    app.config["HR_APPROVERS"] = (HR,)
    seed(app.extensions["leaverguard.engine"])
    return app


def request_row(engine, approval_id: int) -> dict:
    with engine.connect() as conn:
        return signoff_store.get_request(conn, approval_id)


def mailed(engine) -> list[str]:
    return sorted(m["recipients"][0] for m in queued(engine, "approval.request"))


# --- nobody decides their own request -------------------------------------------------


@pytest.mark.parametrize(
    ("hr_approvers", "routes"),
    [
        ((HR, ALICE), {}),  # an HR approver who is leaving
        ((HR, ALIAS), {}),  # ... listed under her alias
        ((HR,), {"Contoso Ltd": (ALICE,)}),  # the route approver of the account she writes to
        ((HR,), {"contoso ltd": ("Alice+approvals@Northwind.example",)}),  # by address key
    ],
    ids=["hr-approver", "alias", "route-approver", "route-approver-by-key"],
)
def test_a_leaver_who_is_an_approver_gets_no_link_to_her_own_request_and_hr_is_asked(
    app, client, engine, hr_approvers, routes
):
    app.config.update(HR_APPROVERS=hr_approvers, APPROVER_ROUTES=routes)

    response = ask(client)

    assert response.status_code == 201
    assert mailed(engine) == [HR]
    assert request_row(engine, response.get_json()["approval"]["id"])["approvers"] == [HR]


def test_with_nobody_but_the_sender_to_approve_the_request_is_refused_as_unconfigured(app, client, engine):
    app.config.update(HR_APPROVERS=(ALICE,), APPROVER_ROUTES={"Contoso Ltd": (ALIAS,)})

    response = ask(client)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "approvals_not_configured"
    assert queued(engine) == []


@pytest.fixture
def alias_asked(app, client, engine) -> dict:
    """A request mailed to an approver later recorded as one of Alice's own addresses; its id and link."""
    app.config["HR_APPROVERS"] = (HR, "alice.s@northwind.example")
    approval_id = ask(client).get_json()["approval"]["id"]
    mails = {m["recipients"][0]: m for m in queued(engine, "approval.request")}
    add_alias(engine, ALICE, "alice.s@northwind.example")  # HR finds out it is her second mailbox
    return {"id": approval_id, "link": link_path(mails["alice.s@northwind.example"]["text_body"])}


def test_an_approver_found_to_be_the_sender_sees_nothing_through_her_link_and_cannot_decide(
    client, engine, alias_asked
):
    sign_in(client, "alice.s@northwind.example")

    page = client.get(alias_asked["link"])
    decided = decide_without_form(client, alias_asked["link"])

    assert page.status_code == decided.status_code == 403
    assert "Nobody decides their own sign-off request" in text_of(page)
    assert "Hello Kim" not in page.get_data(as_text=True)
    assert request_row(engine, alias_asked["id"])["status"] == "pending"


def decide_without_form(client, path: str):
    """A decision posted with the session's CSRF token but without loading the page first (it is refused)."""
    with client.session_transaction() as session:
        token = session.setdefault("csrf", CSRF)
    return client.post(path, data={"csrf_token": token, "decision": "approve", "comment": ""})


@pytest.mark.parametrize("who", [ALICE, ALIAS, "alice.s@northwind.example"])
def test_the_sender_cannot_decide_her_own_request_on_the_console_under_any_of_her_addresses(
    app, client, engine, alias_asked, who
):
    with engine.begin() as conn:  # as a request made before this rule could have: the sender among its approvers
        conn.execute(
            update(approval_requests)
            .where(approval_requests.c.id == alias_asked["id"])
            .values(approvers=[HR, ALICE, ALIAS, "alice.s@northwind.example"])
        )
    app.config["HR_USERS"] = (ALICE, ALIAS, "alice.s@northwind.example")  # the hr role, whatever else
    signed_in = console_sign_in(client, who)

    page = signed_in.get(f"/admin/signoffs/{alias_asked['id']}")
    refused = signed_in.post(
        f"/admin/signoffs/{alias_asked['id']}", data={"csrf_token": CSRF, "decision": "approve", "comment": ""}
    )

    # A leaver's console is read-only (web/access.py) before the own-request rule is even reached; the shared
    # decide function's own refusal is tested on its own below.
    assert 'value="approve"' not in page.get_data(as_text=True)
    assert page.status_code == 403 or "this is your own request" in text_of(page)
    assert refused.status_code == 403
    assert "on the departures register" in text_of(refused) or "Nobody decides their own" in text_of(refused)
    assert request_row(engine, alias_asked["id"])["status"] == "pending"


def test_the_shared_decide_function_refuses_the_sender_whichever_way_it_is_called(app, engine, alias_asked):
    settings = signoff.SignoffSettings.from_config(app.config)

    with pytest.raises(signoff.OwnRequest):
        signoff.decide(
            engine,
            alias_asked["link"].rsplit("/", 1)[1],
            approve=True,
            comment="",
            user="alice.s@northwind.example",
            settings=settings,
            now=datetime.now(UTC),
        )
    assert request_row(engine, alias_asked["id"])["status"] == "pending"


def test_the_page_tells_the_sender_in_her_language(client, alias_asked):
    sign_in(client, "alice.s@northwind.example")

    page = client.get(alias_asked["link"], headers={"Accept-Language": "es-ES"})

    assert "Nadie decide sobre su propia solicitud" in text_of(page)


# --- an approver who is leaving decides nothing ------------------------------------------------

DMITRI = "dmitri@northwind.example"  # on garden leave in the demo


@pytest.mark.parametrize(
    ("hr_approvers", "routes"),
    [((HR, DMITRI), {}), ((HR,), {"Contoso Ltd": (DMITRI,)})],
    ids=["hr-approver", "route-approver"],
)
def test_an_approver_who_is_leaving_is_not_asked_and_hr_is(app, client, engine, hr_approvers, routes):
    app.config.update(HR_APPROVERS=hr_approvers, APPROVER_ROUTES=routes)

    assert ask(client).status_code == 201

    assert mailed(engine) == [HR]


def test_an_approver_who_left_after_being_asked_cannot_decide_through_her_link(app, client, engine):
    app.config.update(HR_APPROVERS=(HR, LEGAL))
    ask(client)
    (mail,) = [m for m in queued(engine, "approval.request") if m["recipients"] == [LEGAL]]
    add_leaver(engine, LEGAL)  # she gave notice after the request went out
    sign_in(client, LEGAL)

    opened = client.get(link_path(mail["text_body"]))

    assert opened.status_code == 403
    assert "leaving" in text_of(opened)
    with pytest.raises(signoff.LeavingApprover):
        settings = signoff.SignoffSettings.from_config(app.config)
        approval_id = ask(client).get_json()["approval"]["id"]
        signoff.decide_request(engine, approval_id, approve=True, comment="", user=LEGAL, settings=settings, now=NOW)


# --- routes: a Cc cannot choose the approver -----------------------------------------


def test_a_cc_on_another_routed_account_sends_the_request_to_hr_not_to_that_accounts_approver(app, client, engine):
    app.config["APPROVER_ROUTES"] = {"Contoso Ltd": (LEGAL,), "Fabrikam": (FRIEND,)}

    approval_id = ask(client, **TO_KIM_CC_FABRIKAM).get_json()["approval"]["id"]
    refused = console_decision(app, client, FRIEND, approval_id)

    assert mailed(engine) == [HR]
    assert refused.status_code == 403
    assert request_row(engine, approval_id)["status"] == "pending"


def test_a_cc_on_an_unrouted_account_sends_the_request_to_hr(app, client, engine):
    app.config["APPROVER_ROUTES"] = {"Contoso Ltd": (LEGAL,)}

    ask(client, **TO_KIM_CC_TAILSPIN)

    assert mailed(engine) == [HR]


@pytest.mark.parametrize(
    "cc",
    [
        ['"ana.garcia"@gmail.com'],  # Fabrikam's contact, written so that the check cannot read it
        ['"x"@fabrikam.example'],
        [f"person{n}@contoso.example" for n in range(499)] + ["orders@fabrikam.example"],  # Fabrikam past the limit
    ],
    ids=["unreadable-contact", "unreadable-on-a-client-domain", "past-the-recipient-limit"],
)
def test_a_recipient_the_check_could_not_classify_sends_the_request_to_hr_not_to_the_route(app, client, engine, cc):
    app.config["APPROVER_ROUTES"] = {"Contoso Ltd": (LEGAL,)}

    assert ask(client, to=[KIM], cc=cc).status_code == 201

    assert mailed(engine) == [HR]


def test_a_message_to_one_routed_account_still_goes_to_that_accounts_route(app, client, engine):
    app.config["APPROVER_ROUTES"] = {"Contoso Ltd": (LEGAL,), "Fabrikam": (FRIEND,)}

    ask(client)

    assert mailed(engine) == [LEGAL]


def test_only_an_approver_on_the_route_of_every_account_touched_is_asked_and_may_decide(app, client, engine):
    app.config["APPROVER_ROUTES"] = {"Contoso Ltd": (LEGAL, SALES), "Fabrikam": (SALES,)}

    approval_id = ask(client, **TO_KIM_CC_FABRIKAM).get_json()["approval"]["id"]

    assert mailed(engine) == [SALES]
    assert console_decision(app, client, LEGAL, approval_id).status_code == 403
    assert console_decision(app, client, SALES, approval_id).status_code == 200
    assert request_row(engine, approval_id)["decided_by"] == SALES


def console_decision(app, client, who: str, approval_id: int):
    app.config["HR_USERS"] = (LEGAL, SALES, FRIEND)  # route approvers sign in to the console with the hr role
    data = {"csrf_token": CSRF, "decision": "approve", "comment": "Fine."}
    return console_sign_in(client, who).post(f"/admin/signoffs/{approval_id}", data=data)


def test_approvers_deciding_at_once_give_one_decision_that_covers_every_account(app, client, engine):
    app.config["APPROVER_ROUTES"] = {"Contoso Ltd": (LEGAL, SALES), "Fabrikam": (LEGAL, SALES, FRIEND)}
    approval_id = ask(client, **TO_KIM_CC_FABRIKAM).get_json()["approval"]["id"]
    settings = signoff.SignoffSettings.from_config(app.config)
    barrier, results = threading.Barrier(9), []

    def click(user: str) -> None:
        barrier.wait()
        try:
            won, _ = signoff.decide_request(
                engine, approval_id, approve=user != SALES, comment="x", user=user, settings=settings,
                now=datetime.now(UTC),
            )  # fmt: skip
            results.append((user, won))
        except signoff.NotAnApprover:
            results.append((user, None))

    threads = [threading.Thread(target=click, args=(user,)) for user in (LEGAL, SALES, FRIEND) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [user for user, won in results if won]
    assert len(results) == 9 and len(winners) == 1 and winners[0] in (LEGAL, SALES)
    assert [won for user, won in results if user == FRIEND] == [None] * 3  # Fabrikam's route alone: refused
    assert request_row(engine, approval_id)["decided_by"] == winners[0]
    assert len(queued(engine, "approval.approved") + queued(engine, "approval.rejected")) == 1
