"""The `sync` commands, the loop and its SIGTERM, and the sync settings (secrets from files, never shown)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from server import config, db
from server.sync.records import Run, RunStatus
from server.sync.schedule import Loop, next_delay
from server.sync.service import SyncStopped

from ..builders import NOW

HEADER = "EmailAddress,ResignationDate,LastWorkingDate\n"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hr_folder(app, tmp_path):
    folder = tmp_path / "hr"
    folder.mkdir()
    (folder / "leavers.csv").write_text(HEADER + "alice@northwind.example,2026-11-12,2030-12-12\n")
    app.config.update(SYNC_HR_CSV_FOLDER=str(folder), SYNC_CONNECTORS=("hr-csv",), SYNC_RETRIES=0)
    return folder


def test_sync_status_before_any_run_says_so(runner):
    result = runner.invoke(args=["sync", "status"])

    assert (result.exit_code, result.output) == (0, "no sync has run yet\n")


def test_sync_one_connector_then_status_shows_the_run_and_its_last_success(runner, hr_folder):
    ran = runner.invoke(args=["sync", "hr-csv"])
    status = runner.invoke(args=["sync", "status", "--json"])

    assert (ran.exit_code, ran.output) == (
        0,
        "hr-csv: success; 1 added, 0 updated, 0 removed, 0 skipped; 0 conflicts\n",
    )
    shown = json.loads(status.output)
    assert shown["enabled"] == ["hr-csv"]
    assert shown["sources"]["hr-csv"]["last_run"]["status"] == "success"
    assert shown["sources"]["hr-csv"]["last_success_at"] is not None
    assert "last success:" in runner.invoke(args=["sync", "status"]).output


def test_sync_all_runs_every_enabled_connector_once(runner, hr_folder):
    result = runner.invoke(args=["sync", "all"])

    assert result.exit_code == 0 and result.output.startswith("hr-csv: success; 1 added")


def test_a_refused_run_exits_1_and_accept_drop_applies_it(runner, hr_folder):
    runner.invoke(args=["sync", "hr-csv"])
    (hr_folder / "later.csv").write_text(HEADER)
    os.utime(hr_folder / "later.csv", (time.time() + 60, time.time() + 60))

    refused = runner.invoke(args=["sync", "hr-csv"])
    accepted = runner.invoke(args=["sync", "hr-csv", "--accept-drop"])

    assert refused.exit_code == 1 and "refused" in refused.output
    assert accepted.exit_code == 0 and "1 removed" in accepted.output


@pytest.mark.parametrize(
    ("args", "settings", "message"),
    [
        (["sync", "entra"], {}, "entra is not configured: set LEAVERGUARD_GRAPH_TENANT_ID"),
        (["sync", "all"], {"SYNC_CONNECTORS": ()}, "no sync is enabled: set LEAVERGUARD_SYNC_CONNECTORS"),
        (["sync", "all", "--loop"], {"SYNC_CONNECTORS": ("hubspot",)}, "hubspot is not configured"),
        (["sync", "hr-csv"], {"SYNC_HR_CSV_FOLDER": ""}, "hr-csv needs either a drop folder or a URL"),
    ],
)
def test_a_connector_that_is_not_configured_is_a_clear_error_not_a_traceback(app, runner, args, settings, message):
    app.config.update(settings)

    result = runner.invoke(args=args)

    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


# --- the loop ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "expected"), [(0, 900), (1, 60), (2, 120), (3, 240), (5, 900)], ids=lambda v: str(v)
)
def test_a_failed_connector_is_retried_sooner_with_doubling_backoff_but_never_later_than_its_interval(
    failures, expected
):
    assert next_delay(900, failures, 60) == expected


def fake_run(name: str, status: RunStatus) -> Run:
    return Run(name, NOW, NOW, status)


def test_the_loop_runs_each_connector_at_its_interval_and_backs_off_after_a_failure():
    now = [0.0]
    stop = threading.Event()
    ran: list[tuple[str, float]] = []
    statuses = {"entra": [RunStatus.FAILED] + [RunStatus.SUCCESS] * 3, "hubspot": [RunStatus.SUCCESS] * 3}

    def run(name):
        ran.append((name, now[0]))
        if len(ran) == 5:
            stop.set()
        return fake_run(name, statuses[name].pop(0))

    loop = Loop(run, {"entra": 300, "hubspot": 3600}, backoff=30, stop=stop, clock=lambda: now[0])
    loop.stop.wait = lambda seconds: (now.__setitem__(0, now[0] + seconds), stop.is_set())[1]

    loop.run_forever()

    assert ran == [("entra", 0), ("hubspot", 0), ("entra", 30), ("entra", 330), ("entra", 630)]


def test_a_wait_for_a_throttled_source_ends_when_the_loop_is_stopped():
    loop = Loop(lambda _n: None, {}, backoff=1)
    loop.stop.set()

    with pytest.raises(SyncStopped):
        loop.sleep(3600)


def test_sigterm_stops_sync_all_loop_cleanly(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'loop.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    folder = tmp_path / "hr"
    folder.mkdir()
    (folder / "leavers.csv").write_text(HEADER + "alice@northwind.example,2026-11-12,2030-12-12\n")
    env = os.environ | {
        "LEAVERGUARD_ENV": "development",
        "DATABASE_URL": database_url,
        "LEAVERGUARD_SYNC_CONNECTORS": "hr-csv",
        "LEAVERGUARD_SYNC_HR_CSV_FOLDER": str(folder),
        "LEAVERGUARD_LOG_LEVEL": "WARNING",
    }
    flask = [sys.executable, "-m", "flask", "--app", "server", "sync", "all", "--loop"]
    process = subprocess.Popen(flask, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(2)]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert lines[0].startswith("syncing hr-csv until stopped")
    assert lines[1].startswith("hr-csv: ")


# --- settings -------------------------------------------------------------------------------------


def test_a_secret_can_come_from_a_file_and_is_never_shown(tmp_path):
    secret_file = tmp_path / "graph-secret"
    secret_file.write_text("file-secret-value\n")

    loaded = config.load({"LEAVERGUARD_GRAPH_CLIENT_SECRET_FILE": str(secret_file)})

    assert loaded["GRAPH_CLIENT_SECRET"].reveal() == "file-secret-value"
    assert "file-secret-value" not in repr(loaded) and "file-secret-value" not in str(loaded["GRAPH_CLIENT_SECRET"])


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"LEAVERGUARD_HUBSPOT_TOKEN": "a", "LEAVERGUARD_HUBSPOT_TOKEN_FILE": "/x"},
            "set LEAVERGUARD_HUBSPOT_TOKEN or LEAVERGUARD_HUBSPOT_TOKEN_FILE, not both",
        ),
        (
            {"LEAVERGUARD_HUBSPOT_TOKEN_FILE": "/nonexistent/token"},
            "LEAVERGUARD_HUBSPOT_TOKEN_FILE='/nonexistent/token': cannot read the file (No such file or directory)",
        ),
        ({"LEAVERGUARD_SYNC_ENTRA_INTERVAL": "soon"}, "LEAVERGUARD_SYNC_ENTRA_INTERVAL='soon' is not valid"),
        ({"LEAVERGUARD_SYNC_MAX_DROP_SHARE": "150%"}, "'150%' is not between 0 and 1"),
        ({"LEAVERGUARD_SYNC_CONNECTORS": "entra,workday"}, "unknown connector 'workday'"),
        ({"LEAVERGUARD_GRAPH_TENANT_ID": "contoso.onmicrosoft.com"}, "is not a GUID"),
        ({"LEAVERGUARD_SALESFORCE_URL": "http://acme.my.salesforce.com"}, "is not an https:// address"),
    ],
)
def test_a_wrong_sync_setting_stops_the_start_with_a_clear_message(environ, message):
    with pytest.raises(SystemExit) as stopped:
        config.load(environ)

    assert message in str(stopped.value.code)


@pytest.mark.parametrize(("raw", "seconds"), [("900", 900), ("90s", 90), ("15m", 900), ("1h", 3600)])
def test_intervals_are_seconds_or_minutes_or_hours(raw, seconds):
    assert config.load({"LEAVERGUARD_SYNC_HUBSPOT_INTERVAL": raw})["SYNC_HUBSPOT_INTERVAL"] == seconds


def test_sync_settings_default_to_a_safe_share_and_every_connector_off():
    loaded = config.load({})

    assert (loaded["SYNC_MAX_DROP_SHARE"], loaded["SYNC_CONNECTORS"], loaded["SYNC_ENTRA_INTERVAL"]) == (0.2, (), 900)
