"""A big clients import finishes while checks keep arriving, and no check is refused for a locked database.

On SQLite only one connection writes at a time, and every `send` check writes its audit row: an import
that held the write lock from its first row to its last made checks wait, and one whose transaction
had read before writing failed outright with `database is locked` once a check had written meanwhile.
A smaller version of bench/import_under_load_bench.py (1,000,000 contacts at 20 checks a second): 50,000
contacts here, checks at 20 a second from another thread through the engine the web layer checks on.
No timing is asserted: what must hold is that the import lands whole and every check was answered.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from server import imports, services, store
from server.model import Phase, normalise_address
from server.services import CheckMode, CheckRequest
from server.tables import audit_events, client_contacts

CONTACTS = 50_000
CHECKS_PER_SECOND = 20
LEAVER = "alice@northwind.example"


class Checker(threading.Thread):
    """Sends `send` checks from a leaver to a client at a steady rate until stopped; keeps every error."""

    def __init__(self, engine, message_builder) -> None:
        super().__init__(daemon=True)
        self.engine, self.stop, self.errors, self.answered = engine, threading.Event(), [], 0
        message = message_builder(to=["person7@client00000-0.example", "new@client00042-3.example"])
        self.request = CheckRequest(normalise_address(LEAVER), message, CheckMode.SEND)
        self.cache = services.SettingsCache()

    def run(self) -> None:
        while not self.stop.wait(1 / CHECKS_PER_SECOND):
            try:
                services.check_message(self.engine, self.request, now=datetime.now(UTC), settings_cache=self.cache)
                self.answered += 1
            except Exception as exc:  # every failure is the test's finding
                self.errors.append(f"{type(exc).__name__}: {exc}")


def test_a_50000_contact_import_lands_whole_while_checks_arrive_and_no_check_finds_the_database_locked(
    app, engine, clients_file, message_builder, departure_builder
):
    with engine.begin() as conn:
        store.save_departure(conn, departure_builder(LEAVER), datetime.now(UTC))
    path = clients_file(CONTACTS)
    checker = Checker(app.extensions["leaverguard.check_engine"], message_builder)
    checker.start()
    try:
        report = imports.import_clients(engine, path, now=datetime.now(UTC), actor="admin@northwind.example")
    finally:
        checker.stop.set()
        checker.join(30)

    assert report.ok, report.errors[:3]
    assert report.written
    assert checker.errors == []
    assert checker.answered > 0
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(client_contacts)) == CONTACTS
        audited = conn.scalar(select(func.count()).select_from(audit_events).where(audit_events.c.kind == "check"))
    assert audited == checker.answered


def test_the_check_during_the_import_sees_the_client_directory_before_or_after_each_row_never_a_broken_one(
    app, engine, clients_file, message_builder, departure_builder
):
    """Every answer names the leaver's phase and classes the recipient either as before or as after the import."""
    with engine.begin() as conn:
        store.save_departure(conn, departure_builder(LEAVER), datetime.now(UTC))
    request = CheckRequest(normalise_address(LEAVER), message_builder(to=["person7@client00000-0.example"]))
    path = clients_file(CONTACTS)
    seen, stop = set(), threading.Event()

    def watch() -> None:
        while not stop.is_set():
            result = services.check_message(app.extensions["leaverguard.check_engine"], request, now=datetime.now(UTC))
            seen.add((result.decision.phase, result.decision.verdict.value))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        imports.import_clients(engine, path, now=datetime.now(UTC))
    finally:
        stop.set()
        watcher.join(30)
    final = services.check_message(engine, request, now=datetime.now(UTC))

    assert final.decision.verdict.value == "require_approval"  # a client contact, during notice
    assert {phase for phase, _ in seen} == {Phase.NOTICE}
    assert {verdict for _, verdict in seen} <= {"allow", "require_approval"}  # external before, client after
