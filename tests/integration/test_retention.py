"""Retention on SQLite and PostgreSQL, with the clock moved: message content, sent mails, audit events, requests.

The requests are made now (tests/conftest.py: requests_in_each_state); housekeeping then runs as it
would months or years later (`now` is passed in), exactly as the `approvals tick` command runs it.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from server import config, housekeeping, signoff_store
from server import tables as t
from server.adapters.mail import make_transport
from server.retention import RetentionSettings
from server.services import retention, signoff

DAY = timedelta(days=1)
RETAIN = RetentionSettings(message_days=90, audit_days=730)
CONTENT = ("client-list.xlsx", "+34 600 123 456", "private mobile", "farewell note")


def tick(app, engine, now: datetime, retain: RetentionSettings = RETAIN) -> housekeeping.Round:
    """One housekeeping round at `now`, as the app's thread and `approvals tick` run it."""
    settings = signoff.SignoffSettings.from_config(app.config)
    transport = make_transport(app.config)
    return housekeeping.run_once(engine, transport, settings=settings, retain=retain, mail_from="lg@x.example", now=now)


def request_row(engine, approval_id: int) -> dict:
    with engine.connect() as conn:
        return signoff_store.get_request(conn, approval_id)


def rows(engine, table: t.Table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.id))]


def aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes (in UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def add_audit_events(engine, times: list[datetime]) -> None:
    values = [{"at": at, "kind": "check", "actor": "x@northwind.example", "details": {}} for at in times]
    with engine.begin() as conn:
        conn.execute(insert(t.audit_events), values)


@pytest.mark.parametrize(
    ("state", "removed"),
    [
        ("rejected", True),
        ("consumed", True),
        ("lapsed", True),  # approved, never used: ended when the approval lapsed
        ("expired", True),  # expired by the same round, then purged
        ("pending", False),
        ("approved", False),  # its approval is still good
    ],
)
def test_the_content_of_a_request_that_ended_more_than_the_retention_ago_is_removed(
    app, engine, requests_in_each_state, state, removed
):
    approval_id = requests_in_each_state[state]

    tick(app, engine, datetime.now(UTC) + 94 * DAY)

    row = request_row(engine, approval_id)
    assert (row["content_removed_at"] is not None) == removed
    stored = json.dumps(row, default=str)
    assert all(text not in stored for text in CONTENT) == removed
    assert (row["subject"] == "") == removed


def test_the_decision_trail_stays_when_the_content_goes(app, engine, requests_in_each_state):
    approval_id = requests_in_each_state["rejected"]
    before = request_row(engine, approval_id)

    tick(app, engine, datetime.now(UTC) + 91 * DAY)

    after = request_row(engine, approval_id)
    trail = ("sender_email", "fingerprint", "status", "recipients", "attestation", "decided_by", "decided_at")
    assert {k: after[k] for k in trail} == {k: before[k] for k in trail}
    assert after["comment"] == "rejected: fine by HR"
    assert after["attachments"] == [{"size": 48213}]
    codes = [(f["code"], f["recipients"]) for f in after["context"]["findings"]]
    assert codes == [(f["code"], f["recipients"]) for f in before["context"]["findings"]]
    assert after["context"]["recipients"] == before["context"]["recipients"]
    assert (after["subject"], after["body"], after["justification"]) == ("", "", "")


def test_nothing_is_removed_a_moment_before_the_retention_has_passed(app, engine, requests_in_each_state):
    decided_at = request_row(engine, requests_in_each_state["rejected"])["decided_at"]

    kept = retention.purge(engine, RETAIN, decided_at + 90 * DAY - timedelta(seconds=1))
    gone = retention.purge(engine, RETAIN, decided_at + 90 * DAY + timedelta(seconds=1))

    assert kept.contents == 0 and gone.contents >= 1
    assert request_row(engine, requests_in_each_state["rejected"])["content_removed_at"] is not None


def test_sent_mail_goes_after_the_message_retention_and_mail_still_to_deliver_stays(
    app, engine, requests_in_each_state
):
    now = datetime.now(UTC)
    assert tick(app, engine, now).delivery.sent == 10  # a mail to HR for each request, one to Alice per decision
    later = {"created_at": now + 60 * DAY, "next_attempt_at": now + 60 * DAY, "recipients": [], "text_body": "…"}
    with engine.begin() as conn:
        for status in ("queued", "retry", "sending", "sent"):
            values = later | {"kind": "approval.request", "status": status, "subject": f"{status} later"}
            conn.execute(insert(t.outbound_mail).values(values | {"sent_at": later["created_at"]}))
        conn.execute(insert(t.outbound_mail).values(later | {"kind": "x", "status": "queued", "subject": "stuck"}))
        conn.execute(update(t.outbound_mail).where(t.outbound_mail.c.subject == "stuck").values(created_at=now))

    done = retention.purge(engine, RETAIN, now + 91 * DAY)

    assert done.mails == 10
    assert [m["subject"] for m in rows(engine, t.outbound_mail)] == [
        "queued later",
        "retry later",
        "sending later",
        "sent later",
        "stuck",
    ]


def test_audit_events_and_ended_requests_go_after_the_audit_retention(app, engine, requests_in_each_state):
    now = datetime.now(UTC)
    add_audit_events(engine, [now - 731 * DAY, now - 729 * DAY])

    done = tick(app, engine, now + 740 * DAY).purged

    remaining = rows(engine, t.approval_requests)
    assert [r["id"] for r in remaining] == [requests_in_each_state["pending"], requests_in_each_state["approved"]]
    assert {link["approval_id"] for link in rows(engine, t.approval_links)} <= {r["id"] for r in remaining}
    assert done.requests == 4
    assert all(aware(event["at"]) > now + 10 * DAY for event in rows(engine, t.audit_events))  # this round's own


def test_a_young_audit_log_loses_nothing(app, engine, requests_in_each_state):
    now = datetime.now(UTC)
    add_audit_events(engine, [now - 729 * DAY, now - DAY])
    before = len(rows(engine, t.audit_events))

    done = retention.purge(engine, RETAIN, now)

    assert done.audit_events == 0 and len(rows(engine, t.audit_events)) == before


def test_a_backlog_is_purged_a_bounded_number_of_batches_at_a_time(engine):
    now = datetime.now(UTC)
    add_audit_events(engine, [now - (800 + i % 50) * DAY for i in range(1234)])

    first = retention.purge(engine, RETAIN, now, batch=500, batches=2)
    second = retention.purge(engine, RETAIN, now, batch=500, batches=2)
    third = retention.purge(engine, RETAIN, now, batch=500, batches=2)

    assert (first.audit_events, second.audit_events, third.audit_events) == (1000, 234, 0)
    assert not third


def test_two_workers_purging_at_once_remove_every_row_exactly_once(app, engine, requests_in_each_state):
    now = datetime.now(UTC)
    add_audit_events(engine, [now - 800 * DAY] * 600)
    later = now + 95 * DAY
    tick(app, engine, now + 4 * DAY, RetentionSettings(message_days=10_000, audit_days=10_000))  # expire, no purge
    barrier, results, errors = threading.Barrier(4), [], []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(retention.purge_all(engine, RETAIN, later, batch=100))
        except Exception as exc:  # a deadlock or a lock timeout would show here
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = sum(results, retention.Purged())
    assert (total.contents, total.audit_events) == (4, 600)


def test_the_retention_purge_command_drains_everything_past_its_period(runner, engine):
    add_audit_events(engine, [datetime.now(UTC) - 800 * DAY] * 1100 + [datetime.now(UTC)])

    result = runner.invoke(args=["retention", "purge"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "content removed from 0 sign-off requests; deleted 0 sent mails, 0 ended requests, 1100 audit events,"
        " 0 abandoned uploads"
    )
    assert len(rows(engine, t.audit_events)) == 1


def test_the_tick_command_says_what_the_retention_removed(runner, engine):
    add_audit_events(engine, [datetime.now(UTC) - 731 * DAY] * 3)

    result = runner.invoke(args=["approvals", "tick"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "retention: content removed from 0 sign-off requests; deleted 0 sent mails, 0 ended requests, 3 audit events,"
        " 0 abandoned uploads"
    )


@pytest.mark.parametrize("setting", ["RETAIN_MESSAGE_DAYS", "RETAIN_AUDIT_DAYS", "RETAIN_DEPARTURE_DAYS"])
@pytest.mark.parametrize("raw", ["0", "-30", "a year", "1.5"])
def test_a_retention_that_is_not_a_positive_number_of_days_stops_the_start(setting, raw):
    with pytest.raises(SystemExit, match=f"LEAVERGUARD_{setting}={raw!r} is not valid"):
        config.load({f"LEAVERGUARD_{setting}": raw})


def test_an_upload_never_confirmed_is_purged_by_housekeeping_with_its_file(app, engine):
    """An abandoned CSV upload holds the whole file (a client list, leavers' personal addresses) until purged."""
    from server.console import uploads_store

    now = datetime.now(UTC)
    with engine.begin() as conn:
        for name, made in (("old.csv", now - 2 * DAY), ("new.csv", now - DAY / 2)):
            upload = uploads_store.Upload(name, "clients", "ada@northwind.example", name, b"Account,Domain\n", made)
            uploads_store.store_upload(conn, upload)

    done = tick(app, engine, now).purged

    assert done.uploads == 1
    assert [u["filename"] for u in rows_by_key(engine, t.pending_uploads)] == ["new.csv"]


def rows_by_key(engine, table: t.Table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table))]
