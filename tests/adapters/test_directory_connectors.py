"""The entra and google-directory connectors against recorded-shape answers: paging, throttling, an expired
token, a malformed record (skipped, the rest applied), an empty answer (nothing deleted), and no secret anywhere."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from googleapiclient.http import HttpMockSequence

from server import store
from server.identities import Identity
from server.model import Departure, normalise_address
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


# --- directory accounts: recorded on leavers, found for hand-entered records --------------------------

KIM = "kim.o'neil@northwind.example"  # a quote, as OData must escape it
KIM_UPN = "koneil@northwind.onmicrosoft.com"
KIM_OID = "C0FFEE00-0000-4000-8000-00000000000A"


def hand_entered(engine, email=KIM, **fields):
    with engine.begin() as conn:
        store.save_departure(
            conn, Departure(email=email, notice_date=TODAY, last_working_date=TODAY + 30 * DAY, **fields), NOW
        )


def lookups() -> list[str]:
    """The $filter of every look-up of a hand-entered record (the leavers' query filters on the leave date)."""
    found = [parse_qs(urlsplit(c.request.url).query).get("$filter", [""])[0] for c in responses.calls]
    return [f for f in found if "proxyAddresses" in f]


@responses.activate
def test_an_entra_leaver_is_recorded_with_her_object_id_and_her_upn_as_an_alias(engine):
    mock_entra_authority(responses)
    alice = user("A1B2C3D4-0000-4000-8000-000000000001", "alice@northwind.example")
    responses.get(USERS, json={"value": [alice | {"userPrincipalName": "asmith@northwind.onmicrosoft.com"}]})
    responses.get(f"{USERS}/{alice['id']}/manager", status=404)

    run_once(engine, entra(), SETTINGS, clock=clock)

    record = register(engine)["alice@northwind.example"]
    assert (record.object_id, record.tenant_id, record.aliases) == (
        alice["id"].lower(),
        TENANT,
        ("asmith@northwind.onmicrosoft.com",),
    )


@responses.activate
def test_a_hand_entered_leaver_gets_her_entra_account_at_the_next_sync_and_her_token_is_recognised(engine):
    hand_entered(engine)
    mock_entra_authority(responses)
    responses.get(USERS, json={"value": []})  # nobody leaves in Entra ID: the register is kept by hand
    kim = {"id": KIM_OID, "mail": KIM, "userPrincipalName": KIM_UPN, "proxyAddresses": ["smtp:kim@northwind.example"]}
    responses.get(USERS, json={"value": [kim]})

    run = run_once(engine, entra(), SETTINGS, clock=clock)

    assert (run.status, run.updated) == (RunStatus.SUCCESS, 1)
    assert lookups() == [
        "mail eq 'kim.o''neil@northwind.example' or userPrincipalName eq 'kim.o''neil@northwind.example'"
        " or proxyAddresses/any(p:p eq 'smtp:kim.o''neil@northwind.example')"
    ]
    record = register(engine)[KIM]
    assert (record.source, record.object_id, record.tenant_id) == ("manual", KIM_OID.lower(), TENANT)
    assert record.aliases == ("kim@northwind.example", KIM_UPN)
    caller = Identity(normalise_address(KIM_UPN), "bearer", KIM_OID.lower(), TENANT)
    with engine.connect() as conn:
        assert store.find_sender(conn, caller).email == KIM
    with engine.connect() as conn:
        (audited,) = [e for e in store.audit_events(conn) if e["kind"] == "sync.entra"]
    assert audited["details"]["linked"] == [KIM]


@responses.activate
def test_a_linked_record_is_not_looked_up_again_and_an_unknown_one_stays_unlinked(engine):
    hand_entered(engine, object_id=KIM_OID.lower(), tenant_id=TENANT)
    hand_entered(engine, "visitor@partner.example")
    mock_entra_authority(responses)
    responses.get(USERS, json={"value": []})
    responses.get(USERS, json={"value": []})

    run = run_once(engine, entra(), SETTINGS, clock=clock)

    assert (run.status, run.updated) == (RunStatus.SUCCESS, 0)
    assert [f.split(" or ")[0] for f in lookups()] == ["mail eq 'visitor@partner.example'"]
    assert register(engine)["visitor@partner.example"].object_id is None


@responses.activate
def test_a_look_up_graph_refuses_is_reported_and_the_leavers_still_apply(engine):
    hand_entered(engine)
    mock_entra_authority(responses)
    responses.get(USERS, json={"value": [user("u1", "alice@northwind.example")]})
    responses.get(USERS, status=400, json={"error": {"code": "Request_UnsupportedQuery", "message": "no"}})
    responses.get(f"{USERS}/u1/manager", status=404)

    run = run_once(engine, entra(), SETTINGS, clock=clock)

    assert (run.status, run.added) == (RunStatus.SUCCESS, 1)
    assert run.errors[0].startswith(f"{KIM}: could not be looked up in Entra ID (Microsoft Graph: GET ")
    assert "Request_UnsupportedQuery" in run.errors[0]


@responses.activate
def test_the_same_person_listed_as_a_leaver_under_another_address_stays_one_hand_entered_record(engine):
    """Linked in this run, Kim's account is her hand-entered record's: Entra ID's leaver record of her is a conflict."""
    hand_entered(engine, "kim@northwind.example")
    mock_entra_authority(responses)
    kim = user(KIM_OID, KIM, proxies=["SMTP:" + KIM, "smtp:kim@northwind.example"])
    responses.get(USERS, json={"value": [kim]})
    responses.get(f"{USERS}/{KIM_OID}/manager", status=404)

    run = run_once(engine, entra(), SETTINGS, clock=clock)

    assert (run.added, run.updated, [c["kind"] for c in run.conflicts]) == (0, 1, ["departure"])
    assert list(register(engine)) == ["kim@northwind.example"]
    assert register(engine)["kim@northwind.example"].object_id == KIM_OID.lower()


def test_entra_is_not_built_without_its_settings():
    with pytest.raises(connectors.SourceUnavailable, match="set LEAVERGUARD_GRAPH_CLIENT_SECRET"):
        connectors.build("entra", {"GRAPH_TENANT_ID": TENANT, "GRAPH_CLIENT_ID": CLIENT_ID})


# --- Google Directory ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    return google_keys.service_account_file(
        tmp_path_factory.mktemp("google"), "sync@leaverguard-test.iam.gserviceaccount.com"
    )


token, page = google_keys.token_answer, google_keys.users_page


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


def test_a_hand_entered_leaver_under_an_alias_gets_her_google_account_and_primary_address(engine, key_file):
    hand_entered(engine, "grace.h@northwind.example")
    grace = {"id": "104385", "primaryEmail": "grace@northwind.example", "aliases": ["grace.h@northwind.example"]}
    answers = [token(), page([guser("alice@northwind.example"), grace])]

    run = run_once(engine, google(key_file, answers), SETTINGS, clock=clock)

    assert (run.added, run.updated) == (1, 1)
    record = register(engine)["grace.h@northwind.example"]
    assert (record.object_id, record.tenant_id, record.aliases) == ("104385", "google", ("grace@northwind.example",))
    assert register(engine)["alice@northwind.example"].object_id == "alice@northwind.example"  # guser's id
