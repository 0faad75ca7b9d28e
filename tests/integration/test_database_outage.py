"""A database that hangs: answers come quickly, /healthz stays up, and everything recovers on its own.

The hung PostgreSQL is real: a throw-away server of this module's own (tests/throwaway_postgres.py)
whose postmaster and backends are stopped with SIGSTOP, by their ids, and always continued afterwards.
A stopped server keeps its TCP connections open and its kernel keeps acknowledging, so nothing but the
client's own deadlines (server/db_timeouts.py) ends the wait. Each test gets a fresh app, so a fresh
breaker.

Also here, on both backends: a check whose answer came after the add-in stopped waiting is audited as `late`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import delete, func, select

from server import create_app, db, services, store
from server.model import normalise_address
from server.services import CheckMode, CheckRequest
from server.tables import audit_events

DEV = {"Authorization": "Dev carol@northwind.example"}
CHECK = {"mode": "send", "to": ["kim@contoso.example"], "subject": "Figures", "body": "Attached."}
ANSWER_WITHIN = 2.0  # seconds: the bound on an answer while the database hangs
GUNICORN = Path(sys.executable).with_name("gunicorn")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outage_app(own_postgres, tmp_path):
    """A development app on the module's own PostgreSQL, migrated and without audit rows."""
    engine = db.make_engine(own_postgres.url)
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(delete(audit_events))
    engine.dispose()
    app = create_app({"ENV": "development", "TESTING": True, "DATABASE_URL": own_postgres.url})
    app.instance_path = str(tmp_path)
    yield app
    db.dispose(app)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def check(client):
    return client.post("/api/v1/check", headers=DEV, json=CHECK)


def audited_checks(app) -> int:
    with app.extensions["leaverguard.engine"].connect() as conn:
        return conn.scalar(select(func.count()).select_from(audit_events).where(audit_events.c.kind == "check"))


def test_a_check_on_a_pooled_connection_to_a_hung_postgresql_is_a_503_with_retry_after_within_two_seconds(
    outage_app, own_postgres
):
    client = outage_app.test_client()
    assert check(client).status_code == 200  # the check engine now holds an open connection in its pool

    with own_postgres.frozen():
        response, seconds = timed(lambda: check(client))

    assert (response.status_code, response.get_json()["error"]["code"]) == (503, "unavailable")
    assert response.headers["Retry-After"].isdigit()
    assert seconds < ANSWER_WITHIN


def test_a_check_that_must_open_a_connection_to_a_hung_postgresql_is_a_503_within_two_seconds(outage_app, own_postgres):
    client = outage_app.test_client()
    assert check(client).status_code == 200
    outage_app.extensions["leaverguard.check_engine"].dispose()  # no pooled connection left: the check must connect

    with own_postgres.frozen():
        response, seconds = timed(lambda: check(client))

    assert response.status_code == 503
    assert seconds < ANSWER_WITHIN


def test_healthz_answers_and_readyz_says_unavailable_while_postgresql_hangs(outage_app, own_postgres):
    client = outage_app.test_client()
    assert client.get("/readyz").status_code == 200

    with own_postgres.frozen():
        live, live_seconds = timed(lambda: client.get("/healthz"))
        ready, ready_seconds = timed(lambda: client.get("/readyz"))
        live_again = client.get("/healthz")

    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})
    assert live_again.status_code == 200
    assert live_seconds < ANSWER_WITHIN
    assert (ready.status_code, ready.get_json()["status"]) == (503, "unavailable")
    assert ready_seconds < ANSWER_WITHIN


def test_every_check_while_postgresql_hangs_is_a_503_within_two_seconds_not_only_the_first(outage_app, own_postgres):
    client = outage_app.test_client()
    assert check(client).status_code == 200

    with own_postgres.frozen():
        answers = [timed(lambda: check(client)) for _ in range(4)]

    assert [response.status_code for response, _ in answers] == [503] * 4
    assert max(seconds for _, seconds in answers) < ANSWER_WITHIN


def test_checks_succeed_again_after_postgresql_resumes_with_no_manual_step_and_refusals_left_no_audit_row(
    outage_app, own_postgres
):
    client = outage_app.test_client()
    assert check(client).status_code == 200
    with own_postgres.frozen():
        assert check(client).status_code == 503
        assert check(client).status_code == 503

    # The breaker leaves the database alone for a moment (db_timeouts.COOL_DOWN); then the next check reconnects.
    deadline, response = time.monotonic() + 10, check(client)
    while response.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        response = check(client)

    assert response.status_code == 200
    assert response.get_json()["verdict"] == "allow"
    answered = 2  # the check before the hang and the one that succeeded after it
    assert audited_checks(outage_app) == answered


def test_a_console_page_while_postgresql_hangs_is_a_503_page_within_its_own_bound(own_postgres, tmp_path):
    engine = db.make_engine(own_postgres.url)
    db.upgrade(engine)
    engine.dispose()
    settings = {"ENV": "development", "TESTING": True, "DATABASE_URL": own_postgres.url, "DB_STATEMENT_TIMEOUT_MS": 800}
    app = create_app(settings | {"ADMIN_USERS": ("admin@northwind.example",)})
    try:
        client = app.test_client()
        with client.session_transaction() as session:
            session["user"] = "admin@northwind.example"
        assert client.get("/admin/clients").status_code == 200

        with own_postgres.frozen():
            response, seconds = timed(lambda: client.get("/admin/clients"))

        assert (response.status_code, response.mimetype) == (503, "text/html")
        assert seconds < ANSWER_WITHIN
    finally:
        db.dispose(app)


def test_over_http_with_one_gunicorn_worker_hung_checks_are_quick_503s_and_healthz_keeps_answering(
    own_postgres, outage_app, started_gunicorn, tmp_path
):
    """One sync worker, as a small deployment runs: a check it waits on blocks every request behind it."""
    base = started_gunicorn(own_postgres.url, tmp_path, workers=1)
    assert requests.post(f"{base}/api/v1/check", headers=DEV, json=CHECK, timeout=5).status_code == 200

    with own_postgres.frozen(), ThreadPoolExecutor(3) as pool:
        checks = [pool.submit(timed, lambda: http_check(base)) for _ in range(3)]
        time.sleep(0.2)  # the checks reach the worker first
        health = requests.get(f"{base}/healthz", timeout=3)  # the Dockerfile's health check bound
        answers = [future.result() for future in checks]

    assert health.status_code == 200
    assert [response.status_code for response, _ in answers] == [503] * 3
    assert all(response.headers.get("Retry-After") for response, _ in answers)
    assert max(seconds for _, seconds in answers) < 3 * ANSWER_WITHIN  # queued behind one another on one worker
    assert min(seconds for _, seconds in answers) < ANSWER_WITHIN


def http_check(base: str):
    return requests.post(f"{base}/api/v1/check", headers=DEV | {"Connection": "close"}, json=CHECK, timeout=10)


@pytest.fixture
def started_gunicorn(tmp_path):
    """Starts gunicorn (sync workers, `server:create_app()`) on a database URL; its base URL. Stopped afterwards."""
    servers = []

    def start(url: str, _tmp, *, workers: int) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = os.environ | {"LEAVERGUARD_ENV": "development", "DATABASE_URL": url, "LEAVERGUARD_LOG_LEVEL": "ERROR"}
        command = [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "server:create_app()"]
        with (tmp_path / "gunicorn.err").open("wb") as errors:
            servers.append(subprocess.Popen(command, env=env, cwd=ROOT, stderr=errors))
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return base
            except requests.RequestException:  # not listening yet
                time.sleep(0.1)
        pytest.fail(f"gunicorn did not start: {(tmp_path / 'gunicorn.err').read_text(errors='replace')[-2000:]}")

    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


# --- on both backends ------------------------------------------------------------------


def test_a_check_held_up_by_a_lock_beyond_its_bound_is_a_quick_503_and_the_next_check_succeeds(app, client, engine):
    """PostgreSQL cancels the statement itself (statement_timeout); SQLite stops waiting for the lock (busy timeout).

    Either way the connection is kept (this was a slow statement, not a silent server): nothing trips the breaker.
    """
    assert check(client).status_code == 200
    with engine.connect() as holder:
        if engine.dialect.name == "postgresql":
            holder.exec_driver_sql("BEGIN")
            holder.exec_driver_sql("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE")
        else:
            holder.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite's one write lock
        # Released after 10 s whatever happens: a check that waits without a bound then fails instead of hanging.
        release = threading.Timer(10, holder.connection.dbapi_connection.rollback)
        release.start()
        response, seconds = timed(lambda: check(client))
        release.cancel()
        holder.rollback()

    assert response.status_code == 503
    assert seconds < ANSWER_WITHIN
    assert check(client).status_code == 200
    assert audited_checks(app) == 2


# --- late answers, on both backends ------------------------------------------------


def a_check(message_builder) -> CheckRequest:
    message = message_builder(to=["kim@contoso.example"])
    return CheckRequest(normalise_address("carol@northwind.example"), message, CheckMode.SEND)


@pytest.mark.parametrize(("waited", "late"), [(0.0, False), (5.0, True)], ids=["in-time", "after-the-add-in-gave-up"])
def test_a_check_answered_after_the_add_in_stopped_waiting_is_audited_as_late(engine, message_builder, waited, late):
    started = 100.0  # a clock of the test's own: the check took `waited` seconds
    answer_by = started + 3.5

    services.check_message(
        engine, a_check(message_builder), now=datetime.now(UTC), answer_by=answer_by, clock=lambda: started + waited
    )

    with engine.connect() as conn:
        (row,) = store.audit_events(conn)
    assert row["details"].get("late", False) is late
