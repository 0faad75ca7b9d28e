"""/try/outlook in Chromium against the live server and the seeded demo: what a leaver and a colleague see.

The page runs the real addin/outlook/commands.js against the Office shim; the server answers as in production
except for the development sign-in scheme. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from server import demo, store
from tests.integration.signoff_helpers import decide, link_path, queued, sign_in

ALICE = "alice@northwind.example"  # on notice
DMITRI = "dmitri@northwind.example"  # on garden leave
CAROL = "carol@northwind.example"  # not leaving
KIM = "kim@contoso.example"  # a client contact
HR = "hr@northwind.example"


@pytest.fixture
def seeded(engine):
    demo.seed(engine, datetime.now(UTC))


@pytest.fixture
def errors(page):
    """Uncaught script errors on the page (none expected)."""
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def compose(page, live_server, sender: str, to: str = KIM, language: str = "en-GB") -> None:
    """Open the try page as `sender` with `to` as the only recipient, as if typed in."""
    page.goto(live_server + "/try/outlook")
    page.select_option("#language", language)
    page.select_option("#from", sender)
    page.fill("#to", to)
    page.press("#to", "Tab")


def banner(page):
    return page.locator("#banners .infobar")


def test_a_leavers_message_to_a_client_is_held_with_the_sign_off_button(seeded, live_server, page, errors, screenshot):
    compose(page, live_server, ALICE)
    page.click("#send")

    expect(page.locator("#dialog")).to_be_visible()
    expect(page.locator("#dialog-title")).to_have_text("LeaverGuard")
    expect(page.locator("#dialog-message")).to_contain_text("needs HR sign-off")
    expect(page.locator("#dialog-message")).to_contain_text(KIM)
    expect(page.locator("#dialog-action")).to_have_text("Request sign-off")
    expect(page.locator("#dialog-send-anyway")).to_be_hidden()
    screenshot(page, "try-outlook-leaver-held-for-sign-off")

    page.click("#dialog-dont-send")
    expect(page.locator("#dialog-backdrop")).to_be_hidden()
    expect(page.locator("#sent-items li")).to_have_count(0)
    assert errors == []


def test_a_colleagues_message_to_a_client_goes(seeded, live_server, page, errors, screenshot):
    compose(page, live_server, CAROL)
    page.click("#send")

    expect(page.locator("#sent-items li")).to_have_count(1)
    expect(page.locator("#sent-items li")).to_contain_text("Handover of the Contoso account")
    expect(page.locator("#dialog-backdrop")).to_be_hidden()
    expect(banner(page)).to_have_count(0)
    screenshot(page, "try-outlook-colleague-sent")
    assert errors == []


def test_a_banner_appears_when_a_client_is_added_and_goes_when_removed(seeded, live_server, page, screenshot):
    compose(page, live_server, ALICE, to=CAROL)  # a colleague: no banner
    expect(banner(page)).to_have_count(0)

    page.fill("#to", f"{CAROL}, {KIM}")
    page.press("#to", "Tab")
    expect(banner(page)).to_have_count(1)
    expect(banner(page)).to_contain_text("client recipients: 1")
    screenshot(page, "try-outlook-banner-for-a-client")

    page.fill("#to", CAROL)
    page.press("#to", "Tab")
    expect(banner(page)).to_have_count(0)


def test_a_warning_can_be_sent_anyway(seeded, live_server, page):
    compose(page, live_server, DMITRI, to="someone.else@gmail.com")
    page.click("#send")

    expect(page.locator("#dialog-send-anyway")).to_be_visible()
    expect(page.locator("#dialog-action")).to_be_hidden()
    page.click("#dialog-send-anyway")
    expect(page.locator("#sent-items li")).to_have_count(1)


def test_the_dialog_speaks_the_users_language(seeded, live_server, page, screenshot):
    compose(page, live_server, ALICE, language="es-ES")
    page.click("#send")

    expect(page.locator("#dialog-message")).to_contain_text("aprobación de RR. HH.")
    expect(page.locator("#dialog-action")).to_have_text("Pedir aprobación")
    screenshot(page, "try-outlook-held-in-spanish")


def test_in_an_outage_fail_open_warns_and_lets_the_user_send_anyway(seeded, live_server, page, errors, screenshot):
    compose(page, live_server, ALICE)
    page.check("#outage")
    page.click("#send")

    expect(page.locator("#dialog-message")).to_contain_text("could not check this message")
    expect(page.locator("#dialog-send-anyway")).to_be_visible()
    expect(page.locator("#dialog-action")).to_be_hidden()
    screenshot(page, "try-outlook-outage-fail-open")

    page.click("#dialog-send-anyway")
    expect(page.locator("#sent-items li")).to_have_count(1)
    assert errors == []


def test_in_an_outage_fail_closed_holds_the_message(app, seeded, live_server, page, screenshot):
    app.config["ADDIN_FAIL_MODE"] = "closed"
    compose(page, live_server, ALICE)
    expect(page.locator("#fail-mode")).to_have_value("closed")
    page.check("#outage")
    page.click("#send")

    expect(page.locator("#dialog-message")).to_contain_text("so it has not been sent")
    expect(page.locator("#dialog-send-anyway")).to_be_hidden()
    expect(page.locator("#dialog-action")).to_be_hidden()
    screenshot(page, "try-outlook-outage-fail-closed")

    page.click("#dialog-dont-send")
    expect(page.locator("#sent-items li")).to_have_count(0)


def test_from_the_held_dialog_the_task_pane_requests_sign_off_and_shows_it_pending(
    app, seeded, live_server, page, errors, screenshot
):
    app.config["HR_APPROVERS"] = ("hr@northwind.example",)
    compose(page, live_server, ALICE)
    page.click("#send")
    page.click("#dialog-action")

    expect(page.locator("#taskpane")).to_be_visible()
    pane = page.frame_locator("#taskpane-frame")
    expect(pane.locator("#verdict")).to_have_text("HR must sign off this message before it can be sent.")
    expect(pane.locator("#findings li").first).to_contain_text(KIM)

    pane.locator("#submit").click()
    expect(pane.locator("#form-error")).to_have_text("Please say why this message needs to go.")

    pane.locator("#justification").fill("Introducing Bob, who takes over the Contoso account from Monday.")
    pane.locator("#attestation").check()
    pane.locator("#submit").click()

    expect(pane.locator("#approval-status")).to_have_attribute("data-status", "pending")
    expect(pane.locator("#approval-status")).to_contain_text("Waiting for HR")
    expect(pane.locator("#request-section")).to_be_hidden()
    screenshot(page, "try-outlook-sign-off-pending")
    assert errors == []


def test_the_task_pane_picks_up_a_pending_request_for_the_same_message(app, seeded, live_server, page):
    app.config["HR_APPROVERS"] = ("hr@northwind.example",)
    compose(page, live_server, ALICE)
    page.click("#send")
    page.click("#dialog-action")
    pane = page.frame_locator("#taskpane-frame")
    pane.locator("#justification").fill("Handover to Bob.")
    pane.locator("#submit").click()
    expect(pane.locator("#approval-status")).to_have_attribute("data-status", "pending")

    page.click("#taskpane-close")
    page.click("#send")
    page.click("#dialog-action")

    expect(pane.locator("#approval-status")).to_have_attribute("data-status", "pending")
    expect(pane.locator("#request-section")).to_be_hidden()


def request_sign_off(page, justification: str = "Introducing Bob, who takes over the Contoso account.") -> None:
    """Send, take the dialog's sign-off button, and request sign-off from the task pane."""
    page.click("#send")
    page.click("#dialog-action")
    pane = page.frame_locator("#taskpane-frame")
    pane.locator("#justification").fill(justification)
    pane.locator("#attestation").check()
    pane.locator("#submit").click()
    expect(pane.locator("#approval-status")).to_have_attribute("data-status", "pending")


def hr_decides(app, engine, decision: str, comment: str = "") -> None:
    """HR opens the link in their mail and decides, as on the approval page."""
    http = app.test_client()
    sign_in(http, HR)
    path = link_path(queued(engine, "approval.request")[0]["text_body"])
    assert decide(http, path, decision, comment).status_code in (200, 302, 303)


def test_once_hr_approves_the_same_message_goes_when_sent_again(app, engine, seeded, live_server, page, screenshot):
    app.config["HR_APPROVERS"] = (HR,)
    compose(page, live_server, ALICE)
    request_sign_off(page)

    hr_decides(app, engine, "approve")
    pane = page.frame_locator("#taskpane-frame")
    pane.locator("#recheck").click()
    expect(pane.locator("#approval-status")).to_have_attribute("data-status", "approved")
    expect(pane.locator("#approval-status")).to_contain_text("Press Send again")
    screenshot(page, "try-outlook-sign-off-approved")

    page.click("#send")
    expect(page.locator("#sent-items li")).to_have_count(1)
    expect(page.locator("#dialog-backdrop")).to_be_hidden()


def test_when_hr_declines_the_pane_shows_their_comment_and_the_message_stays_held(
    app, engine, seeded, live_server, page
):
    app.config["HR_APPROVERS"] = (HR,)
    compose(page, live_server, ALICE)
    request_sign_off(page)

    hr_decides(app, engine, "reject", "Please let Bob write to Kim himself.")
    pane = page.frame_locator("#taskpane-frame")
    pane.locator("#recheck").click()
    expect(pane.locator("#approval-status")).to_have_attribute("data-status", "rejected")
    expect(pane.locator("#comment")).to_have_text("Please let Bob write to Kim himself.")
    expect(pane.locator("#request-section")).to_be_visible()  # a new request may be made

    page.click("#taskpane-close")
    page.click("#send")
    expect(page.locator("#dialog-action")).to_be_visible()


# --- no way around the check (issue 12): each former trick is held for a leaver, with an audit row --------------

JUNK = '"x y"@nowhere.example'
SIGNAL = "Stay in touch after I leave: +34 612 345 678. "


def audit_rows(engine) -> list[dict]:
    with engine.connect() as conn:
        return store.audit_events(conn, limit=10)


def set_body(page, text_js: str) -> None:
    """Put a long body in place at once (typing 340,000 characters would take minutes)."""
    page.evaluate(f"document.getElementById('body').value = {text_js}")


TRICKS = [
    # name, To, body (a JavaScript expression, or None for the page's own), verdict, the finding that says why
    ("junk-recipient", JUNK, None, "require_approval", "unreadable_recipient"),
    ("quoted-local-part", '"kim"@contoso.example', None, "require_approval", "unreadable_recipient"),
    ("body-over-1-mb", KIM, "'€'.repeat(340000)", "require_approval", "body_truncated"),
    ("501-recipients", ", ".join([KIM] + [f"p{i}@elsewhere.example" for i in range(500)]), None, "require_approval",
     "too_many_recipients"),
    ("blocked-message-padded", KIM, f"{SIGNAL!r} + '€'.repeat(340000)", "block", "solicitation_signal"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "to", "body", "verdict", "code"), TRICKS, ids=[t[0] for t in TRICKS])
def test_each_former_way_around_the_check_is_held_for_a_leaver_and_never_offers_send_anyway(
    engine, seeded, live_server, page, errors, screenshot, name, to, body, verdict, code
):
    compose(page, live_server, ALICE, to=to)
    if body:
        set_body(page, body)
    page.click("#send")

    expect(page.locator("#dialog")).to_be_visible()
    expect(page.locator("#dialog-send-anyway")).to_be_hidden()
    expect(page.locator("#dialog-message")).not_to_contain_text("could not check this message")
    if verdict == "require_approval":
        expect(page.locator("#dialog-action")).to_have_text("Request sign-off")
    else:
        expect(page.locator("#dialog-action")).to_be_hidden()
    screenshot(page, f"try-outlook-trick-{name}")
    page.click("#dialog-dont-send")
    expect(page.locator("#sent-items li")).to_have_count(0)

    (row,) = [r for r in audit_rows(engine) if r["kind"] == "check"]
    assert (row["actor"], row["verdict"]) == (ALICE, verdict)
    assert code in [f["code"] for f in row["details"]["findings"]]
    assert errors == []


def test_a_colleague_writing_to_an_unreadable_address_is_not_held(seeded, live_server, page):
    compose(page, live_server, CAROL, to=JUNK)
    page.click("#send")

    expect(page.locator("#sent-items li")).to_have_count(1)


def test_an_attached_file_is_sent_with_its_content_hash(seeded, live_server, page):
    content = b"%PDF-1.7 the handover plan"
    compose(page, live_server, ALICE)
    page.set_input_files("#attachments", files=[{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": content}])
    with page.expect_request(lambda r: r.url.endswith("/api/v1/check") and '"send"' in (r.post_data or "")) as sent:
        page.click("#send")

    attachments = json.loads(sent.value.post_data)["attachments"]
    assert attachments == [{"name": "plan.pdf", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}]
    expect(page.locator("#dialog-action")).to_have_text("Request sign-off")
