"""Sign-off over real transports and real concurrency: SMTP to a local server, two HR clicks at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from server.adapters.mail import make_transport
from server.services import mailing, signoff
from tests.smtp_server import smtp_server  # noqa: F401  (the fixture)

from .signoff_helpers import ALICE, HR, ask, check, decide, link_path, queued, seed, sign_in


@pytest.fixture
def app(app):
    app.config["HR_APPROVERS"] = (HR, "hr2@northwind.example")
    return app


def test_hr_reads_the_request_from_a_real_smtp_server_and_follows_its_link(app, client, engine, smtp_server):  # noqa: F811
    seed(engine)
    ask(client)
    transport = make_transport(
        app.config
        | {
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": smtp_server.host,
            "SMTP_PORT": smtp_server.port,
            "SMTP_SECURITY": "none",
        }
    )

    delivery = mailing.deliver_due(engine, transport, sender="leaverguard@northwind.example", now=datetime.now(UTC))

    assert delivery.sent == 2
    mail = next(m for m in smtp_server.messages if m["To"] == HR)
    assert mail["Subject"] == "Sign-off needed: alice@northwind.example wants to write to clients"
    text = mail.get_body(("plain",)).get_content()
    sign_in(client, HR)
    assert decide(client, link_path(text), "approve", "Go ahead.").status_code == 200
    assert check(client)["verdict"] == "allow"
    assert {m["status"] for m in queued(engine, "approval.request")} == {"sent"}


def test_a_mail_server_outage_is_retried_later_and_never_loses_the_request(app, client, engine):
    seed(engine)
    assert ask(client).status_code == 201
    closed = make_transport(
        app.config
        | {
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": 9,
            "SMTP_SECURITY": "none",
            "SMTP_TIMEOUT": 2,
        }
    )

    delivery = mailing.deliver_due(engine, closed, sender="leaverguard@northwind.example", now=datetime.now(UTC))

    assert (delivery.sent, delivery.retrying) == (0, 2)
    mails = queued(engine, "approval.request")
    assert {m["status"] for m in mails} == {"retry"}
    assert all(m["last_error"] for m in mails)
    assert check(client, mode="preview")["approval"]["status"] == "pending"


def test_two_approvers_deciding_at_the_same_moment_give_exactly_one_decision(app, client, engine):
    seed(engine)
    ask(client)
    links = {m["recipients"][0]: link_path(m["text_body"]) for m in queued(engine, "approval.request")}
    settings = signoff.SignoffSettings.from_config(app.config)
    barrier, results = threading.Barrier(8), []

    def click(user: str, approve: bool) -> None:
        barrier.wait()
        token = links[user].rsplit("/", 1)[1]
        won, _ = signoff.decide(
            engine, token, approve=approve, comment="x", user=user, settings=settings, now=datetime.now(UTC)
        )
        results.append((won, user, approve))

    people = [(HR, True), ("hr2@northwind.example", False)] * 4
    threads = [threading.Thread(target=click, args=person) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [r for r in results if r[0]]
    assert len(results) == 8 and len(winners) == 1
    expected = "approved" if winners[0][2] else "rejected"
    assert check(client, mode="preview")["approval"]["status"] == expected
    assert len(queued(engine, f"approval.{expected}")) == 1
    assert ALICE in queued(engine, f"approval.{expected}")[0]["recipients"]
