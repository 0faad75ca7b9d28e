"""The entra and google-directory connectors against recorded-shape answers: paging, throttling, an expired
token, a malformed record (skipped, the rest applied), an empty answer (nothing deleted), and no secret anywhere."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import responses
from googleapiclient.http import HttpMockSequence

from server import store
from server.sync import connectors
from server.sync.records import RunStatus
from server.sync.service import SyncSettings, run_once
from tests import google_keys

from ..builders import NOW, TODAY
from .fakes import CLIENT_ID, GRAPH, SECRET, TENANT, TOKEN_URL, mock_entra_authority

DAY = timedelta(days=1)
SETTINGS = SyncSettings(max_drop_share=0.5, retries=0)
USERS = f"{GRAPH}/v1.0/users"
ENTRA = {"GRAPH_TENANT_ID": TENANT, "GRAPH_CLIENT_ID": CLIENT_ID, "GRAPH_CLIENT_SECRET": SECRET, "SYNC_HTTP_TIMEOUT": 5}


def clock():
    return NOW


def register(engine) -> dict:
    with engine.connect() as conn:
        return {d.email: d for d in store.list_departures(conn)}


def entra(waits: list | None = None):
    return connectors.build("entra", ENTRA, sleep=(waits.append if waits is not None else lambda _s: None))


def user(uid, mail, leave="2026-12-31T23:59:59Z", proxies=()):
    return {
        "id": uid,
        "mail": mail,
        "userPrincipalName": mail,
        "employeeLeaveDateTime": leave,
        "proxyAddresses": list(proxies),
    }


@responses.activate
def test_entra_leavers_are_read_page_by_page_with_aliases_and_their_manager_as_successor(engine):
    mock_entra_authority(responses)
    alice = user(
        "u1",
        "alice@northwind.example",
        proxies=["SMTP:alice@northwind.example", "smtp:a.smith@northwind.example", "SIP:alice@northwind.example"],
    )
    responses.get(USERS, json={"value": [alice], "@odata.nextLink": f"{USERS}?$skiptoken=p2"})
    responses.get(f"{USERS}?$skiptoken=p2", status=429, headers={"Retry-After": "4"})
    responses.get(
        f"{USERS}?$skiptoken=p2", json={"value": [user("u2", "erin@northwind.example", "2026-11-30T00:00:00Z")]}
    )
    responses.get(f"{USERS}/u1/manager", json={"mail": "bob@northwind.example"})
    responses.get(f"{USERS}/u2/manager", status=404, json={"error": {"code": "Request_ResourceNotFound"}})
    waits: list[float] = []

    run = run_once(engine, entra(waits), SETTINGS, clock=clock)

    assert (run.status, run.added, waits) == (RunStatus.SUCCESS, 2, [4.0])
    alice_record, erin = register(engine)["alice@northwind.example"], register(engine)["erin@northwind.example"]
    assert (alice_record.aliases, alice_record.successor, alice_record.notice_date) == (
        ("a.smith@northwind.example",),
        "bob@northwind.example",
        TODAY,
    )
    assert (alice_record.last_working_date.isoformat(), erin.successor) == ("2026-12-31", None)
    first = responses.calls[2].request
    assert first.headers["ConsistencyLevel"] == "eventual"
    assert "%24count=true" in first.url and "employeeLeaveDateTime+ge+2026-10-23T00%3A00%3A00Z" in first.url


@responses.activate
def test_an_expired_graph_token_is_renewed_once_and_the_sync_goes_on(engine):
    mock_entra_authority(responses, "old", "new")
    responses.get(
        USERS,
        status=401,
        json={"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed"}},
    )
    responses.get(USERS, json={"value": [user("u1", "alice@northwind.example")]})
    responses.get(f"{USERS}/u1/manager", status=404)

    assert run_once(engine, entra(), SETTINGS, clock=clock).added == 1


@responses.activate
def test_a_malformed_entra_user_is_skipped_and_reported_and_the_rest_applied(engine):
    mock_entra_authority(responses)
    users = [user("u1", "alice@northwind.example"), user("u2", "bob@northwind.example", "next week"), user("u3", None)]
    responses.get(USERS, json={"value": users})
    responses.get(f"{USERS}/u1/manager", status=404)

    run = run_once(engine, entra(), SETTINGS, clock=clock)

    assert (run.added, run.skipped, list(register(engine))) == (1, 2, ["alice@northwind.example"])
    assert run.errors == (
        "bob@northwind.example: employeeLeaveDateTime 'next week' is not a date",
        "u3: no e-mail address",
    )


@responses.activate
def test_an_empty_entra_answer_deletes_nothing(engine):
    mock_entra_authority(responses)
    responses.get(USERS, json={"value": [user("u1", "alice@northwind.example")]})
    responses.get(f"{USERS}/u1/manager", status=404)
    run_once(engine, entra(), SETTINGS, clock=clock)
    responses.replace(responses.GET, USERS, json={"value": []})

    run = run_once(engine, entra(), SETTINGS, clock=clock)

    assert (run.status, list(register(engine))) == (RunStatus.REFUSED, ["alice@northwind.example"])


@responses.activate
def test_a_refused_client_secret_fails_the_run_without_the_secret_in_the_record_or_the_log(engine, caplog):
    mock_entra_authority(responses)
    responses.replace(
        responses.POST,
        TOKEN_URL,
        status=401,
        json={"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
    )

    with caplog.at_level(logging.DEBUG):
        run = run_once(engine, entra(), SETTINGS, clock=clock)

    assert run.status == RunStatus.FAILED
    assert "invalid_client" in run.errors[0]
    assert SECRET not in run.errors[0] and SECRET not in caplog.text


def test_entra_is_not_built_without_its_settings():
    with pytest.raises(connectors.SourceUnavailable, match="set LEAVERGUARD_GRAPH_CLIENT_SECRET"):
        connectors.build("entra", {"GRAPH_TENANT_ID": TENANT, "GRAPH_CLIENT_ID": CLIENT_ID})


# --- Google Directory ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    return google_keys.service_account_file(
        tmp_path_factory.mktemp("google"), "sync@leaverguard-test.iam.gserviceaccount.com"
    )


def token(value="g-token"):
    return ({"status": "200"}, json.dumps({"access_token": value, "expires_in": 3600, "token_type": "Bearer"}))


def page(users, next_token=None):
    body = {"users": users} | ({"nextPageToken": next_token} if next_token else {})
    return ({"status": "200"}, json.dumps(body))


def guser(email, last="2026-12-31", **fields):
    schema = {"noticeDate": "2026-11-01", "lastWorkingDay": last} | fields
    return {"id": email, "primaryEmail": email, "aliases": [f"x.{email}"], "customSchemas": {"Employment": schema}}


def google(key_file, answers, waits=None):
    config = {"GOOGLE_SERVICE_ACCOUNT_FILE": key_file, "GOOGLE_ADMIN_SUBJECT": "admin@northwind.example"}
    sleep = waits.append if waits is not None else (lambda _s: None)
    return connectors.build("google-directory", config, google_http=HttpMockSequence(answers), sleep=sleep)


def test_google_leavers_are_read_page_by_page_through_throttling_and_an_expired_token(engine, key_file):
    boss = {"relations": [{"type": "manager", "value": "bob@northwind.example"}]}
    answers = [
        token("first"),
        page([guser("alice@northwind.example") | boss, {"primaryEmail": "carol@northwind.example"}], "p2"),
        ({"status": "429", "retry-after": "3"}, "{}"),
        ({"status": "401"}, json.dumps({"error": {"code": 401, "message": "Invalid Credentials"}})),
        token("second"),
        page([guser("dmitri@northwind.example", gardenLeaveDate="2026-12-01", successor="carol@northwind.example")]),
    ]
    waits: list[float] = []

    run = run_once(engine, google(key_file, answers, waits), SETTINGS, clock=clock)

    assert (run.status, run.added, waits) == (RunStatus.SUCCESS, 2, [3.0])
    alice, dmitri = register(engine)["alice@northwind.example"], register(engine)["dmitri@northwind.example"]
    assert (alice.successor, alice.aliases, alice.notice_date.isoformat()) == (
        "bob@northwind.example",
        ("x.alice@northwind.example",),
        "2026-11-01",
    )
    assert (dmitri.successor, dmitri.garden_leave_date.isoformat()) == ("carol@northwind.example", "2026-12-01")


def test_a_malformed_google_user_is_skipped_and_reported_and_the_rest_applied(engine, key_file):
    answers = [token(), page([guser("alice@northwind.example"), guser("bob@northwind.example", last="31/12/2026")])]

    run = run_once(engine, google(key_file, answers), SETTINGS, clock=clock)

    assert (run.added, run.skipped, run.errors) == (
        1,
        1,
        ("bob@northwind.example: lastWorkingDay '31/12/2026' is not a date",),
    )


def test_an_empty_google_answer_deletes_nothing(engine, key_file):
    run_once(engine, google(key_file, [token(), page([guser("alice@northwind.example")])]), SETTINGS, clock=clock)

    run = run_once(engine, google(key_file, [token(), page([])]), SETTINGS, clock=clock)

    assert (run.status, list(register(engine))) == (RunStatus.REFUSED, ["alice@northwind.example"])


def test_a_missing_google_key_file_is_a_failed_run_that_names_the_file(engine, tmp_path):
    run = run_once(engine, google(str(tmp_path / "nope.json"), []), SETTINGS, clock=clock)

    assert run.status == RunStatus.FAILED
    assert run.errors[0].startswith("Google service account: cannot read the key file") and "nope.json" in run.errors[0]
