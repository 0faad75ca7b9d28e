"""The hr-csv, bamboohr and personio connectors against recorded-shape answers: paging, throttling, tokens,
a malformed record (skipped, the rest applied), an empty answer (nothing deleted), files applied once."""

from __future__ import annotations

import os

import pytest
import responses

from server import store
from server.sync import connectors
from server.sync.records import RunStatus
from server.sync.service import SyncSettings, run_once

from ..builders import NOW

SETTINGS = SyncSettings(max_drop_share=0.5, retries=0)
HEADER = "EmailAddress,ResignationDate,LastWorkingDate,SuccessorEmail,Status\n"
BAMBOO = "https://api.bamboohr.com/api/gateway.php/northwind/v1/reports/custom"
PERSONIO = "https://api.personio.de/v1"


def clock():
    return NOW


def register(engine) -> dict:
    with engine.connect() as conn:
        return {d.email: d for d in store.list_departures(conn)}


def no_sleep(_seconds):
    pass


# --- hr-csv -----------------------------------------------------------------------------------------


def drop(folder, name, rows, age=0):
    path = folder / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    os.utime(path, (1_700_000_000 + age, 1_700_000_000 + age))
    return path


def hr_csv(folder):
    return connectors.build("hr-csv", {"SYNC_HR_CSV_FOLDER": str(folder)})


def test_the_newest_file_of_the_drop_folder_is_applied_once_and_bad_rows_are_skipped_and_reported(engine, tmp_path):
    drop(tmp_path, "old.csv", ["zoe@northwind.example,2026-01-01,2026-02-01,,\n"], age=0)
    rows = [
        "alice@northwind.example,2026-11-12,2026-12-12,bob@northwind.example,active\n",
        "bob@northwind.example,2026-11-12,not a date,,\n",
        "frank@northwind.example,2026-11-01,2026-12-01,,withdrawn\n",
    ]
    drop(tmp_path, "today.csv", rows, age=10)

    first = run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)
    second = run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)

    assert (first.status, first.added, first.skipped) == (RunStatus.SUCCESS, 1, 1)
    assert first.errors == ("bob@northwind.example: line 3: LastWorkingDate is not an ISO-8601 date (YYYY-MM-DD)",)
    assert register(engine)["alice@northwind.example"].successor == "bob@northwind.example"
    assert (second.status, second.counts["added"]) == (RunStatus.UNCHANGED, 0)


def test_a_new_file_replaces_what_the_previous_one_said(engine, tmp_path):
    drop(
        tmp_path,
        "a.csv",
        ["alice@northwind.example,2026-11-12,2026-12-12,,\n", "bob@northwind.example,2026-11-12,2026-12-12,,\n"],
    )
    run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)
    drop(tmp_path, "b.csv", ["alice@northwind.example,2026-11-12,2026-12-20,,\n"], age=60)

    run = run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)

    assert run.counts == {"added": 0, "updated": 1, "removed": 1, "skipped": 0}


def test_a_file_with_a_wrong_header_fails_the_run_and_changes_nothing(engine, tmp_path):
    (tmp_path / "x.csv").write_text("Email,Date\nalice@northwind.example,2026-12-12\n")

    run = run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)

    assert run.status == RunStatus.FAILED and run.errors[0].startswith("hr-csv: x.csv: line 1")


def test_an_empty_drop_folder_is_a_failed_run_naming_the_folder(engine, tmp_path):
    run = run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)

    assert run.errors == (f"hr-csv: no .csv file in {tmp_path}",)


def test_an_hr_file_with_no_leavers_deletes_nothing(engine, tmp_path):
    drop(tmp_path, "a.csv", ["alice@northwind.example,2026-11-12,2026-12-12,,\n"])
    run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)
    drop(tmp_path, "b.csv", [], age=60)

    run = run_once(engine, hr_csv(tmp_path), SETTINGS, clock=clock)

    assert (run.status, list(register(engine))) == (RunStatus.REFUSED, ["alice@northwind.example"])


SIGNED = "https://hr.example/export.csv?sig=top-secret-signature"


@responses.activate
def test_the_hr_file_can_come_from_a_url_through_throttling_and_the_url_is_never_shown(engine):
    responses.get(SIGNED, status=429, headers={"Retry-After": "2"})
    responses.get(SIGNED, body=HEADER + "alice@northwind.example,2026-11-12,2026-12-12,,\n")
    responses.get(SIGNED, status=403)
    config = {"SYNC_HR_CSV_URL": SIGNED}

    first = run_once(engine, connectors.build("hr-csv", config, sleep=no_sleep), SETTINGS, clock=clock)
    failed = run_once(engine, connectors.build("hr-csv", config, sleep=no_sleep), SETTINGS, clock=clock)

    assert first.added == 1
    assert failed.errors == ("HR CSV: the configured URL answered 403",)


# --- BambooHR --------------------------------------------------------------------------------------------


def bamboohr():
    config = {"BAMBOOHR_COMPANY": "northwind", "BAMBOOHR_API_KEY": "bamboo-key-secret"}
    return connectors.build("bamboohr", config, sleep=no_sleep)


def employee(eid, email, termination, **fields):
    return {"id": eid, "workEmail": email, "terminationDate": termination, **fields}


@responses.activate
def test_bamboohr_employees_with_a_termination_date_are_leavers_after_throttling(engine):
    employees = [
        employee(
            "1",
            "alice@northwind.example",
            "2026-12-31",
            supervisorEmail="bob@northwind.example",
            homeEmail="alice@gmail.com",
        ),
        employee("2", "carol@northwind.example", "0000-00-00"),
        employee("3", "bob@northwind.example", "soon"),
    ]
    responses.post(BAMBOO, status=503)
    responses.post(BAMBOO, json={"title": "LeaverGuard leavers", "fields": [], "employees": employees})

    run = run_once(engine, bamboohr(), SETTINGS, clock=clock)

    assert (run.added, run.skipped, run.errors) == (
        1,
        1,
        ("bob@northwind.example: terminationDate 'soon' is not a date",),
    )
    alice = register(engine)["alice@northwind.example"]
    assert (alice.successor, alice.personal_addresses) == ("bob@northwind.example", ("alice@gmail.com",))
    request = responses.calls[-1].request
    assert request.headers["Authorization"].startswith("Basic ") and "onlyCurrent=false" in request.url


@responses.activate
def test_a_revoked_bamboohr_key_is_a_clear_failure_and_an_empty_report_deletes_nothing(engine):
    responses.post(BAMBOO, json={"employees": [employee("1", "alice@northwind.example", "2026-12-31")]})
    responses.post(BAMBOO, json={"employees": []})
    responses.post(BAMBOO, status=401)
    run_once(engine, bamboohr(), SETTINGS, clock=clock)

    empty = run_once(engine, bamboohr(), SETTINGS, clock=clock)
    revoked = run_once(engine, bamboohr(), SETTINGS, clock=clock)

    assert (empty.status, list(register(engine))) == (RunStatus.REFUSED, ["alice@northwind.example"])
    assert revoked.errors == ("BambooHR: the API key was refused (401): check LEAVERGUARD_BAMBOOHR_API_KEY",)


# --- Personio -----------------------------------------------------------------------------------------


def personio_employee(pid, email, last_day=None, supervisor=None):
    attributes = {"id": {"value": pid}, "email": {"value": email}}
    if last_day is not None:
        attributes["last_working_day"] = {"label": "Last day", "value": last_day}
    if supervisor:
        attributes["supervisor"] = {"value": {"type": "Employee", "attributes": {"email": {"value": supervisor}}}}
    return {"type": "Employee", "attributes": attributes}


def personio():
    config = {"PERSONIO_CLIENT_ID": "pid", "PERSONIO_CLIENT_SECRET": "personio-secret"}
    return connectors.build("personio", config, sleep=no_sleep)


@responses.activate
def test_personio_employees_are_paged_and_an_expired_token_is_renewed_once(engine):
    responses.post(f"{PERSONIO}/auth", json={"success": True, "data": {"token": "t1"}})
    responses.post(f"{PERSONIO}/auth", json={"success": True, "data": {"token": "t2"}})
    staff = [personio_employee(i, f"p{i}@northwind.example") for i in range(99)]
    first_page = [
        personio_employee(100, "alice@northwind.example", "2026-12-31T00:00:00+01:00", "bob@northwind.example"),
        *staff,
    ]
    employees = f"{PERSONIO}/company/employees"
    responses.get(employees, status=401)
    responses.get(
        employees,
        json={"success": True, "metadata": {"total_elements": 101}, "data": first_page},
        headers={"Authorization": "Bearer t3"},
    )
    responses.get(employees, status=429, headers={"Retry-After": "1"})
    responses.get(
        employees, json={"success": True, "data": [personio_employee(101, "dmitri@northwind.example", "not a day")]}
    )

    run = run_once(engine, personio(), SETTINGS, clock=clock)

    assert (run.added, run.skipped) == (1, 1)
    assert register(engine)["alice@northwind.example"].successor == "bob@northwind.example"
    sent = [
        (c.request.headers.get("Authorization"), c.request.params.get("offset"))
        for c in responses.calls
        if "employees" in c.request.url
    ]
    assert sent == [("Bearer t1", "0"), ("Bearer t2", "0"), ("Bearer t3", "100"), ("Bearer t3", "100")]


@responses.activate
def test_refused_personio_credentials_fail_the_run_without_the_secret(engine):
    responses.post(f"{PERSONIO}/auth", status=403, json={"success": False, "error": {"message": "bad"}})

    run = run_once(engine, personio(), SETTINGS, clock=clock)

    assert run.errors == ("Personio: no token for client pid (403)",)


@pytest.mark.parametrize("name", ["bamboohr", "personio", "hubspot", "salesforce", "google-directory"])
def test_a_connector_without_its_settings_is_refused_with_the_settings_it_needs(name):
    with pytest.raises(connectors.SourceUnavailable, match=f"{name} is not configured: set LEAVERGUARD_"):
        connectors.build(name, {})
