"""Erasing a departure once its retention has passed: the service with the clock moved, and `flask departures erase`.

Zoe (tests/integration/conftest.py) left on 2025-10-31; the default retention keeps her record 365 days.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from server import demo, store
from server import tables as t
from server.model import InvalidAddress
from server.retention import RetentionSettings
from server.services import register, retention

from .conftest import ZOE

RETAIN = RetentionSettings(departure_days=365)
LAST_DAY = date(2025, 10, 31)
PERSONAL = ("zoe.home@gmail.com", "zoe.ross@proton.me")


def on(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), UTC)


LATER = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # past Zoe's retention


def erase(engine, address: str = ZOE["email"], *, now: datetime = LATER, dry_run: bool = False):
    return retention.erase_departure(engine, address, settings=RETAIN, actor="cli", now=now, dry_run=dry_run)


def rows(engine, table: t.Table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table))]


def audit_events(engine) -> list[dict]:
    with engine.connect() as conn:
        return list(reversed(store.audit_events(conn, limit=1000)))


@pytest.mark.parametrize(
    ("days_after_the_last_day", "erasable"),
    [(1, False), (364, False), (365, True), (366, True), (900, True)],
)
def test_a_departure_may_be_erased_from_the_day_its_retention_has_passed(
    engine, zoe, days_after_the_last_day, erasable
):
    now = on(LAST_DAY + timedelta(days=days_after_the_last_day))

    if erasable:
        assert erase(engine, now=now).email == ZOE["email"]
        assert rows(engine, t.departures) == []
    else:
        with pytest.raises(retention.NotYetErasable) as refused:
            erase(engine, now=now)
        assert refused.value.erasable_from == date(2026, 10, 31)
        assert len(rows(engine, t.departures)) == 1


def test_the_record_its_aliases_and_personal_addresses_go_and_nobody_elses(engine, zoe):
    yan = ZOE | {"email": "yan@northwind.example", "aliases": "", "personal_addresses": "yan@gmail.com"}
    register.add(engine, yan, actor="hana@northwind.example", now=on(LAST_DAY))

    done = erase(engine)

    assert (done.aliases, done.personal_addresses) == (1, 2)
    assert [r["email"] for r in rows(engine, t.departures)] == ["yan@northwind.example"]
    assert [r["email"] for r in rows(engine, t.departure_addresses)] == ["yan@northwind.example"]
    assert [r["email"] for r in rows(engine, t.departure_personal_addresses)] == ["yan@gmail.com"]


def test_the_audit_keeps_the_changes_and_the_erasure_but_no_personal_address(engine, zoe):
    erase(engine)

    events = audit_events(engine)
    assert [e["kind"] for e in events] == ["departure.saved", "departure.saved", "departure.erased"]
    assert not any(address in json.dumps(events, default=str) for address in PERSONAL)
    assert events[1]["details"]["after"]["successor"] == "carol@northwind.example"  # the change itself stays
    erased = events[-1]
    assert (erased["actor"], erased["details"]["email"], erased["details"]["id"]) == ("cli", ZOE["email"], zoe)
    assert erased["details"]["personal_addresses_erased"] == 2 and erased["details"]["events_scrubbed"] == 2


def test_a_dry_run_says_what_would_go_and_changes_nothing(engine, zoe):
    before = {table.name: rows(engine, table) for table in (t.departures, t.departure_addresses, t.audit_events)}

    done = erase(engine, dry_run=True)

    assert (done.dry_run, done.aliases, done.personal_addresses, done.events_scrubbed) == (True, 1, 2, 2)
    assert {table.name: rows(engine, table) for table in (t.departures, t.departure_addresses, t.audit_events)} == (
        before
    )


@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("nobody@northwind.example", retention.NoSuchDeparture),
        ("zoe.home@gmail.com", retention.NoSuchDeparture),  # a personal address is not who she sends as
        ("not an address", InvalidAddress),
        ("", InvalidAddress),
    ],
)
def test_an_address_nobody_in_the_register_sends_as_is_refused(engine, zoe, address, refusal):
    with pytest.raises(refusal):
        erase(engine, address)

    assert len(rows(engine, t.departures)) == 1


def test_two_erasures_at_once_erase_once(engine, zoe):
    barrier, outcomes = threading.Barrier(4), []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(erase(engine).email)
        except retention.NoSuchDeparture:
            outcomes.append("gone")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["gone"] * 3 + [ZOE["email"]]
    assert [e["kind"] for e in audit_events(engine)].count("departure.erased") == 1


# --- the command -----------------------------------------------------------------------


def test_the_command_erases_by_an_alias_and_says_what_went(runner, engine, zoe):
    result = runner.invoke(args=["departures", "erase", "Z.Ross@northwind.example"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "erased the departure of zoe@northwind.example (last working day 2025-10-31) with 1 aliases and 2 personal"
        " addresses; 2 audit events lose their copies of the personal addresses"
    )
    assert rows(engine, t.departures) == []


def test_the_command_refuses_before_the_retention_has_passed_and_names_the_first_day(runner, engine):
    demo.seed(engine, datetime.now(UTC))  # Alice is on notice: her last working day is ahead
    with engine.connect() as conn:
        last_day = store.find_departure(conn, "alice@northwind.example").last_working_date

    result = runner.invoke(args=["departures", "erase", "alice@northwind.example"])

    assert result.exit_code == 1
    assert f"can be erased from {(last_day + timedelta(days=365)).isoformat()}" in result.output
    assert f"kept 365 days after the last working day ({last_day.isoformat()})" in result.output
    with engine.connect() as conn:
        assert store.find_departure(conn, "alice@northwind.example") is not None


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("nobody@northwind.example", "nobody in the departures register sends as this address"),
        ("not an address", "not an address: "),
    ],
)
def test_the_command_names_what_is_wrong_with_the_address(runner, engine, zoe, address, said):
    result = runner.invoke(args=["departures", "erase", address])

    assert result.exit_code == 1 and said in result.output


def test_the_command_dry_run_changes_nothing(runner, engine, zoe):
    result = runner.invoke(args=["departures", "erase", ZOE["email"], "--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("would erase the departure of zoe@northwind.example")
    assert len(rows(engine, t.departures)) == 1
    assert "departure.erased" not in [e["kind"] for e in audit_events(engine)]


def test_her_sign_off_requests_keep_no_key_of_her_personal_addresses(engine, zoe):
    """A request keeps the keys of every address its sender was known by (nobody decides their own); once her
    record is erased those of her personal addresses go too, her work address and aliases stay as evidence."""
    from sqlalchemy import insert

    keys = ["zoe@northwind.example", "z.ross@northwind.example", "zoehome@gmail.com", "zoe.ross@proton.me"]
    request = {"sender_key": keys[0], "sender_email": keys[0], "fingerprint": "sha256:x", "status": "rejected"}
    with engine.begin() as conn:
        conn.execute(
            insert(t.approval_requests).values(
                **request, sender_keys=keys, recipients=[], attachments=[], created_at=on(LAST_DAY)
            )
        )

    erase(engine)

    (kept,) = rows(engine, t.approval_requests)
    assert kept["sender_keys"] == keys[:2]
