"""The google-group sync: a Google group kept equal to the employees on notice, through the Directory API.

Google's answers come from HttpMockSequence (the bundled discovery document, no network); a
sequence that runs out would fail the run, so a sequence with no write answers proves no write.
"""

from __future__ import annotations

import json

import pytest
from googleapiclient.http import HttpMockSequence
from sqlalchemy.exc import OperationalError

from server import store
from server.model import DepartureStatus
from server.sync import connectors
from server.sync import store as sync_store
from server.sync.records import RunStatus
from server.sync.service import SyncSettings, run_once
from tests import google_keys

from ..builders import NOW, make_departure

GROUP = "leavers@northwind.example"
SETTINGS = SyncSettings(retries=0)
MEMBERS_PATH = "https://admin.googleapis.com/admin/directory/v1/groups/leavers%40northwind.example/members"


class Recorded(HttpMockSequence):
    """Google's answers in order, keeping what was asked (method, path, body) after the token request."""

    def __init__(self, answers):
        super().__init__(answers)
        self.asked: list[tuple[str, str, dict | None]] = []

    def request(self, uri, method="GET", body=None, headers=None, **kwargs):
        if "oauth2" not in uri:
            self.asked.append((method, uri.split("?")[0], json.loads(body) if body else None))
        return super().request(uri, method, body, headers, **kwargs)


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    return google_keys.service_account_file(tmp_path_factory.mktemp("google"), "sync@lg-test.iam.gserviceaccount.com")


@pytest.fixture
def register(engine):
    """Alice and Dmitri are on notice; Erin has left, Frank withdrew, Gina has not given notice yet."""
    people = [
        make_departure("alice@northwind.example", aliases=("a.smith@northwind.example",)),
        make_departure("dmitri@northwind.example", phase="garden_leave"),
        make_departure("erin@northwind.example", phase="departed"),
        make_departure("frank@northwind.example", status=DepartureStatus.WITHDRAWN),
        make_departure("gina@northwind.example", phase="before_notice"),
    ]
    with engine.begin() as conn:
        for person in people:
            store.save_departure(conn, person, NOW)
    return engine


def token():
    return ({"status": "200"}, json.dumps({"access_token": "g-token", "expires_in": 3600, "token_type": "Bearer"}))


def members(*entries, next_token=None):
    body = {"members": [{"type": "USER", "role": "MEMBER"} | e for e in entries], "kind": "admin#directory#members"}
    return ({"status": "200"}, json.dumps(body | ({"nextPageToken": next_token} if next_token else {})))


def ok(body=None):
    return ({"status": "200" if body else "204"}, json.dumps(body) if body else "")


def error(status, message="failed"):
    return ({"status": str(status)}, json.dumps({"error": {"code": status, "message": message}}))


def sync(engine, key_file, answers):
    http = Recorded(answers)
    config = {"GOOGLE_SERVICE_ACCOUNT_FILE": key_file, "GOOGLE_ADMIN_SUBJECT": "admin@northwind.example"}
    connector = connectors.build(
        "google-group", config | {"GOOGLE_LEAVERS_GROUP": GROUP}, google_http=http, sleep=lambda _s: None
    )
    return run_once(engine, connector, SETTINGS, clock=lambda: NOW), http.asked


def test_leavers_on_notice_are_added_and_everyone_else_removed_matching_members_by_alias(register, key_file):
    listed = members(
        {"email": "a.smith@northwind.example"},  # Alice, listed by an alias: already in
        {"email": "carol@northwind.example"},
        {"email": "erin@northwind.example"},
    )
    answers = [token(), listed, ok({"email": "dmitri@northwind.example"}), ok(), ok()]

    run, asked = sync(register, key_file, answers)

    assert (run.status, run.added, run.removed, run.errors) == (RunStatus.SUCCESS, 1, 2, ())
    assert asked[1:] == [
        ("POST", MEMBERS_PATH, {"email": "dmitri@northwind.example", "role": "MEMBER"}),
        ("DELETE", f"{MEMBERS_PATH}/carol%40northwind.example", None),
        ("DELETE", f"{MEMBERS_PATH}/erin%40northwind.example", None),
    ]


def test_a_second_run_over_a_group_that_is_right_writes_nothing(register, key_file):
    listed = members({"email": "alice@northwind.example"}, {"email": "Dmitri@Northwind.example"})

    run, asked = sync(register, key_file, [token(), listed])

    assert (run.status, run.added, run.removed) == (RunStatus.SUCCESS, 0, 0)
    assert [method for method, _, _ in asked] == ["GET"]


def test_members_are_read_page_by_page_before_anything_is_changed(register, key_file):
    pages = [
        members({"email": "alice@northwind.example"}, next_token="p2"),
        members({"email": "carol@northwind.example"}),
    ]

    run, asked = sync(register, key_file, [token(), *pages, ok({"email": "dmitri@northwind.example"}), ok()])

    assert (run.added, run.removed) == (1, 1)
    assert [method for method, _, _ in asked] == ["GET", "GET", "POST", "DELETE"]


def test_owners_managers_and_nested_groups_are_never_removed_but_reported(register, key_file):
    listed = members(
        {"email": "alice@northwind.example"},
        {"email": "dmitri@northwind.example"},
        {"email": "it-admin@northwind.example", "role": "OWNER"},
        {"email": "all-sales@northwind.example", "type": "GROUP"},
    )

    run, _asked = sync(register, key_file, [token(), listed])

    assert (run.status, run.removed, run.skipped) == (RunStatus.SUCCESS, 0, 2)
    assert run.errors == (
        "it-admin@northwind.example: is a user owner of the group, not on notice: left in place",
        "all-sales@northwind.example: is a group member of the group, not on notice: left in place",
    )


def test_a_group_that_cannot_be_read_fails_the_run_and_changes_nothing(register, key_file):
    run, asked = sync(register, key_file, [token(), error(403, "Not Authorized to access this resource/api")])

    assert run.status == RunStatus.FAILED
    assert "members.list answered 403" in run.errors[0]
    assert [method for method, _, _ in asked] == ["GET"]


def test_when_the_register_cannot_be_read_google_is_not_even_asked(register, key_file, monkeypatch):
    def broken(_conn):
        raise OperationalError("SELECT", {}, Exception("database is down"))

    monkeypatch.setattr(store, "list_departures", broken)

    run, asked = sync(register, key_file, [])

    assert (run.status, asked) == (RunStatus.FAILED, [])


def test_a_leaver_google_does_not_know_is_reported_and_the_rest_still_applied(register, key_file):
    listed = members({"email": "carol@northwind.example"})
    answers = [token(), listed, error(404, "Resource Not Found: alice"), error(409, "Member already exists."), ok()]

    run, _asked = sync(register, key_file, answers)

    assert (run.status, run.added, run.removed, run.skipped) == (RunStatus.SUCCESS, 0, 1, 1)
    assert run.errors == ("alice@northwind.example: is not a user of this Google Workspace: not added",)


def test_a_member_someone_else_removed_first_is_no_problem(register, key_file):
    listed = members(
        {"email": "alice@northwind.example"}, {"email": "dmitri@northwind.example"}, {"email": "x@n.example"}
    )

    run, _asked = sync(register, key_file, [token(), listed, error(404, "Resource Not Found: memberKey")])

    assert (run.status, run.errors) == (RunStatus.SUCCESS, ())


def test_a_change_google_keeps_refusing_fails_the_run_after_retries_and_is_recorded(register, key_file):
    listed = members({"email": "alice@northwind.example"})

    run, asked = sync(register, key_file, [token(), listed, *[error(503, "Backend Error")] * 4])

    assert run.status == RunStatus.FAILED
    assert run.errors == ("dmitri@northwind.example: Google Directory: members.insert answered 503: Backend Error",)
    assert len(asked) == 5
    with register.connect() as conn:
        assert sync_store.sync_status(conn)["google-group"]["last_run"].status == RunStatus.FAILED


def test_a_run_that_changed_the_group_is_recorded_for_sync_status_and_audited(register, key_file):
    sync(register, key_file, [token(), members({"email": "alice@northwind.example"}), ok({"email": "x"})])

    with register.connect() as conn:
        status = sync_store.sync_status(conn)["google-group"]
        events = [e for e in store.audit_events(conn) if e["kind"] == "sync.google-group"]
    assert (status["last_run"].added, status["last_success_at"]) == (1, NOW)
    assert events[0]["details"]["added"] == 1


def test_the_command_names_the_settings_the_group_sync_lacks(runner):
    result = runner.invoke(args=["sync", "google-group"])

    assert result.exit_code == 1
    assert "google-group is not configured: set LEAVERGUARD_GOOGLE_SERVICE_ACCOUNT_FILE" in result.output
    assert "LEAVERGUARD_GOOGLE_LEAVERS_GROUP" in result.output


def test_an_empty_register_does_not_empty_the_group_unless_an_admin_accepts_it(engine, key_file):
    listed = members({"email": "alice@northwind.example"}, {"email": "dmitri@northwind.example"})

    run, asked = sync(engine, key_file, [token(), listed])

    assert (run.status, run.removed, asked) == (RunStatus.REFUSED, 0, [("GET", MEMBERS_PATH, None)])
    assert "nobody on notice" in run.errors[0]


def test_an_admin_may_accept_emptying_the_group(engine, key_file):
    listed = members({"email": "alice@northwind.example"})
    http = Recorded([token(), listed, ok()])
    config = {"GOOGLE_SERVICE_ACCOUNT_FILE": key_file, "GOOGLE_ADMIN_SUBJECT": "admin@northwind.example"}
    connector = connectors.build(
        "google-group", config | {"GOOGLE_LEAVERS_GROUP": GROUP}, google_http=http, sleep=lambda _s: None
    )

    run = run_once(engine, connector, SETTINGS, clock=lambda: NOW, accept_drop=True)

    assert (run.status, run.removed) == (RunStatus.SUCCESS, 1)
