"""Hourly limits on sign-off requests, counted in the database: per sender, and per approver mailbox."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from server import store
from server.model import normalise_address
from server.services import CheckRequest, signoff
from server.tables import approval_links, approval_requests
from server.web.check_payload import parse_approval

from .signoff_helpers import ALICE, HR, REQUEST, add_leaver, ask, queued, seed

GINA = "gina@northwind.example"  # a second leaver on notice
ALIAS = "a.smith@northwind.example"  # Alice's alias in the demo register


@pytest.fixture
def app(app):
    app.config["HR_APPROVERS"] = (HR,)
    engine = app.extensions["leaverguard.engine"]
    seed(engine)
    add_leaver(engine, GINA)
    return app


def subject(n: int) -> dict:
    return {"subject": f"Handover, part {n}"}


def requests_made(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(approval_requests))


def backdate(engine, table, minutes: int, ids: list[int]) -> None:
    """Move rows' creation back in time (the clock moved forward, as far as they are concerned)."""
    with engine.begin() as conn:
        at = datetime.now(UTC) - timedelta(minutes=minutes)
        conn.execute(update(table).where(table.c.id.in_(ids)).values(created_at=at))


def audit_kinds(engine) -> list[dict]:
    with engine.connect() as conn:
        return [e for e in reversed(store.audit_events(conn, limit=500)) if e["kind"] == "approval.limited"]


def test_the_21st_request_in_an_hour_is_a_429_that_says_when_to_ask_again(client, engine):
    for n in range(20):
        assert ask(client, **subject(n)).status_code == 201

    refused = ask(client, **subject(20))

    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_signoff_requests"
    assert (
        error["message"] == "You have reached the limit of sign-off requests an hour (20). You can ask again in 60 min."
    )
    assert 3540 < int(refused.headers["Retry-After"]) <= 3600
    assert error["details"] == []
    assert requests_made(engine) == 20 and len(queued(engine, "approval.request")) == 20
    (event,) = audit_kinds(engine)
    assert (event["actor"], event["details"]["limit"]) == (ALICE, "sender")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es-ES", "Ha alcanzado el límite de solicitudes de aprobación por hora (1). Podrá volver a pedirla"),
        ("ru", "Лимит запросов на согласование в час (1) исчерпан. Повторить запрос можно через 60 мин."),
    ],
)
def test_the_limit_message_is_in_the_senders_language(app, client, locale, expected):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 1
    ask(client, **subject(1))

    refused = client.post(
        "/api/v1/approvals",
        headers={"Authorization": f"Dev {ALICE}"},
        json=REQUEST | subject(2) | {"client": {"app": "outlook", "platform": "OfficeOnline", "locale": locale}},
    )

    assert refused.status_code == 429
    assert refused.get_json()["error"]["message"].startswith(expected)


def test_the_wait_lasts_until_the_oldest_counted_request_leaves_the_hour(app, client, engine):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 3
    ids = [ask(client, **subject(n)).get_json()["approval"]["id"] for n in range(3)]
    backdate(engine, approval_requests, 50, ids[:1])

    first_try = ask(client, **subject(3))
    backdate(engine, approval_requests, 61, ids[:1])
    second_try = ask(client, **subject(3))

    assert first_try.status_code == 429
    assert 595 <= int(first_try.headers["Retry-After"]) <= 600  # the oldest leaves the hour in 10 minutes
    assert first_try.get_json()["error"]["message"].endswith("You can ask again in 10 min.")
    assert second_try.status_code == 201


def test_asking_again_for_a_live_request_is_answered_and_never_counted(app, client, engine):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 2
    first = ask(client, **subject(1)).get_json()["approval"]["id"]

    repeats = [ask(client, **subject(1)) for _ in range(5)]
    second = ask(client, **subject(2))
    at_the_limit = ask(client, **subject(1))
    third = ask(client, **subject(3))

    assert {r.status_code for r in repeats} == {200} and {r.get_json()["approval"]["id"] for r in repeats} == {first}
    assert second.status_code == 201
    assert (at_the_limit.status_code, at_the_limit.get_json()["approval"]["id"]) == (200, first)
    assert third.status_code == 429
    assert requests_made(engine) == 2


def test_a_leaver_asking_under_another_of_her_addresses_is_counted_as_herself(app, client, engine):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 2
    ask(client, ALICE, **subject(1))
    ask(client, ALIAS, **subject(2))

    refused = ask(client, ALICE, **subject(3))

    assert refused.status_code == 429
    assert requests_made(engine) == 2


def test_one_senders_limit_does_not_hold_up_another_sender(app, client):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 1
    ask(client, ALICE, **subject(1))

    assert ask(client, ALICE, **subject(2)).status_code == 429
    assert ask(client, GINA, **subject(2)).status_code == 201


def test_an_approver_mailbox_gets_at_most_its_hourly_number_of_request_mails_from_all_senders(app, client, engine):
    app.config.update(SIGNOFF_MAILS_PER_APPROVER_PER_HOUR=3)
    assert [ask(client, who, **subject(n)).status_code for n, who in enumerate((ALICE, GINA, ALICE))] == [201] * 3

    refused = ask(client, GINA, **subject(9))

    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "approver_mailbox_full"
    assert "You can ask again in 60 min." in refused.get_json()["error"]["message"]
    assert 3540 < int(refused.headers["Retry-After"]) <= 3600
    assert [m["recipients"] for m in queued(engine, "approval.request")] == [[HR]] * 3
    (event,) = audit_kinds(engine)
    assert (event["actor"], event["details"]["limit"], event["details"]["approver"]) == (GINA, "approver", HR)


def test_an_approver_mailbox_counts_only_the_last_hour(app, client, engine):
    app.config.update(SIGNOFF_MAILS_PER_APPROVER_PER_HOUR=2)
    ask(client, ALICE, **subject(1))
    ask(client, GINA, **subject(2))
    with engine.connect() as conn:
        link_ids = list(conn.scalars(select(approval_links.c.id)))
    backdate(engine, approval_links, 61, link_ids[:1])

    assert ask(client, GINA, **subject(3)).status_code == 201


# --- races: every worker counts in the database ---------------------------------------


def check_request_of(app, sender: str, n: int) -> CheckRequest:
    """The check request the API would make of `sender` asking for sign-off of message `n`."""
    parsed, _, _ = parse_approval(REQUEST | subject(n), normalise_address(sender), app.config, None)
    return parsed


def ask_at_once(app, engine, senders: list[str]) -> list[str]:
    """Every sender asks at the same moment from its own thread (as gunicorn workers would); each outcome."""
    settings = signoff.SignoffSettings.from_config(app.config)
    barrier, outcomes = threading.Barrier(len(senders)), []

    def request(n: int, sender: str) -> None:
        check = check_request_of(app, sender, n)
        barrier.wait()
        try:
            signoff.request_signoff(
                engine, check, justification="x", attestation=True, settings=settings, now=datetime.now(UTC)
            )
            outcomes.append("created")
        except signoff.SignoffLimited as exc:
            outcomes.append(exc.reached.limit)

    threads = [threading.Thread(target=request, args=(n, sender)) for n, sender in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_requests_racing_for_the_last_places_of_a_senders_hour_never_go_over_it(app, engine):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 3

    outcomes = ask_at_once(app, engine, [ALICE] * 8)

    assert sorted(outcomes) == ["created"] * 3 + ["sender"] * 5
    assert requests_made(engine) == 3 and len(queued(engine, "approval.request")) == 3


def test_senders_racing_for_the_last_places_of_an_approvers_hour_never_go_over_it(app, engine):
    app.config.update(SIGNOFF_MAILS_PER_APPROVER_PER_HOUR=3)

    outcomes = ask_at_once(app, engine, [ALICE, GINA] * 4)

    assert sorted(outcomes) == ["approver"] * 5 + ["created"] * 3
    assert len(queued(engine, "approval.request")) == 3
