"""HR sign-off in a real browser: the HR mail in the development outbox, its link, the approval, the next send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server import demo

MESSAGE = {"to": ["kim@contoso.example"], "subject": "Handover", "body": "Hello Kim, Bob takes over from Monday."}
CHECK = """async ([message, mode]) => {
  const response = await fetch("/api/v1/check", {method: "POST",
    headers: {"Authorization": "Dev alice@northwind.example", "Content-Type": "application/json"},
    body: JSON.stringify({...message, mode})});
  return await response.json();
}"""


@pytest.fixture
def app(app):
    app.config["HR_APPROVERS"] = ("hr@northwind.example",)
    demo.seed(app.extensions["leaverguard.engine"], datetime.now(UTC))
    return app


@pytest.mark.parametrize("width", [1280, 375], ids=["laptop", "phone"])
def test_hr_approves_from_the_outbox_link_and_only_the_same_message_then_goes(
    app, live_server, page, screenshot, width
):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server + "/")
    asked = page.evaluate(
        """async (message) => (await fetch("/api/v1/approvals", {method: "POST",
             headers: {"Authorization": "Dev alice@northwind.example", "Content-Type": "application/json"},
             body: JSON.stringify({...message, justification: "Farewell note introducing Bob", attestation: true})
           })).status""",
        MESSAGE,
    )
    assert asked == 201

    page.goto(live_server + "/dev/outbox/")
    page.get_by_role("link", name="Sign-off needed: alice@northwind.example wants to write to clients").click()
    page.get_by_role("link", name="/approvals/").click()
    page.get_by_label("Your e-mail address").fill("hr@northwind.example")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("Hello Kim, Bob takes over from Monday.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    screenshot(page, f"approval-page-{width}")
    page.get_by_label("Comment for the sender").fill("Fine: Bob is introduced.")
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_role("status").first.inner_text().startswith("Your decision is recorded: approved")

    edited = page.evaluate(CHECK, [MESSAGE | {"body": MESSAGE["body"] + " See you soon."}, "send"])
    same = page.evaluate(CHECK, [MESSAGE, "send"])
    assert edited["verdict"] == "require_approval"
    assert (same["verdict"], same["approval"]["status"]) == ("allow", "consumed")
