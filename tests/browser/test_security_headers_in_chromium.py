"""The security headers as a browser applies them: Outlook may frame the add-in, nobody may frame the console,
and the pages run under their Content-Security-Policy without a single violation.

"Outlook" here is a page of another origin (about:blank) that frames ours; Office.js's host is
refused before any request leaves the machine.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def offline(page):
    """No request leaves the machine: Office.js's CDN is refused (the add-in pages then run without it)."""
    page.context.route("https://appsforoffice.microsoft.com/**", lambda route: route.abort())
    return page


def csp_violations(tab) -> list[str]:
    found: list[str] = []
    tab.on("console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None)
    return found


def test_another_origin_may_frame_the_task_pane_but_not_the_sign_in_page(live_server, offline):
    violations = csp_violations(offline)

    offline.set_content(  # a page of another origin, as Outlook on the web is
        f'<iframe name="addin" src="{live_server}/addin/outlook/taskpane.html"></iframe>'
        f'<iframe name="console" src="{live_server}/signin"></iframe>'
    )

    addin, console = offline.frame(name="addin"), offline.frame(name="console")
    assert addin.locator("#pane h1").text_content() == "LeaverGuard"
    assert console.locator("input[name=csrf_token]").count() == 0  # the browser refused to show the page
    assert any("frame-ancestors 'none'" in text for text in violations)


@pytest.mark.parametrize("path", ["/", "/signin?next=/admin/", "/try/outlook"])
def test_pages_run_without_breaking_their_content_security_policy(live_server, offline, path):
    violations = csp_violations(offline)

    offline.goto(live_server + path, wait_until="load")

    assert offline.evaluate("Array.from(document.styleSheets).reduce((n, s) => n + s.cssRules.length, 0)") > 0
    assert violations == []


def test_the_admin_console_runs_without_breaking_its_policy(app, live_server, offline):
    app.config["ADMIN_USERS"] = ("ada@northwind.example",)
    violations = csp_violations(offline)
    offline.goto(live_server + "/signin?next=/admin/")
    offline.fill("#email", "ada@northwind.example")

    offline.click("button[type=submit]")

    offline.wait_for_url(live_server + "/admin/")
    assert violations == []
