"""The admin console's pure shaping: what changed in a policy save, evidence rows, safe CSV cells, admins' texts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from server.console import evidence
from server.console.csv_out import csv_lines, safe_cell
from server.console.policy_diff import changed_fields
from server.messages import OVERRIDABLE, builtin_text, render
from server.model import Decision, Finding, Phase, PolicySettings, Verdict

BASE = PolicySettings(internal_domains=frozenset({"northwind.example"}), texts={"es": {"banner.warn": "Ojo: {n}"}})
AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)

CHANGES = [
    pytest.param({}, {}, {}, id="nothing"),
    pytest.param({"monitor_only": True}, {"monitor_only": False}, {"monitor_only": True}, id="a flag"),
    pytest.param(
        {"ladder": {**BASE.ladder, ("notice", "webmail"): Verdict.BLOCK}},
        {"ladder": {"notice.webmail": "warn"}},
        {"ladder": {"notice.webmail": "block"}},
        id="one ladder cell, not the whole ladder",
    ),
    pytest.param(
        {"internal_domains": frozenset({"northwind.example", "partner.example"})},
        {"internal_domains": ["northwind.example"]},
        {"internal_domains": ["northwind.example", "partner.example"]},
        id="domains as sorted lists",
    ),
    pytest.param(
        {"texts": {"ru": {"dialog.block": "Стоп"}}},
        {"texts": {"es.banner.warn": "Ojo: {n}", "ru.dialog.block": None}},
        {"texts": {"es.banner.warn": None, "ru.dialog.block": "Стоп"}},
        id="texts by language and key, None for the built-in text",
    ),
    pytest.param({"fail_mode": "closed"}, {"fail_mode": None}, {"fail_mode": "closed"}, id="the fail mode"),
]


@pytest.mark.parametrize(("changes", "before", "after"), CHANGES)
def test_only_what_changed_is_listed_before_and_after(changes, before, after):
    assert changed_fields(BASE, replace(BASE, **changes)) == (before, after)


def test_the_version_is_not_a_change():
    assert changed_fields(BASE, replace(BASE, version=9)) == ({}, {})


# --- evidence ----------------------------------------------------------------------------------------------------


def event(event_id, verdict, approval_id=None, **details):
    return {"id": event_id, "at": AT, "verdict": verdict, "approval_id": approval_id, "fingerprint": "sha256:f"} | {
        "details": details
    }


@pytest.mark.parametrize(
    ("check", "counts"),
    [
        (event(1, "require_approval"), True),
        (event(2, "warn"), True),
        (event(3, "block"), True),
        (event(4, "allow"), False),
        (event(5, "allow", approval_id=7), True),
        (event(6, "allow", monitor_only=True, would_be="require_approval"), True),
        (event(7, "allow", monitor_only=True, would_be="allow"), False),
    ],
)
def test_a_send_is_evidence_when_held_warned_or_sent_on_an_approval(check, counts):
    assert evidence.counts(check) is counts


def test_a_send_made_on_an_approval_carries_the_requests_facts():
    request = {
        "id": 7,
        "created_at": AT,
        "recipients": [{"email": "kim@contoso.example", "field": "to"}],
        "fingerprint": "sha256:f",
        "shown_status": "consumed",
        "subject": "Farewell",
        "justification": "Introduces Bob",
        "attestation": True,
        "decided_by": "hr@northwind.example",
        "decided_at": AT,
        "comment": None,
        "consumed_at": AT,
    }
    found = evidence.build("alice@x.example", ["alice@x.example"], [event(5, "allow", approval_id=7)], [request])

    send, asked = evidence.rows(found)

    assert (send["record"], send["approval_status"], send["justification"], send["attestation"]) == (
        "send",
        "consumed",
        "Introduces Bob",
        "yes",
    )
    assert (asked["record"], asked["recipients"], asked["comment"]) == ("sign-off request", "kim@contoso.example", "")
    assert send["at"] == "2026-03-10T09:30:00Z"


# --- CSV -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1 555", "'+1 555"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=SUM(A1)", "''=SUM(A1)"),  # else reading it back would take the apostrophe for our escape
        ("'Tis Ltd", "'Tis Ltd"),
        ("plain", "plain"),
        (None, ""),
        (42, "42"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_made_text(value, cell):
    assert safe_cell(value) == cell


def test_csv_lines_quote_what_needs_quoting_one_line_at_a_time():
    lines = list(csv_lines(["a", "b"], [{"a": 'say "hi", then', "b": "two\nlines"}]))

    assert lines == ["a,b\r\n", '"say ""hi"", then","two\nlines"\r\n']


# --- admins' texts in what users read --------------------------------------------------------------------------------

HELD = Decision(
    Verdict.REQUIRE_APPROVAL,
    (Finding("client_recipient_during_notice", Verdict.REQUIRE_APPROVAL, ("kim@contoso.example",)),),
    Phase.NOTICE,
    Verdict.REQUIRE_APPROVAL,
)


def test_an_admins_texts_replace_the_built_in_ones_in_banner_dialog_and_reason():
    texts = {
        "en": {
            "banner.require_approval": "{n} client(s): ask hr@northwind.example",
            "dialog.require_approval": "Ask HR first.",
            "consequence.require_approval": "write to hr@northwind.example.",
        }
    }

    rendered = render(HELD, "en", texts)

    assert rendered.banner == "1 client(s): ask hr@northwind.example"
    assert rendered.finding_messages == (
        "Client recipients: kim@contoso.example. You are on notice: write to hr@northwind.example.",
    )
    assert rendered.dialog == "Ask HR first.\n" + rendered.finding_messages[0]


def test_texts_of_another_language_leave_this_one_built_in():
    assert render(HELD, "es", {"en": {"banner.require_approval": "x"}}) == render(HELD, "es")


def test_stray_braces_in_an_admins_banner_do_not_break_a_check():
    assert render(HELD, "en", {"en": {"banner.require_approval": "{oops} {n} {"}}).banner == "{oops} 1 {"


@pytest.mark.parametrize("lang", ["en", "es", "ru"])
def test_every_overridable_text_has_a_built_in_one_within_its_limit(lang):
    for key, (limit, _) in OVERRIDABLE.items():
        assert 0 < len(builtin_text(lang, key)) <= limit
