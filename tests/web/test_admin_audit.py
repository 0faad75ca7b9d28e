"""The audit log pages: filters, keyset pages, details, the CSV export and a leaver's evidence; exports audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from server.tables import audit_events

from .console_helpers import (
    ADMIN,
    ALICE,
    CSRF,
    HR,
    KIM,
    ROLES,
    TO_KIM,
    VIEWER,
    ask_signoff,
    audit_rows,
    check,
    seed,
    sign_in,
    text_of,
)

DMITRI = "dmitri@northwind.example"  # on garden leave: mail to a client is blocked
CAROL = "carol@northwind.example"  # a colleague who is not leaving
T0 = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def app(app):
    app.config.update(ROLES)
    seed(app.extensions["leaverguard.engine"])
    return app


def add_events(engine, *events: dict) -> None:
    """Audit events written directly, with their times and details chosen by the test."""
    defaults = {
        "kind": "check",
        "actor": ALICE,
        "verdict": None,
        "details": {},
        "fingerprint": None,
        "approval_id": None,
    }
    with engine.begin() as conn:
        conn.execute(insert(audit_events), [defaults | event for event in events])


def listed_ids(client, **args) -> list[int]:
    page = client.get("/admin/audit", query_string=args).get_data(as_text=True)
    return [int(part.split('"', 1)[0]) for part in page.split('href="/admin/audit/')[1:] if part[0].isdigit()]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# --- filters and pages -------------------------------------------------------------------------------------------


@pytest.fixture
def varied(engine) -> list[int]:
    """Six events of different actors, days, kinds, verdicts and codes; their ids in insertion order."""
    finding = {"findings": [{"code": "client_recipient_during_notice", "verdict": "require_approval"}]}
    add_events(
        engine,
        {"at": T0, "verdict": "require_approval", "details": finding},
        {
            "at": T0 + timedelta(days=1),
            "verdict": "warn",
            "details": {"findings": [{"code": "webmail_recipient_during_notice"}]},
        },
        {"at": T0 + timedelta(days=2), "actor": DMITRI, "verdict": "block"},
        {
            "at": T0 + timedelta(days=2, hours=1),
            "kind": "approval.decided",
            "actor": HR,
            "details": {"decision": "approved"},
        },
        {"at": T0 + timedelta(days=3), "kind": "policy.changed", "actor": ADMIN},
        {"at": T0 + timedelta(days=4), "kind": "sync.entra", "actor": "sync"},
    )
    return [row["id"] for row in audit_rows(engine)]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, [5, 4, 3, 2, 1, 0]),
        ({"who": "Alice@Northwind.example"}, [1, 0]),
        ({"who": "sync"}, [5]),
        ({"from": "2026-03-11", "to": "2026-03-12"}, [3, 2, 1]),
        ({"to": "2026-03-10"}, [0]),
        ({"verdict": "block"}, [2]),
        ({"kind": "approval.decided"}, [3]),
        ({"kind": "approval.*"}, [3]),
        ({"kind": "sync.*"}, [5]),
        ({"code": "client_recipient_during_notice"}, [0]),
        ({"code": "webmail_recipient_during_notice", "who": ALICE}, [1]),
        ({"code": "client_recipient_during_garden_leave"}, []),
    ],
)
def test_each_filter_selects_its_events_newest_first(client, varied, args, expected):
    assert listed_ids(sign_in(client, HR), **args) == [varied[i] for i in expected]


def test_the_code_filter_finds_codes_in_what_real_checks_recorded(client):
    check(client, TO_KIM)
    check(client, {"to": ["alice.private@gmail.com"]})
    check(client, TO_KIM, sender=CAROL)
    hr = sign_in(client, HR)

    found = text_of(hr.get("/admin/audit", query_string={"code": "own_personal_address_during_notice"}))

    assert found.count("own_personal_address_during_notice") == 1 and "client_recipient" not in found
    assert len(listed_ids(hr, code="client_recipient_during_notice")) == 1


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"who": "alice@"}, "who", "alice@:"),
        ({"who": "Robert'); DROP"}, "who", "neither an e-mail address nor a system actor"),
        ({"from": "10/03/2026"}, "from", "not a date"),
        ({"from": "2026-03-12", "to": "2026-03-11"}, "to", "the end date is before the start date"),
        ({"verdict": "maybe"}, "verdict", "not one of allow"),
        ({"kind": "check%"}, "kind", "not a kind"),
        ({"code": "client_%"}, "code", "not a code"),
    ],
)
def test_a_bad_filter_is_a_400_with_the_message_next_to_its_field(client, args, field, message):
    response = sign_in(client, HR).get("/admin/audit", query_string=args)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="filter-{field}-error"' in page and message in text_of(response)


def test_pages_follow_each_other_by_keyset_without_gaps_or_repeats(client, engine):
    add_events(engine, *({"at": T0 + timedelta(minutes=n)} for n in range(60)))
    ids = [row["id"] for row in audit_rows(engine)][::-1]
    hr = sign_in(client, HR)

    first = listed_ids(hr)
    second = listed_ids(hr, before=first[-1])

    assert (first, second) == (ids[:50], ids[50:])


def test_a_viewer_reads_the_list_but_not_details_or_exports(client, varied):
    viewer = sign_in(client, VIEWER)

    page = viewer.get("/admin/audit").get_data(as_text=True)

    assert "approval.decided" in page and f'href="/admin/audit/{varied[0]}"' not in page
    assert viewer.get(f"/admin/audit/{varied[0]}").status_code == 403
    assert viewer.get("/admin/audit/export.csv").status_code == 403
    assert viewer.get(f"/admin/audit/evidence?leaver={ALICE}").status_code == 403


def test_the_detail_view_shows_an_events_details_readably(client, engine):
    check(client, TO_KIM | {"cc": ["alice.private@gmail.com"]})
    (event,) = audit_rows(engine, "check")

    page = text_of(sign_in(client, HR).get(f"/admin/audit/{event['id']}"))

    assert f"Who {ALICE}" in page and "Verdict require_approval" in page
    assert "code client_recipient_during_notice verdict require_approval recipients kim@contoso.example" in page
    assert "code own_personal_address_during_notice verdict warn recipients alice.private@gmail.com" in page
    assert "phase notice" in page and "monitor_only no" in page


def test_an_unknown_event_is_a_404(client):
    assert sign_in(client, HR).get("/admin/audit/12345").status_code == 404


# --- the CSV export ----------------------------------------------------------------------------------------------


def test_the_csv_export_holds_every_matching_event_across_batches_and_is_audited(client, engine):
    add_events(engine, *({"at": T0 + timedelta(seconds=n), "verdict": "warn"} for n in range(520)))
    add_events(engine, {"at": T0, "actor": DMITRI, "verdict": "block"})

    rows = csv_rows(sign_in(client, HR).get("/admin/audit/export.csv", query_string={"who": ALICE, "verdict": "warn"}))

    assert len(rows) == 520 and {r["actor"] for r in rows} == {ALICE}
    assert [int(r["id"]) for r in rows] == sorted((int(r["id"]) for r in rows), reverse=True)
    (export,) = audit_rows(engine, "audit.exported")
    assert export["actor"] == HR
    assert export["details"] == {"export": "audit.csv", "filter": {"who": ALICE, "verdict": "warn"}, "rows": 520}


def test_the_csv_export_has_the_events_columns_and_details(client, engine):
    check(client, TO_KIM)

    (row,) = csv_rows(sign_in(client, HR).get("/admin/audit/export.csv?kind=check"))

    assert list(row) == [
        "id",
        "at",
        "kind",
        "actor",
        "verdict",
        "finding_codes",
        "fingerprint",
        "approval_id",
        "details",
    ]
    assert (row["kind"], row["actor"], row["verdict"]) == ("check", ALICE, "require_approval")
    assert row["finding_codes"] == "client_recipient_during_notice"
    assert row["fingerprint"].startswith("sha256:") and '"recipients": ["kim@contoso.example"]' in row["details"]


def test_a_bad_filter_exports_nothing(client, engine):
    response = sign_in(client, HR).get("/admin/audit/export.csv?verdict=maybe")

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert audit_rows(engine, "audit.exported") == []


# --- one leaver's evidence ---------------------------------------------------------------------------------------


@pytest.fixture
def history(client):
    """Alice's month: held, warned, approved and sent, rejected; and what must stay out of her evidence."""
    check(client, TO_KIM)  # held
    check(client, {"to": ["alice.private@gmail.com"], "subject": "=HYPERLINK(1)"})  # warned
    check(client, {"to": [CAROL]})  # allowed: not evidence
    check(client, TO_KIM, sender="a.smith@northwind.example")  # held, sent as her alias
    check(client, TO_KIM, sender=DMITRI)  # someone else's
    farewell = TO_KIM | {"subject": "Farewell"}
    approved = ask_signoff(client, payload=farewell)
    rejected = ask_signoff(client, payload=TO_KIM | {"subject": "=cmd|' /C calc'!A0"})
    hr = sign_in(client, HR)
    for approval_id, decision, comment in ((approved, "approve", "Fine."), (rejected, "reject", "Not this one.")):
        data = {"csrf_token": CSRF, "decision": decision, "comment": comment}
        assert hr.post(f"/admin/signoffs/{approval_id}", data=data).status_code == 200
    assert check(client, farewell)["verdict"] == "allow"  # sent on the approval
    return {"approved": approved, "rejected": rejected}


def test_the_evidence_csv_has_every_held_warned_and_approved_send_and_every_request(client, engine, history):
    rows = csv_rows(sign_in(client, HR).get(f"/admin/audit/evidence?leaver={ALICE}&format=csv"))

    sends = [r for r in rows if r["record"] == "send"]
    requests = {r["approval_id"]: r for r in rows if r["record"] == "sign-off request"}
    assert [(s["verdict"], s["recipients"]) for s in sends] == [
        ("require_approval", KIM),
        ("warn", "alice.private@gmail.com"),
        ("require_approval", KIM),
        ("allow", KIM),
    ]
    sent = sends[-1]
    assert (sent["approval_id"], sent["approval_status"], sent["decided_by"]) == (
        str(history["approved"]),
        "consumed",
        HR,
    )
    assert sent["justification"] == "A farewell note that introduces Bob." and sent["attestation"] == "yes"
    assert sent["comment"] == "Fine." and sent["decided_at"] and sent["consumed_at"]
    rejected = requests[str(history["rejected"])]
    assert (rejected["approval_status"], rejected["comment"], rejected["decided_by"]) == (
        "rejected",
        "Not this one.",
        HR,
    )
    assert rejected["subject"] == "'=cmd|' /C calc'!A0"  # a spreadsheet must not run it
    assert set(requests) == {str(history["approved"]), str(history["rejected"])}


def test_the_evidence_page_is_printable_and_says_who_prepared_it(app, client, history):
    response = sign_in(client, HR).get(f"/admin/audit/evidence?leaver={ALICE}")

    page = text_of(response)
    assert response.status_code == 200
    assert f"Addresses: {ALICE}, a.smith@northwind.example. Prepared by {HR}" in page
    assert f"Request #{history['rejected']}: rejected" in page and "Not this one." in page
    assert "Justification A farewell note that introduces Bob." in page
    assert "@media print" in (Path(app.static_folder) / "admin.css").read_text(encoding="utf-8")


def test_every_evidence_export_is_audited(client, engine, history):
    hr = sign_in(client, HR)
    hr.get(f"/admin/audit/evidence?leaver={ALICE}")
    hr.get("/admin/audit/evidence?leaver=a.smith@northwind.example&format=csv")

    exports = [e["details"] for e in audit_rows(engine, "audit.exported")]

    assert exports == [
        {"export": "evidence.html", "leaver": ALICE, "rows": 6},
        {"export": "evidence.csv", "leaver": ALICE, "rows": 6},  # an alias finds the person
    ]


def test_evidence_for_a_bad_address_is_a_400_and_nothing_is_exported(client, engine):
    response = sign_in(client, HR).get("/admin/audit/evidence?leaver=alice@")

    assert response.status_code == 400 and "alice@:" in text_of(response)
    assert audit_rows(engine, "audit.exported") == []


def test_in_monitor_only_mode_what_would_have_been_held_is_evidence(client, engine):
    add_events(engine, {"at": T0, "verdict": "allow", "details": {"monitor_only": True, "would_be": "block"}})

    (row,) = csv_rows(sign_in(client, HR).get(f"/admin/audit/evidence?leaver={ALICE}&format=csv"))

    assert row["verdict"] == "allow (monitor-only; would be block)"
