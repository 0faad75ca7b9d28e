"""A throw-away PostgreSQL server of a test's own, which the test may freeze (SIGSTOP) and thaw (SIGCONT).

The shared server of scripts/with-postgres.sh serves every other test; a test that hangs a server starts
its own: initdb into a fresh directory (as the `postgres` user when run as root, as initdb refuses
root), pg_ctl on a free loopback port, and `pg_ctl -m immediate stop` afterwards. Only the processes of
this server are ever signalled, by their ids: the postmaster (postmaster.pid) and its children.

Without PostgreSQL installed the fixture skips, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest


def _postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian's layout), as scripts/with-postgres.sh finds it."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ThrowawayPostgres:
    """A running server: its database URL and its data directory."""

    url: str
    data: Path

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def pids(self) -> list[int]:
        """The postmaster and every process it started (backends, checkpointer, …), postmaster first."""
        postmaster = self.postmaster_pid()
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # the process ended meanwhile
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state; the name may hold spaces
            if parent == postmaster:
                children.append(int(entry.name))
        return [postmaster, *children]

    @contextmanager
    def frozen(self, at_most: float = 10.0) -> Iterator[list[int]]:
        """SIGSTOP the server's processes (the postmaster first, so it starts no new ones); SIGCONT them after.

        Also after `at_most` seconds, whatever the test is doing: code that waits for the server without a
        bound (the bug these tests are about) then fails the test instead of hanging the suite.
        """
        stopped: list[int] = []
        thawed = threading.Lock()

        def thaw() -> None:
            if thawed.acquire(blocking=False):
                for pid in reversed(stopped):
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGCONT)

        timer = threading.Timer(at_most, thaw)
        try:
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGSTOP)
                except ProcessLookupError:  # a backend that ended since it was listed needs no stopping
                    continue
                stopped.append(pid)
            timer.start()
            yield stopped
        finally:
            timer.cancel()
            thaw()


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """Start a server with one empty database `leaverguard`; stop it and delete its files afterwards."""
    pg_bin = _postgres_bin()
    if pg_bin is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PostgreSQL is not installed: the database outage tests must run in CI")
        pytest.skip("PostgreSQL is not installed (the outage test starts a server of its own)")
    data = Path(tempfile.mkdtemp(prefix="leaverguard-hung-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = _free_port()
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    options = f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off"
    try:
        subprocess.run(
            _as_postgres([str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]),
            **quiet,
        )
        subprocess.run(
            _as_postgres(
                [str(pg_bin / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "server.log"), "-o", options, "start"]
            ),
            **quiet,
        )
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE leaverguard")
        yield ThrowawayPostgres(f"postgresql+psycopg://postgres@127.0.0.1:{port}/leaverguard", data)
    finally:
        if (data / "postmaster.pid").exists():
            server = ThrowawayPostgres("", data)
            for pid in server.pids():  # a stopped server ignores everything but SIGCONT and SIGKILL
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        subprocess.run(
            _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)
