"""The Outlook task pane in Chromium when a sign-off request runs into the hourly limit: it says when to ask again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from server import demo
from tests.integration.signoff_helpers import ask, queued

ALICE, HR, KIM = "alice@northwind.example", "hr@northwind.example", "kim@contoso.example"


@pytest.fixture
def at_the_limit(app, engine):
    """Alice, on notice, has made the one sign-off request this hour allows (for another message)."""
    demo.seed(engine, datetime.now(UTC))
    app.config.update(HR_APPROVERS=(HR,), SIGNOFF_REQUESTS_PER_HOUR=1)
    assert ask(app.test_client(), subject="An earlier note").status_code == 201


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en-GB", "You have reached the limit of sign-off requests an hour (1). You can ask again in 60 min."),
        ("es-ES", "Ha alcanzado el límite de solicitudes de aprobación por hora (1)."),
    ],
)
def test_a_request_over_the_hourly_limit_shows_the_servers_reason_and_is_not_called_an_outage(
    app, engine, at_the_limit, live_server, page, screenshot, language, expected
):
    page.goto(live_server + "/try/outlook")
    page.select_option("#language", language)
    page.select_option("#from", ALICE)
    page.fill("#to", KIM)
    page.press("#to", "Tab")
    page.click("#send")
    page.click("#dialog-action")
    pane = page.frame_locator("#taskpane-frame")
    pane.locator("#justification").fill("Introducing Bob, who takes over the Contoso account.")
    pane.locator("#attestation").check()
    pane.locator("#submit").click()

    expect(pane.locator("#form-error")).to_contain_text(expected)
    expect(pane.locator("#status-section")).to_be_hidden()
    screenshot(page, f"try-outlook-sign-off-limit-{language}")
    assert len(queued(engine, "approval.request")) == 1
