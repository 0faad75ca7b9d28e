"""The sync status page: each connector's last run and success, counts, problems, refusals, conflicts, recent runs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from server.sync import store as sync_store
from server.sync.records import Run, RunStatus

from .console_helpers import CSRF, ROLES, VIEWER, sign_in, text_of

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
CONFLICT = {"kind": "domain", "value": "contoso.example", "held_by": "Contoso Ltd (manual)", "ref": "hs-901"}
REFUSAL = "the source answered with no records while 12 are synced from it; nothing was changed"


@pytest.fixture
def app(app):
    app.config.update(ROLES, SYNC_CONNECTORS=("entra", "google-directory", "hubspot"))
    return app


def record(engine, source: str, status: RunStatus, minutes: int, **values) -> None:
    started = T0 + timedelta(minutes=minutes)
    with engine.begin() as conn:
        sync_store.record_run(conn, Run(source, started, started + timedelta(seconds=20), status, **values))


@pytest.fixture
def runs(engine):
    record(engine, "hubspot", RunStatus.SUCCESS, 0, added=40, updated=2, skipped=1, conflicts=(CONFLICT,))
    record(engine, "hubspot", RunStatus.FAILED, 15, errors=("HubSpot answered 503 after 4 tries",))
    record(engine, "entra", RunStatus.SUCCESS, 0, added=12)
    record(engine, "entra", RunStatus.REFUSED, 15, errors=(REFUSAL,))
    record(engine, "personio", RunStatus.SUCCESS, 5, updated=3, removed=1)  # ran once, no longer enabled


def source_text(page: str, source: str) -> str:
    """The text of one source's section of the page."""
    after = page.split(f'<h2 id="sync-{source}">', 1)[1]
    return text_of_html(after.split("<h2 id=", 1)[0])


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_every_enabled_connector_and_every_source_that_ran_is_listed_in_the_connectors_order(client, runs):
    page = sign_in(client, VIEWER).get("/admin/syncs").get_data(as_text=True)

    assert re.findall(r'<h2 id="sync-([a-z-]+)">', page) == ["entra", "google-directory", "personio", "hubspot"]
    assert "personio not enabled" in text_of_html(page)


def test_a_refused_run_is_an_alert_that_nothing_was_deleted(client, runs):
    entra = source_text(sign_in(client, VIEWER).get("/admin/syncs").get_data(as_text=True), "entra")

    assert f"Stopped instead of deleting on 2026-11-20 06:15 UTC: {REFUSAL}." in entra
    assert "--accept-drop" in entra
    assert "Last success 2026-11-20 06:00 UTC" in entra


def test_a_failed_run_shows_its_error_the_last_success_and_the_counts_of_the_last_run(client, runs):
    hubspot = source_text(sign_in(client, VIEWER).get("/admin/syncs").get_data(as_text=True), "hubspot")

    assert "The last run failed on 2026-11-20 06:15 UTC: HubSpot answered 503 after 4 tries." in hubspot
    assert "Last run failed , 2026-11-20 06:15 UTC" in hubspot
    assert "Last success 2026-11-20 06:00 UTC" in hubspot
    assert "Counts 0 added, 0 updated, 0 removed, 0 skipped" in hubspot


def test_conflicts_with_records_entered_by_hand_are_listed(client, runs):
    hubspot = source_text(sign_in(client, VIEWER).get("/admin/syncs").get_data(as_text=True), "hubspot")

    assert "domain contoso.example Contoso Ltd (manual) hs-901" in hubspot


def test_recent_runs_are_listed_newest_first_with_their_counts(client, runs):
    hubspot = source_text(sign_in(client, VIEWER).get("/admin/syncs").get_data(as_text=True), "hubspot")

    recent = hubspot.split("Recent runs", 1)[1]
    assert "2026-11-20 06:15 UTC failed 0 0 0 0 1" in recent
    assert recent.index("06:15 UTC failed") < recent.index("06:00 UTC success 40 2 0 1 0")


def test_an_enabled_connector_that_never_ran_says_so(client, runs):
    google = source_text(sign_in(client, VIEWER).get("/admin/syncs").get_data(as_text=True), "google-directory")

    assert "Has not run yet." in google


def test_with_no_sync_at_all_the_page_says_how_to_connect_one(app, client):
    app.config["SYNC_CONNECTORS"] = ()

    page = text_of(sign_in(client, VIEWER).get("/admin/syncs"))

    assert "No sync is enabled and none has run" in page and "LEAVERGUARD_SYNC_CONNECTORS" in page


def test_the_page_is_read_only(client, runs):
    assert sign_in(client, VIEWER).post("/admin/syncs", data={"csrf_token": CSRF}).status_code == 405
