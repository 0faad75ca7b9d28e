"""Import jobs: an import is all or nothing even when its process dies or it fails half-way, one runs at a time.

The death is real: an import runs in a child process, which is killed (SIGKILL) once it has written
part of the file. On SQLite the batches it committed are visible until the recovery undoes them from the
journal; PostgreSQL rolled them back with the connection. Either way the directory ends as it was before,
the job says failed, and the next import may run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import bulk_jobs, bulk_merge, import_jobs, imports, store
from server.model import normalise_address
from server.tables import client_accounts, client_contacts, client_domains, import_undo
from server.tables import import_jobs as jobs_table

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 50_000
NOW = datetime.now(UTC)


def later() -> datetime:
    """A time by which every heartbeat so far is stale."""
    return datetime.now(UTC) + import_jobs.STALE_AFTER + timedelta(seconds=1)


@pytest.fixture
def directory_before(engine):
    """What was stored before the import: the file moves a contact and a domain to its accounts and changes an owner."""
    with engine.begin() as conn:
        legacy = store.ensure_account(conn, "Legacy Ltd", "legacy-owner@northwind.example", "manual", NOW)
        first = store.ensure_account(conn, "Account 00000", "old-owner@northwind.example", "manual", NOW)
        store.add_client_contact(conn, legacy, normalise_address("person7@client00000-0.example"), "Kept Name")
        store.add_client_domain(conn, legacy, "client00001-3.example")
        store.add_client_domain(conn, first, "kept.example")
    return directory(engine)


def directory(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            table.name: sorted(map(repr, conn.execute(select(table))))
            for table in (client_accounts, client_domains, client_contacts)
        }


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def job_row(engine, job_id: int) -> bulk_jobs.ImportJob:
    with engine.connect() as conn:
        return bulk_jobs.find(conn, job_id)


def latest_job(engine) -> bulk_jobs.ImportJob | None:
    with engine.connect() as conn:
        job_id = conn.scalar(select(func.max(jobs_table.c.id)))
        return None if job_id is None else bulk_jobs.find(conn, job_id)


def lines_journaled(engine) -> bool:
    """True once a batch of contacts and domains has committed (with its journal row)."""
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(import_undo).where(import_undo.c.kind != "accounts")) > 0


CHILD = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from server import db, imports
    engine = db.make_engine(sys.argv[1])
    imports.import_clients(engine, sys.argv[2], now=datetime.now(UTC), actor="ops@northwind.example")
    """
)


def killed_while_writing(database_url: str, path: Path, engine) -> bulk_jobs.ImportJob:
    """Run an import in a child process and SIGKILL it once it has written rows; the job as it was left."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, database_url, str(path)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            job = latest_job(engine)
            # On SQLite, once a batch has committed (its journal row with it); PostgreSQL writes in one transaction.
            wrote = engine.dialect.name != "sqlite" or lines_journaled(engine)
            if job is not None and job.phase == "writing" and wrote:
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        else:
            pytest.fail(f"the import ended (exit {child.returncode}) before it could be killed while writing")
    finally:
        child.wait(30)
    return latest_job(engine)


def test_an_import_whose_process_died_while_writing_is_undone_by_recovery_and_shown_failed(
    engine, database_url, clients_file, directory_before
):
    job = killed_while_writing(database_url, clients_file(CONTACTS), engine)
    assert (job.status, job.phase) == ("running", "writing")
    if engine.dialect.name == "sqlite":  # its committed batches are there until the recovery
        assert count(engine, client_contacts) > 1
        assert count(engine, import_undo) > 0

    assert import_jobs.recover(engine, datetime.now(UTC)) == 0  # its heartbeat is still fresh: not touched
    undone = import_jobs.recover(engine, later())

    assert undone == 1
    assert directory(engine) == directory_before
    ended = job_row(engine, job.id)
    assert (ended.status, ended.error, ended.rows_written) == ("failed", import_jobs.DIED, 0)
    assert count(engine, import_undo) == 0
    with engine.connect() as conn:
        assert bulk_jobs.holder(conn, "clients") is None  # the slot is free again


def test_after_a_died_import_was_undone_the_same_file_imports_whole(
    engine, database_url, clients_file, directory_before
):
    path = clients_file(CONTACTS)
    killed_while_writing(database_url, path, engine)
    import_jobs.recover(engine, later())

    report = imports.import_clients(engine, path, now=datetime.now(UTC))

    assert report.written
    assert count(engine, client_contacts) == CONTACTS
    assert latest_job(engine).status == "done"


def test_an_import_that_fails_half_way_undoes_what_it_wrote_before_it_says_failed(
    engine, clients_file, directory_before, monkeypatch
):
    real_write, batches = bulk_merge._write_lines, []

    def fails_on_the_third(*args, **kwargs):
        batches.append(1)
        if len(batches) == 3:
            raise OSError("disk full")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(bulk_merge, "_write_lines", fails_on_the_third)

    with pytest.raises(OSError, match="disk full"):
        imports.import_clients(engine, clients_file(CONTACTS), now=NOW)

    assert directory(engine) == directory_before
    job = latest_job(engine)
    assert (job.status, job.error) == ("failed", "The import failed and nothing of it was kept: OSError.")
    assert count(engine, import_undo) == 0


def test_a_second_clients_import_while_one_runs_is_refused_naming_who_runs_it(engine, clients_file):
    running = import_jobs.create(
        engine, kind="clients", actor="ada@northwind.example", filename="big.csv", now=datetime.now(UTC)
    )

    with pytest.raises(import_jobs.ImportBusy) as refused:
        imports.import_clients(engine, clients_file(200), now=NOW)

    assert refused.value.job.id == running.id
    message = import_jobs.busy_message(refused.value)
    assert f"job {running.id}, ada@northwind.example" in message
    assert count(engine, client_contacts) == 0


def test_the_command_line_says_another_import_runs_and_exits_1_without_a_traceback(runner, engine, clients_file):
    import_jobs.create(engine, kind="clients", actor="ada@northwind.example", filename="big.csv", now=datetime.now(UTC))

    result = runner.invoke(args=["clients", "import", str(clients_file(200))])

    assert result.exit_code == 1
    assert "nothing imported: another clients import is running" in result.output
    assert "Traceback" not in result.output


def test_a_departures_import_may_run_while_a_clients_import_runs(engine):
    import_jobs.create(engine, kind="clients", actor="ada@northwind.example", filename="big.csv", now=datetime.now(UTC))

    departures = import_jobs.create(
        engine, kind="departures", actor="hr@northwind.example", filename="d.csv", now=datetime.now(UTC)
    )

    assert departures.id


def test_a_job_undone_by_recovery_while_its_process_still_runs_stops_that_process_at_its_next_batch(
    engine, clients_file
):
    """A process that only lost its heartbeat (not dead) must not write on after its job was undone and failed."""
    job = import_jobs.create(
        engine, kind="clients", actor="ada@northwind.example", filename="c.csv", now=datetime.now(UTC)
    )
    with engine.begin() as conn:
        conn.execute(jobs_table.update().where(jobs_table.c.id == job.id).values(heartbeat_at=NOW - timedelta(hours=1)))
    import_jobs.recover(engine, NOW)

    with pytest.raises(import_jobs.JobEnded):
        imports.import_clients(engine, clients_file(200), now=NOW, job=job)

    assert count(engine, client_contacts) == 0
