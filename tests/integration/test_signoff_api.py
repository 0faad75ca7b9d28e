"""`POST /api/v1/approvals` and `GET /api/v1/approvals/<id>`: asking HR, and the sender seeing the state."""

from __future__ import annotations

import pytest

from .signoff_helpers import ALICE, CAROL, HR, KIM, MESSAGE, ask, link_path, queued, seed


@pytest.fixture
def app(app):
    app.config["HR_APPROVERS"] = (HR, "hr2@northwind.example")
    return app


@pytest.fixture
def northwind(engine):
    seed(engine)
    return engine


def test_a_leavers_held_message_becomes_a_pending_request_and_each_hr_approver_gets_a_link(client, northwind):
    response = ask(client)

    assert response.status_code == 201
    approval = response.get_json()["approval"]
    assert (approval["status"], approval["decided_by"]) == ("pending", None)
    assert approval["fingerprint"].startswith("sha256:")
    mails = queued(northwind, "approval.request")
    assert sorted(m["recipients"][0] for m in mails) == sorted([HR, "hr2@northwind.example"])
    assert len({link_path(m["text_body"]) for m in mails}) == 2  # one link per approver


def test_the_hr_mail_holds_the_departure_the_client_accounts_the_message_and_the_justification(client, northwind):
    ask(client)

    text = queued(northwind, "approval.request")[0]["text_body"]

    for expected in (
        "alice@northwind.example",
        "Notice given",
        "Last working day",
        "bob@northwind.example",
        f"TO: {KIM} (client of Contoso Ltd",
        "Hello Kim, Bob takes over",
        "A farewell note",
        "The sender confirms this is a handover",
    ):
        assert expected in text


def test_asking_again_for_the_same_message_returns_the_pending_request(client, northwind):
    first = ask(client).get_json()["approval"]
    again = ask(client, justification="Please!")

    assert again.status_code == 200
    assert again.get_json()["approval"]["id"] == first["id"]
    assert len(queued(northwind, "approval.request")) == 2  # no new mails


def test_a_changed_message_is_a_new_request(client, northwind):
    first = ask(client).get_json()["approval"]
    second = ask(client, body="Hello Kim, call me on my own number.")

    assert second.status_code == 201
    assert second.get_json()["approval"]["id"] != first["id"]


def test_the_sender_sees_their_request_and_nobody_else_does(client, northwind):
    approval_id = ask(client).get_json()["approval"]["id"]

    own = client.get(f"/api/v1/approvals/{approval_id}", headers={"Authorization": f"Dev {ALICE}"})
    other = client.get(f"/api/v1/approvals/{approval_id}", headers={"Authorization": f"Dev {CAROL}"})
    missing = client.get("/api/v1/approvals/999999", headers={"Authorization": f"Dev {ALICE}"})

    assert own.status_code == 200 and own.get_json()["approval"]["id"] == approval_id
    assert other.status_code == missing.status_code == 404
    assert client.get(f"/api/v1/approvals/{approval_id}").status_code == 401


@pytest.mark.parametrize(
    ("sender", "overrides", "code"),
    [
        (CAROL, {}, "approval_not_needed"),  # a colleague who is not leaving
        (ALICE, {"to": ["carol@northwind.example"]}, "approval_not_needed"),  # internal mail
        (ALICE, {"cc": ["bob@northwind.example"]}, "approval_not_needed"),  # successor in copy: only a warning
        ("dmitri@northwind.example", {}, "approval_cannot_lift_block"),  # garden leave: blocked outright
    ],
)
def test_a_message_that_needs_no_sign_off_or_cannot_get_one_is_refused_with_409(
    client, northwind, sender, overrides, code
):
    response = ask(client, sender, **overrides)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == code
    assert queued(northwind) == []


def test_without_any_approver_configured_the_request_is_refused_with_503(app, client, northwind):
    app.config["HR_APPROVERS"] = ()

    response = ask(client)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "approvals_not_configured"


def test_a_request_touching_a_routed_account_goes_to_that_accounts_approvers(app, client, northwind):
    app.config["APPROVER_ROUTES"] = {"contoso ltd": ("legal@northwind.example",)}  # names match ignoring case

    ask(client)

    assert [m["recipients"] for m in queued(northwind, "approval.request")] == [["legal@northwind.example"]]


def test_every_problem_in_a_request_is_named_at_once(client, northwind):
    response = client.post(
        "/api/v1/approvals",
        headers={"Authorization": f"Dev {ALICE}"},
        json={"mode": "send", "to": [5], "justification": "  ", "attestation": "yes"},
    )

    assert response.status_code == 400
    fields = sorted(d["field"] for d in response.get_json()["error"]["details"])
    assert fields == ["attestation", "justification", "mode", "to[0]"]


def test_a_request_without_credentials_is_a_401(client, northwind):
    response = client.post("/api/v1/approvals", json=MESSAGE)

    assert response.status_code == 401


def test_the_tick_command_delivers_the_queued_mail_and_says_what_it_did(runner, client, northwind):
    ask(client)

    result = runner.invoke(args=["approvals", "tick"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "reminded 0, expired 0; mail sent 2, to retry 0, failed 0"
    assert {m["status"] for m in queued(northwind)} == {"sent"}
