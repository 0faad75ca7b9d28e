"""The database's time bounds without a database: the breaker, the bounded connect, the engine arguments, the settings.

A hung PostgreSQL itself is in tests/integration/test_database_outage.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from server import config, db_timeouts
from server.db_timeouts import Bounds, Breaker, DatabaseUnresponsive, connect_within


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_refuses_during_its_cool_down_and_lets_the_next_attempt_through_after_it():
    clock = Clock()
    breaker = Breaker(cool_down=2.0, clock=clock)
    breaker.check()  # closed: nothing happens

    breaker.trip("no answer")
    clock.now += 1.9
    with pytest.raises(DatabaseUnresponsive):
        breaker.check()
    clock.now += 0.2

    breaker.check()
    assert not breaker.is_open


def test_a_new_failure_during_the_cool_down_starts_it_again():
    clock = Clock()
    breaker = Breaker(cool_down=2.0, clock=clock)
    breaker.trip("no answer")
    clock.now += 1.5

    breaker.trip("connect timeout")
    clock.now += 1.5

    assert breaker.is_open


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_connection_that_takes_longer_than_its_deadline_is_given_up_and_closed_when_it_arrives_later():
    arrived, released, trips = FakeConnection(), threading.Event(), []

    def slow_connect():
        released.wait(5)
        return arrived

    started = time.monotonic()
    with pytest.raises(DatabaseUnresponsive, match=r"within 0\.2 s"):
        connect_within(slow_connect, 0.2, trips.append)
    waited = time.monotonic() - started
    released.set()
    for _ in range(100):  # the helper thread closes it as soon as it gets it
        if arrived.closed:
            break
        time.sleep(0.01)

    assert waited < 1.0
    assert arrived.closed
    assert trips == ["connect timeout"]


def test_a_connection_that_fails_raises_its_own_error_and_trips_the_breaker():
    trips = []

    def refused():
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(ConnectionRefusedError):
        connect_within(refused, 1.0, trips.append)

    assert trips == ["ConnectionRefusedError"]


def test_a_connection_made_in_time_is_returned_open():
    made = FakeConnection()

    assert connect_within(lambda: made, 1.0, pytest.fail) is made
    assert not made.closed


def test_postgresql_gets_the_statement_timeout_from_the_server_and_keeps_the_urls_own_options():
    url = "postgresql+psycopg://lg@db.internal/lg?options=-c%20search_path%3Dlg"

    arguments = db_timeouts.engine_arguments(url, Bounds(connect_seconds=0.5, statement_ms=1500, pool_seconds=0.7))

    assert arguments["connect_args"] == {
        "options": "-c search_path=lg -c statement_timeout=1500",
        "connect_timeout": 2,  # libpq's floor; the client gives up after 0.5 s on its own
    }
    assert arguments["pool_timeout"] == 0.7


def test_sqlite_waits_for_another_writers_lock_as_long_as_a_statement_may_take():
    arguments = db_timeouts.engine_arguments("sqlite:////tmp/lg.db", Bounds(statement_ms=1500, pool_seconds=0.7))

    assert arguments["connect_args"]["timeout"] == 1.5
    assert arguments["pool_timeout"] == 0.7


def test_the_client_waits_for_an_answer_half_a_second_longer_than_the_server_allows_a_statement():
    assert Bounds(statement_ms=1000).answer_seconds == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("name", "raw", "parsed"),
    [
        ("DB_CONNECT_TIMEOUT_SECONDS", "0.5", 0.5),
        ("DB_POOL_TIMEOUT_SECONDS", "3", 3.0),
        ("DB_CHECK_TIMEOUT_MS", "800", 800),
        ("DB_STATEMENT_TIMEOUT_MS", "60000", 60_000),
    ],
)
def test_database_time_bounds_are_read_from_the_environment(name, raw, parsed):
    assert config.load({f"LEAVERGUARD_{name}": raw})[name] == parsed


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("DB_CONNECT_TIMEOUT_SECONDS", "0"),
        ("DB_CONNECT_TIMEOUT_SECONDS", "61"),
        ("DB_POOL_TIMEOUT_SECONDS", "-1"),
        ("DB_CHECK_TIMEOUT_MS", "0"),
        ("DB_STATEMENT_TIMEOUT_MS", "soon"),
    ],
)
def test_a_database_time_bound_that_is_no_sane_number_stops_the_start(name, raw):
    with pytest.raises(SystemExit, match=f"LEAVERGUARD_{name}"):
        config.load({f"LEAVERGUARD_{name}": raw})
