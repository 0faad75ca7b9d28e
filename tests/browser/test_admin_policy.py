"""The policy page and the console's other pages in a real browser: an admin changes the ladder and the check
follows; a viewer cannot; screenshots of every page of this part at laptop and phone widths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server import demo
from server.sync import store as sync_store
from server.sync.records import Run, RunStatus

ADMIN, HR, VIEWER = "ada@northwind.example", "hr@northwind.example", "vic@northwind.example"
CHECK = """async () => (await (await fetch("/api/v1/check", {method: "POST",
    headers: {"Authorization": "Dev alice@northwind.example", "Content-Type": "application/json"},
    body: JSON.stringify({mode: "preview", to: ["kim@contoso.example"], subject: "Handover", body: "Hello Kim"})
  })).json()).verdict"""
ASK = """async (subject) => (await fetch("/api/v1/approvals", {method: "POST",
    headers: {"Authorization": "Dev alice@northwind.example", "Content-Type": "application/json"},
    body: JSON.stringify({to: ["kim@contoso.example"], subject, body: "Hello Kim, Bob takes over.",
                          justification: "A farewell note introducing Bob", attestation: true})})).status"""


@pytest.fixture
def app(app):
    app.config.update(
        ADMIN_USERS=(ADMIN,), HR_APPROVERS=(HR,), VIEWER_USERS=(VIEWER,), SYNC_CONNECTORS=("entra", "hubspot")
    )
    engine = app.extensions["leaverguard.engine"]
    demo.seed(engine, datetime.now(UTC))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        sync_store.record_run(conn, Run("hubspot", now - timedelta(minutes=5), now, RunStatus.SUCCESS, added=3))
        refused = "the source answered with no records while 4 are synced from it; nothing was changed"
        sync_store.record_run(conn, Run("entra", now - timedelta(minutes=2), now, RunStatus.REFUSED, errors=(refused,)))
    return app


def sign_in(page, base: str, address: str, target: str) -> None:
    page.goto(base + target)
    page.get_by_label("Your e-mail address").fill(address)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + target)


def test_an_admin_changes_a_ladder_cell_and_the_check_follows_at_once(app, live_server, page, screenshot):
    sign_in(page, live_server, ADMIN, "/admin/policy")
    assert page.evaluate(CHECK) == "require_approval"

    cell = page.get_by_label("On notice, Client contact")
    cell.select_option("block")
    page.get_by_role("button", name="Save the policy").click()

    assert "Saved: the policy is now version" in page.get_by_role("status").first.inner_text()
    assert page.get_by_label("On notice, Client contact").input_value() == "block"
    assert page.evaluate(CHECK) == "block"

    page.get_by_label("Sender").fill("alice@northwind.example")
    page.get_by_label("To", exact=True).fill("kim@contoso.example")
    page.get_by_role("button", name="Test", exact=True).click()
    assert page.get_by_role("heading", name="LeaverGuard would answer: Block").is_visible()
    screenshot(page, "admin-policy-test-1280")


def test_an_admin_sees_the_refused_field_next_to_its_message(app, live_server, page):
    sign_in(page, live_server, ADMIN, "/admin/policy")

    page.get_by_label("Time zone of the company's calendar").fill("Mars/Olympus")
    page.get_by_role("button", name="Save the policy").click()

    field = page.get_by_label("Time zone of the company's calendar")
    assert field.get_attribute("aria-invalid") == "true"
    assert "is not a time zone name" in page.locator("#timezone-error").inner_text()
    assert page.evaluate(CHECK) == "require_approval"


def test_a_viewer_sees_the_grid_disabled_and_a_forced_post_is_refused(app, live_server, page):
    sign_in(page, live_server, VIEWER, "/admin/policy")

    assert page.get_by_label("On notice, Client contact").is_disabled()
    assert page.get_by_role("button", name="Save the policy").count() == 0
    status = page.evaluate(
        """async () => {
          const form = new FormData();
          form.append("csrf_token", document.querySelector("input[name=csrf_token]").value);
          form.append("version", document.querySelector("input[name=version]").value);
          form.append("ladder.notice.client_contact", "allow");
          return (await fetch("/admin/policy", {method: "POST", body: form})).status;
        }"""
    )
    assert status == 403
    assert page.evaluate(CHECK) == "require_approval"


def test_an_admins_post_without_the_csrf_token_is_refused_and_changes_nothing(app, live_server, page):
    sign_in(page, live_server, ADMIN, "/admin/policy")
    post = """async (withToken) => {
          const form = new FormData(document.querySelector("[name='ladder.notice.client_contact']").form);
          form.set("ladder.notice.client_contact", "block");
          if (!withToken) form.delete("csrf_token");
          return (await fetch("/admin/policy", {method: "POST", body: form})).status;
        }"""

    assert page.evaluate(post, False) == 400
    assert page.evaluate(CHECK) == "require_approval"
    assert page.evaluate(post, True) == 200  # the very same form, with its token, saves
    assert page.evaluate(CHECK) == "block"


PAGES = [
    ("dashboard", "/admin/"),
    ("policy", "/admin/policy"),
    ("signoffs", "/admin/signoffs?view=all"),
    ("audit", "/admin/audit"),
    ("syncs", "/admin/syncs"),
]


@pytest.mark.parametrize("width", [1280, 375], ids=["laptop", "phone"])
def test_the_console_pages_fit_the_screen_and_are_captured(app, live_server, page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, HR, "/admin/")
    assert page.evaluate(ASK, "Handover") == 201
    assert page.evaluate(ASK, "Farewell") == 201
    page.evaluate(CHECK.replace('"preview"', '"send"'))

    for name, path in PAGES:
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
        screenshot(page, f"admin-{name}-{width}")
    page.goto(live_server + "/admin/signoffs/1")
    screenshot(page, f"admin-signoff-request-{width}")
