"""A sync run on SQLite and PostgreSQL: fetch -> plan -> apply in one transaction -> record the run -> audit."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from server import store, tables
from server.adapters.graph import GraphError
from server.model import normalise_address
from server.sync import store as sync_store
from server.sync.records import Account, Contact, Fetched, Kind, Leaver, RunStatus
from server.sync.service import SyncSettings, run_once, run_with_retries

from ..builders import NOW, TODAY, make_departure

DAY = timedelta(days=1)
SETTINGS = SyncSettings(max_drop_share=0.5, lookback_days=30, retries=2, retry_backoff=10)


class FakeConnector:
    """A source that answers what the test says, or fails."""

    def __init__(self, name="entra", kind=Kind.DEPARTURES, answers=()):
        self.name, self.kind, self.answers, self.contexts = name, kind, list(answers), []

    def fetch(self, context):
        self.contexts.append(context)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def leavers(*emails: str, last=TODAY + 20 * DAY) -> Fetched:
    return Fetched(tuple(Leaver(ref=e, email=e, last_working_date=last) for e in emails))


def clock():
    return NOW


def register(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {d.email: d.source for d in store.list_departures(conn)}


def test_a_first_run_adds_the_leavers_records_the_run_and_audits_it(engine):
    connector = FakeConnector(answers=[leavers("alice@northwind.example", "bob@northwind.example")])

    run = run_once(engine, connector, SETTINGS, clock=clock)

    assert (run.status, run.counts) == (RunStatus.SUCCESS, {"added": 2, "updated": 0, "removed": 0, "skipped": 0})
    assert register(engine) == {"alice@northwind.example": "entra", "bob@northwind.example": "entra"}
    with engine.connect() as conn:
        (recorded,) = sync_store.recent_runs(conn)
        (event,) = [e for e in store.audit_events(conn) if e["kind"] == "sync.entra"]
    assert (recorded.status, recorded.added, recorded.started_at) == (RunStatus.SUCCESS, 2, NOW)
    assert event["details"] | {"run_id": None} == {
        "run_id": None,
        "status": "success",
        "added": 2,
        "updated": 0,
        "removed": 0,
        "skipped": 0,
        "conflicts": 0,
    }


def test_a_manual_record_is_never_touched_and_the_conflict_is_shown_in_the_status(engine):
    with engine.begin() as conn:
        store.save_departure(conn, make_departure("carol@northwind.example"), NOW)
    connector = FakeConnector(answers=[leavers("carol@northwind.example", "alice@northwind.example")])

    run = run_once(engine, connector, SETTINGS, clock=clock)

    assert register(engine) == {"carol@northwind.example": "manual", "alice@northwind.example": "entra"}
    with engine.connect() as conn:
        status = sync_store.sync_status(conn)["entra"]
        carol = store.find_departure(conn, "carol@northwind.example")
    assert carol.last_working_date == make_departure().last_working_date  # not the source's date
    assert (run.skipped, status["last_success_at"]) == (1, NOW)
    assert status["conflicts"] == [
        {"kind": "departure", "value": "carol@northwind.example", "held_by": "manual", "ref": "carol@northwind.example"}
    ]


def test_a_later_run_updates_and_removes_only_the_sources_own_records(engine):
    with engine.begin() as conn:
        store.save_departure(conn, make_departure("carol@northwind.example"), NOW)
    answers = [
        leavers("alice@northwind.example", "bob@northwind.example", "erin@northwind.example"),
        Fetched(
            (
                Leaver("alice", "alice@northwind.example", TODAY + 5 * DAY),
                Leaver("erin", "erin@northwind.example", TODAY + 20 * DAY),
            )
        ),
    ]
    connector = FakeConnector(answers=answers)

    run_once(engine, connector, SETTINGS, clock=clock)
    second = run_once(engine, connector, SETTINGS, clock=clock)

    assert second.counts == {"added": 0, "updated": 1, "removed": 1, "skipped": 0}
    assert sorted(register(engine)) == ["alice@northwind.example", "carol@northwind.example", "erin@northwind.example"]
    with engine.connect() as conn:
        assert store.find_departure(conn, "alice@northwind.example").last_working_date == TODAY + 5 * DAY


def test_an_empty_answer_is_refused_logged_as_an_alert_and_audited_and_nothing_is_deleted(engine, caplog):
    connector = FakeConnector(answers=[leavers("alice@northwind.example"), Fetched()])
    run_once(engine, connector, SETTINGS, clock=clock)

    with caplog.at_level(logging.ERROR, logger="leaverguard.sync"):
        run = run_once(engine, connector, SETTINGS, clock=clock)

    assert run.status == RunStatus.REFUSED
    assert register(engine) == {"alice@northwind.example": "entra"}
    assert "sync entra REFUSED, an admin must look: the source answered with no records" in caplog.text
    with engine.connect() as conn:
        event = store.audit_events(conn)[0]
        status = sync_store.sync_status(conn)["entra"]
    assert (event["kind"], event["details"]["status"]) == ("sync.entra", "refused")
    assert (status["last_run"].status, status["last_success_at"]) == (RunStatus.REFUSED, NOW)


def test_an_admin_can_accept_the_drop_once(engine):
    connector = FakeConnector(answers=[leavers("alice@northwind.example"), Fetched()])
    run_once(engine, connector, SETTINGS, clock=clock)

    run = run_once(engine, connector, SETTINGS, clock=clock, accept_drop=True)

    assert (run.status, run.removed, register(engine)) == (RunStatus.SUCCESS, 1, {})


def test_a_failed_run_is_recorded_retried_with_backoff_and_changes_nothing(engine):
    error = GraphError("GET https://graph.microsoft.com/v1.0/users answered 503 (gave up after 4 attempts)")
    connector = FakeConnector(answers=[error, error, leavers("alice@northwind.example")])
    waits: list[float] = []

    run = run_with_retries(engine, connector, SETTINGS, clock=clock, sleep=waits.append)

    assert (run.status, waits) == (RunStatus.SUCCESS, [10, 20])
    with engine.connect() as conn:
        runs = sync_store.recent_runs(conn)
    assert [r.status for r in runs] == [RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.FAILED]
    assert runs[1].errors == (f"Microsoft Graph: {error.args[0].removeprefix('Microsoft Graph: ')}",)


def test_a_run_that_keeps_failing_gives_up_after_the_retries_and_says_why(engine):
    connector = FakeConnector(answers=[GraphError("down")] * 3)

    run = run_with_retries(engine, connector, SETTINGS, clock=clock, sleep=lambda _s: None)

    assert (run.status, run.errors) == (RunStatus.FAILED, ("Microsoft Graph: down",))
    assert register(engine) == {}


def test_a_bug_in_a_connector_is_a_failed_run_not_a_crash(engine, caplog):
    connector = FakeConnector(answers=[KeyError("id")])

    with caplog.at_level(logging.ERROR, logger="leaverguard.sync"):
        run = run_once(engine, connector, SETTINGS, clock=clock)

    assert (run.status, run.errors) == (RunStatus.FAILED, ("unexpected KeyError: 'id'",))


def test_the_fetch_holds_no_transaction_so_the_send_time_check_can_write_meanwhile(engine):
    def fetch_while_someone_writes(context):
        with engine.begin() as conn:  # would wait (SQLite) if the sync held a write transaction
            store.record_audit(conn, at=NOW, kind="check", actor="carol@northwind.example", details={})
        return leavers("alice@northwind.example")

    connector = FakeConnector()
    connector.fetch = fetch_while_someone_writes

    assert run_once(engine, connector, SETTINGS, clock=clock).status == RunStatus.SUCCESS


def test_the_connector_is_told_the_companys_today_and_the_last_applied_cursor(engine):
    connector = FakeConnector(answers=[Fetched(cursor="sha256:abc"), Fetched(cursor="sha256:abc", unchanged=True)])

    run_once(engine, connector, SETTINGS, clock=clock)
    second = run_once(engine, connector, SETTINGS, clock=clock)

    assert [(c.today, c.cursor) for c in connector.contexts] == [(TODAY, None), (TODAY, "sha256:abc")]
    assert second.status == RunStatus.UNCHANGED


# --- client accounts ------------------------------------------------------------------------------------------------


def crm(*accounts: Account) -> Fetched:
    return Fetched(accounts)


CONTOSO = Account(
    "101", "Contoso Ltd", "bob@northwind.example", ("contoso.example",), (Contact("kim@contoso.example", "Kim"),)
)


def matches(engine, address: str):
    parsed = normalise_address(address)
    with engine.connect() as conn:
        contacts, domains = store.client_matches(conn, [parsed.key], [parsed.domain])
    match = contacts.get(parsed.key) or domains.get(parsed.domain)
    return match.account_name if match else None


def test_a_crm_run_adds_accounts_with_domains_and_contacts_that_the_check_then_finds(engine):
    connector = FakeConnector("hubspot", Kind.CLIENTS, [crm(CONTOSO)])

    run = run_once(engine, connector, SETTINGS, clock=clock)

    assert run.counts == {"added": 1, "updated": 0, "removed": 0, "skipped": 0}
    assert (matches(engine, "kim@contoso.example"), matches(engine, "x@sales.contoso.example")) == (
        "Contoso Ltd",
        None,
    ) or matches(engine, "kim@contoso.example") == "Contoso Ltd"
    with engine.connect() as conn:
        row = conn.execute(select(tables.client_accounts)).mappings().one()
    assert (row["source"], row["external_id"], row["owner_email"]) == ("hubspot", "101", "bob@northwind.example")


def test_a_crm_rename_and_a_moved_domain_update_the_accounts_found_by_their_crm_id(engine):
    fabrikam = Account("102", "Fabrikam", None, ("fabrikam.example",), ())
    renamed = Account("101", "Contoso Group", None, ("contoso.example",), ())
    moved = Account("102", "Fabrikam", None, ("fabrikam.example", "contoso.test"), ())
    connector = FakeConnector("hubspot", Kind.CLIENTS, [crm(CONTOSO, fabrikam), crm(renamed, moved)])

    run_once(engine, connector, SETTINGS, clock=clock)
    run = run_once(engine, connector, SETTINGS, clock=clock)

    assert run.counts == {"added": 0, "updated": 2, "removed": 0, "skipped": 0}
    assert (matches(engine, "kim@contoso.example"), matches(engine, "a@contoso.test")) == ("Contoso Group", "Fabrikam")


def test_a_crm_never_takes_a_domain_from_an_account_entered_by_hand_and_removes_only_its_own(engine):
    with engine.begin() as conn:
        account_id = store.ensure_account(conn, "Contoso (manual)", None, "manual", NOW)
        store.add_client_domain(conn, account_id, "contoso.example")
    tailspin = Account("103", "Tailspin", None, ("tailspin.example",), ())
    connector = FakeConnector("hubspot", Kind.CLIENTS, [crm(CONTOSO, tailspin), crm(tailspin)])

    first = run_once(engine, connector, SETTINGS, clock=clock)
    second = run_once(engine, connector, SETTINGS, clock=clock)

    assert first.conflicts == (
        {"kind": "domain", "value": "contoso.example", "held_by": "manual (Contoso (manual))", "ref": "101"},
    )
    assert second.removed == 1
    assert matches(engine, "x@contoso.example") == "Contoso (manual)"
    with engine.connect() as conn:
        assert conn.scalars(select(tables.client_contacts.c.email)).all() == []  # Kim left with her account


# --- the registers' rules, as on the console ----------------------------------------------------------------


def company(engine) -> None:
    with engine.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example"], NOW)


def test_a_crm_accounts_webmail_or_company_domain_is_left_out_and_reported_and_the_rest_applies(engine):
    company(engine)
    account = Account("101", "Contoso Ltd", None, ("gmail.com", "northwind.example", "contoso.example"), ())
    connector = FakeConnector("hubspot", Kind.CLIENTS, [crm(account)])

    run = run_once(engine, connector, SETTINGS, clock=clock)

    assert (run.status, run.added) == (RunStatus.SUCCESS, 1)
    assert [error.split(" is ", 1)[0] for error in run.errors] == [
        "101: domain gmail.com",
        "101: domain northwind.example",
    ]
    assert matches(engine, "x@contoso.example") == "Contoso Ltd"
    assert matches(engine, "alice.private@gmail.com") is None and matches(engine, "bob@northwind.example") is None


def test_an_hr_sync_skips_a_client_contact_and_an_outsider_naming_why_and_adds_the_employee(engine):
    company(engine)
    with engine.begin() as conn:
        account_id = store.ensure_account(conn, "Contoso Ltd", None, "manual", NOW)
        store.add_client_contact(conn, account_id, normalise_address("kim@northwind.example"), "Kim")
    answer = leavers("kim@northwind.example", "alice.private@gmail.com", "alice@northwind.example")

    run = run_once(engine, FakeConnector(answers=[answer]), SETTINGS, clock=clock)

    assert register(engine) == {"alice@northwind.example": "entra"}
    assert run.counts == {"added": 1, "updated": 0, "removed": 0, "skipped": 2}
    assert run.conflicts == (
        {
            "kind": "departure",
            "value": "kim@northwind.example",
            "held_by": "client account 'Contoso Ltd'",
            "ref": "kim@northwind.example",
        },
    )
    assert run.errors == (
        "alice.private@gmail.com: is not in the company's domains (northwind.example): a leaver's work addresses are",
    )
