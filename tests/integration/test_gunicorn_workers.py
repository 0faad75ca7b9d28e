"""A saved change applies at the next check in every gunicorn worker: two real workers over real HTTP.

The server runs as it does in production (gunicorn, two sync workers, `server:create_app()`),
on the test's database. Concurrent requests make both workers answer; gunicorn's access
log names the process behind each answer, so the test knows both followed the change.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from server import demo, store
from server.model import PolicySettings, Verdict

GUNICORN = Path(sys.executable).with_name("gunicorn")
LEAVER = {"Authorization": "Dev alice@northwind.example"}
TO_CLIENT = {"to": ["kim@contoso.example"], "subject": "Handover", "body": "Hello Kim"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def two_workers(engine, database_url, tmp_path):
    """gunicorn with two workers on the test database (seeded with the demo); yields (base URL, access log)."""
    demo.seed(engine, datetime.now(UTC))
    port, log = _free_port(), tmp_path / "access.log"
    env = os.environ | {
        "LEAVERGUARD_ENV": "development",
        "DATABASE_URL": database_url,
        "LEAVERGUARD_HOUSEKEEPING_INTERVAL": "0",
        "LEAVERGUARD_LOG_LEVEL": "WARNING",
    }
    command = [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log)]
    command += ["--access-logformat", "%(p)s %(s)s %(U)s", "server:create_app()"]
    errors = tmp_path / "gunicorn.err"
    with errors.open("wb") as stderr:
        server = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[2], stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server, errors)
        yield base, log
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_until_up(base: str, server: subprocess.Popen, errors: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {errors.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still starting
            time.sleep(0.1)
    pytest.fail("gunicorn did not answer /healthz within 30 s")


def _verdicts_until_both_workers_answered(base: str, log: Path) -> set[str]:
    """Checks, eight at a time on fresh connections, until the access log shows both workers answering."""
    start = len(log.read_text().splitlines())

    def check(_: int) -> str:
        headers = LEAVER | {"Connection": "close"}
        answer = requests.post(f"{base}/api/v1/check", headers=headers, json=TO_CLIENT, timeout=30)
        return answer.json().get("verdict", f"HTTP {answer.status_code}")

    verdicts: set[str] = set()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(50):
            verdicts |= set(pool.map(check, range(8)))
            if len(_check_pids(log, start)) == 2:
                return verdicts
    pytest.fail(f"only one gunicorn worker answered 400 checks (verdicts {verdicts})")


def _check_pids(log: Path, after_line: int) -> set[str]:
    lines = log.read_text().splitlines()[after_line:]
    return {line.split()[0] for line in lines if line.endswith("/api/v1/check")}


def test_a_ladder_change_applies_at_the_next_check_in_both_gunicorn_workers(two_workers, engine):
    base, log = two_workers
    assert _verdicts_until_both_workers_answered(base, log) == {"require_approval"}

    with engine.begin() as conn:  # what the admin console's policy page saves
        ladder = dict(store.load_settings(conn).ladder)
        ladder[next(k for k in ladder if k[0] == "notice" and k[1] == "client_contact")] = Verdict.BLOCK
        store.save_settings(conn, PolicySettings(ladder=ladder), datetime.now(UTC))

    assert _verdicts_until_both_workers_answered(base, log) == {"block"}
