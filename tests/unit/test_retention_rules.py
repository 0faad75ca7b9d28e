"""What the retention periods keep and remove, without a database: cut-offs, the erasure date, content."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.retention import RetentionSettings, without_content, without_personal_addresses

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_the_defaults_are_90_days_of_content_two_years_of_audit_and_a_year_after_the_last_day():
    settings = RetentionSettings()

    assert (settings.message_days, settings.audit_days, settings.departure_days) == (90, 730, 365)


def test_the_cutoffs_lie_the_retention_before_now():
    settings = RetentionSettings(message_days=90, audit_days=730)

    assert settings.message_cutoff(NOW) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert settings.audit_cutoff(NOW) == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_working_date", "days", "erasable_from"),
    [
        (date(2026, 12, 31), 365, date(2027, 12, 31)),
        (date(2028, 2, 29), 365, date(2029, 2, 28)),  # a leap day
        (date(2026, 12, 31), 1, date(2027, 1, 1)),
    ],
)
def test_a_departure_may_be_erased_the_retention_after_the_last_working_day(last_working_date, days, erasable_from):
    assert RetentionSettings(departure_days=days).erasable_from(last_working_date) == erasable_from


CONTEXT = {
    "phase": "notice",
    "departure": {"last_working_date": "2026-12-31", "successor": "bob@northwind.example"},
    "recipients": [{"email": "kim@contoso.example", "field": "to", "client": {"account": "Contoso"}}],
    "findings": [
        {
            "code": "client_recipient_during_notice",
            "verdict": "require_approval",
            "recipients": ["kim@contoso.example"],
        },
        {
            "code": "solicitation_signal",
            "verdict": "block",
            "recipients": ["kim@contoso.example"],
            "params": {"signals": "personal_phone", "matches": "+34 600 123 456"},
        },
    ],
}


def test_content_is_the_texts_the_attachment_names_and_the_words_a_signal_quoted():
    values = without_content([{"name": "clients.xlsx", "size": 48213}], CONTEXT)

    assert (values["subject"], values["body"], values["justification"]) == ("", "", "")
    assert values["attachments"] == [{"size": 48213}]
    assert "+34 600" not in str(values) and "clients.xlsx" not in str(values)


def test_the_decision_trail_stays_the_findings_their_recipients_and_the_departure():
    context = without_content([], CONTEXT)["context"]

    assert [f["code"] for f in context["findings"]] == ["client_recipient_during_notice", "solicitation_signal"]
    assert context["findings"][1]["params"] == {"signals": "personal_phone"}
    assert all(f["recipients"] == ["kim@contoso.example"] for f in context["findings"])
    assert context["recipients"] == CONTEXT["recipients"] and context["departure"] == CONTEXT["departure"]


def test_an_audit_event_keeps_everything_of_a_departure_but_its_personal_addresses():
    record = {"email": "alice@northwind.example", "aliases": ["a.smith@northwind.example"]}
    details = {
        "id": 7,
        "before": None,
        "after": record | {"personal_addresses": ["alice.private@gmail.com"]},
        "personal_addresses": ["alice.private@gmail.com"],
    }

    scrubbed = without_personal_addresses(details, "erased")

    assert "alice.private" not in str(scrubbed)
    assert scrubbed == {"id": 7, "before": None, "after": record | {"personal_addresses": "erased"}} | {
        "personal_addresses": "erased"
    }
