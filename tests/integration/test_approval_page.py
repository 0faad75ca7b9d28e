"""The HR approval page: a link from the mail, sign-in, one final decision, and every misuse refused."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from server import create_app, db, links, signoff_store, store
from server.services import mailing, signoff

from .signoff_helpers import ALICE, HR, MESSAGE, ask, check, decide, link_path, queued, seed, sign_in


@pytest.fixture
def app(app):
    app.config["HR_APPROVERS"] = (HR,)
    return app


@pytest.fixture
def hr_link(client, engine) -> str:
    """Alice asks for sign-off; the path of the link in HR's mail."""
    seed(engine)
    assert ask(client).status_code == 201
    return link_path(queued(engine, "approval.request")[0]["text_body"])


@pytest.fixture
def hr(client, hr_link):
    sign_in(client, HR)
    return client


def audit_kinds(engine) -> list[str]:
    with engine.connect() as conn:
        return [e["kind"] for e in reversed(store.audit_events(conn, limit=500))]


def test_opening_the_link_asks_hr_to_sign_in_first_and_decides_nothing(client, hr_link, engine):
    response = client.get(hr_link)

    assert response.status_code == 302
    assert response.location.startswith("/signin?next=/approvals/")
    assert check(client, mode="preview")["approval"]["status"] == "pending"


def test_the_page_shows_the_whole_context_and_the_message(hr, hr_link):
    page = hr.get(hr_link).get_data(as_text=True)

    for expected in (
        "alice@northwind.example",
        "Last working day",
        "client of Contoso Ltd",
        "Hello Kim, Bob takes",
        "A farewell note",
        'value="approve"',
        'value="reject"',
        "No earlier requests",
    ):
        assert expected in page


def test_approving_lets_exactly_that_message_through_once_and_tells_the_sender(hr, hr_link, engine):
    response = decide(hr, hr_link, "approve", "Fine, thank you for introducing Bob.")

    assert response.status_code == 200
    assert "Your decision is recorded: approved" in response.get_data(as_text=True)
    outcome = queued(engine, "approval.approved")
    assert outcome[0]["recipients"] == [ALICE]
    assert "Fine, thank you for introducing Bob." in outcome[0]["text_body"]
    sent = check(hr)
    assert (sent["verdict"], sent["approval"]["status"]) == ("allow", "consumed")
    assert check(hr)["verdict"] == "require_approval"  # once only


def test_an_approval_does_not_cover_an_edited_message(hr, hr_link):
    decide(hr, hr_link, "approve")

    assert check(hr, MESSAGE | {"body": MESSAGE["body"] + " Call me on +44 7700 900123."})["verdict"] != "allow"
    assert check(hr, MESSAGE | {"subject": "Handover!"})["verdict"] == "require_approval"
    assert check(hr, MESSAGE | {"cc": ["x@contoso.example"]})["verdict"] == "require_approval"
    assert check(hr)["verdict"] == "allow"


def test_rejecting_needs_a_comment_and_the_sender_gets_it(hr, hr_link, engine):
    without = decide(hr, hr_link, "reject")
    with_comment = decide(hr, hr_link, "reject", "Please let Bob write to Kim instead.")

    assert without.status_code == 400
    assert "Write a comment" in without.get_data(as_text=True)
    assert with_comment.status_code == 200
    assert "Please let Bob write to Kim instead." in queued(engine, "approval.rejected")[0]["text_body"]
    assert check(hr)["approval"]["status"] == "rejected"


def test_a_second_decision_is_told_who_decided_and_when_and_changes_nothing(hr, hr_link, engine):
    decide(hr, hr_link, "approve", "ok")

    again = decide(hr, hr_link, "reject", "changed my mind")

    assert again.status_code == 409
    assert "Already decided: approved by hr@northwind.example on " in again.get_data(as_text=True)
    assert check(hr, mode="preview")["approval"]["status"] == "approved"
    assert len(queued(engine, "approval.rejected")) == 0


def test_a_post_without_the_csrf_token_is_refused(hr, hr_link):
    response = hr.post(hr_link, data={"decision": "approve"})

    assert response.status_code == 400
    assert check(hr, mode="preview")["approval"]["status"] == "pending"


def test_someone_who_is_not_an_approver_sees_nothing_of_the_message(client, hr_link):
    sign_in(client, "carol@northwind.example")

    response = client.get(hr_link)

    assert response.status_code == 403
    assert "Hello Kim" not in response.get_data(as_text=True)


def tampered(path: str) -> str:
    """The link's signature over another request id (the payload edited, the signature kept)."""
    payload, rest = path.rsplit("/", 1)[1].split(".", 1)
    other = links.sign("any", 999, 1).split(".")[0]
    assert other != payload
    return f"/approvals/{other}.{rest}"


@pytest.mark.parametrize(
    ("make_path", "status", "says"),
    [
        (lambda app, path: tampered(path), 404, "This link is not valid"),
        (lambda app, path: "/approvals/" + links.sign("another-secret", 1, 1), 404, "This link is not valid"),
        (lambda app, path: "/approvals/not-a-token", 404, "This link is not valid"),
        (lambda app, path: "/approvals/" + links.sign(app.config["SECRET_KEY"], 999, 1), 404, "This link is not valid"),
    ],
    ids=["tampered", "forged-with-another-key", "garbled", "link-of-another-request"],
)
def test_a_forged_tampered_or_foreign_link_is_refused_with_a_clear_page(app, hr, hr_link, make_path, status, says):
    response = hr.get(make_path(app, hr_link))

    assert response.status_code == status
    assert says in response.get_data(as_text=True)
    assert decide_status(hr, make_path(app, hr_link)) == status


def decide_status(client, path: str) -> int:
    from .signoff_helpers import CSRF

    token = CSRF.search(client.get("/signin").get_data(as_text=True) or "")
    data = {"decision": "approve", "comment": "x", "csrf_token": token.group(1) if token else ""}
    return client.post(path, data=data).status_code


class _TwoDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 2 * 24 * 3600


def test_an_expired_link_is_refused_with_a_clear_page(app, hr, hr_link):
    app.config["APPROVAL_EXPIRY_HOURS"] = 24
    ids = links.read(app.config["SECRET_KEY"], hr_link.rsplit("/", 1)[1], timedelta(hours=1))
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=links._SALT, signer=_TwoDaysAgo).dumps(list(ids))

    response = hr.get("/approvals/" + old)

    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)


def test_every_step_is_in_the_audit_log(hr, hr_link, engine):
    decide(hr, hr_link, "approve", "ok")
    check(hr)

    kinds = audit_kinds(engine)

    for kind in ("approval.requested", "approval.link_opened", "approval.decided", "approval.consumed", "check"):
        assert kind in kinds
    with engine.connect() as conn:
        send = store.audit_events(conn, limit=1)[0]
    assert (send["kind"], send["verdict"]) == ("check", "allow")
    assert send["approval_id"] is not None  # the send is linked to the approval


def test_hr_is_reminded_once_and_an_undecided_request_expires_and_the_sender_is_told(app, client, hr_link, engine):
    settings, now = signoff.SignoffSettings.from_config(app.config), datetime.now(UTC)
    transport = app.extensions["leaverguard.mail_transport"]

    assert signoff.remind_and_expire(engine, settings=settings, now=now + timedelta(hours=25)) == (1, 0)
    assert signoff.remind_and_expire(engine, settings=settings, now=now + timedelta(hours=26)) == (0, 0)
    assert signoff.remind_and_expire(engine, settings=settings, now=now + timedelta(hours=73)) == (0, 1)

    assert queued(engine, "approval.reminder")[0]["subject"].startswith("Reminder: sign-off still needed")
    assert queued(engine, "approval.expired")[0]["recipients"] == [ALICE]
    assert check(client, mode="preview")["approval"]["status"] == "expired"
    delivered = mailing.deliver_due(
        engine, transport, sender="leaverguard@northwind.example", now=now + timedelta(hours=73)
    )
    assert delivered.sent == len(queued(engine)) == 3


def test_in_production_the_page_refuses_without_a_sign_in_provider(database_url, hr_link):
    production = create_app(
        {
            "ENV": "development",  # built as development, then switched: no real token verifier is needed
            "TESTING": True,
            "DATABASE_URL": database_url,
            "LOG_FORMAT": "text",
        }
    )
    production.config["ENV"] = "production"

    response = production.test_client().get(hr_link)
    db.dispose(production)

    assert response.status_code == 403
    assert "Sign-in is not set up" in response.get_data(as_text=True)


def test_the_request_queue_holds_the_mails_until_delivered(engine, hr_link):
    with engine.connect() as conn:
        statuses = {m["status"] for m in signoff_store.mails(conn)}
    assert statuses == {"queued"}
