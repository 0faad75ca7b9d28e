"""Pages after the retention removed a request's content: they say so, in the reader's language, and never crash.

The requests are made now and purged as housekeeping would 94 days later (tests/conftest.py makes them).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from server.retention import RetentionSettings
from server.services import retention, signoff

from ..integration.signoff_helpers import link_path, queued
from .console_helpers import ADMIN, HR, ROLES, sign_in, text_of

LATER = datetime.now(UTC) + timedelta(days=94)
REMOVED_ON = f"removed on {LATER.date().isoformat()} under the retention policy"
CONTENT = ("client-list.xlsx", "+34 600 123 456", "private mobile", "farewell note")


@pytest.fixture
def purged(app, engine, requests_in_each_state) -> dict[str, int]:
    """The requests of each state, 94 days on: the ended ones have lost their content."""
    app.config.update(ROLES)
    settings = signoff.SignoffSettings.from_config(app.config)
    signoff.remind_and_expire(engine, settings=settings, now=LATER)
    assert retention.purge(engine, RetentionSettings(), LATER).contents == 4
    return requests_in_each_state


@pytest.mark.parametrize("state", ["rejected", "consumed", "expired", "lapsed"])
def test_the_console_shows_a_purged_request_with_its_decision_and_says_the_content_was_removed(client, purged, state):
    response = sign_in(client, ADMIN).get(f"/admin/signoffs/{purged[state]}")

    page = text_of(response)
    assert response.status_code == 200
    assert REMOVED_ON in page
    assert not any(content in page for content in CONTENT)
    assert "kim@contoso.example" in page and "Contoso Ltd" in page  # the recipients and their accounts stay
    assert "48,213 B" in page  # the attachment's size, not its name


def test_a_request_still_holding_its_content_shows_it(client, purged):
    page = text_of(sign_in(client, ADMIN).get(f"/admin/signoffs/{purged['pending']}"))

    assert "client-list.xlsx" in page and "private mobile" in page
    assert "under the retention policy" not in page  # (its history lists the purged ones as removed)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "removed (retention policy)"),
        ("es", "eliminado (política de conservación)"),
        ("ru", "удалено (политика хранения)"),
    ],
)
def test_the_approval_page_lists_the_earlier_purged_requests_in_the_readers_language(
    client, engine, purged, language, said
):
    fresh = client.post(
        "/api/v1/approvals",
        headers={"Authorization": "Dev alice@northwind.example"},
        json={"to": ["kim@contoso.example"], "subject": "A new one", "body": "Bob takes over.", "justification": "x"}
        | {"attestation": True},
    )
    assert fresh.status_code == 201
    mail = next(m for m in queued(engine, "approval.request") if "A new one" in m["text_body"])

    response = sign_in(client, HR).get(link_path(mail["text_body"]), headers={"Accept-Language": language})

    page = text_of(response)
    assert response.status_code == 200
    assert page.count(said) == 4  # the four ended requests; the pending and approved ones keep their subjects
    assert "pending" in page and "approved" in page


def test_the_evidence_says_where_content_was_removed(client, purged):
    admin = sign_in(client, ADMIN)

    page = text_of(admin.get("/admin/audit/evidence?leaver=alice@northwind.example"))
    with admin.get("/admin/audit/evidence?leaver=alice@northwind.example&format=csv") as response:
        table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    assert page.count(f"Subject {REMOVED_ON}") == 4
    requests = [row for row in table if row["record"] == "sign-off request"]
    assert sorted(row["subject"] for row in requests) == sorted(["pending", "approved"] + [REMOVED_ON] * 4)
    assert sorted(row["justification"] for row in requests).count(REMOVED_ON) == 4
    assert not any(content in page for content in CONTENT[:3])
