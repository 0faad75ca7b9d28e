"""The Departures and Clients pages in a real browser: forms, a CSV import with a bad line, and the check following."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server import store

ADMIN = "ada@northwind.example"
CHECK = """async ([sender, to]) => {
  const response = await fetch("/api/v1/check", {method: "POST",
    headers: {"Authorization": "Dev " + sender, "Content-Type": "application/json"},
    body: JSON.stringify({mode: "preview", to: [to], subject: "Hello", body: "Hello"})});
  return (await response.json()).verdict;
}"""
WIDTHS = (1280, 375)


@pytest.fixture
def app(app):
    app.config["ADMIN_USERS"] = (ADMIN,)
    return app


def days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def departures_file(*, bad: bool) -> bytes:
    last = days(-5) if bad else days(40)  # a last working day before the notice date is line 3's problem
    rows = [
        "EmailAddress,ResignationDate,LastWorkingDate,SuccessorEmail",
        f"max@northwind.example,{days(-1)},{days(30)},bob@northwind.example",
        f"nina@northwind.example,{days(-2)},{last},",
    ]
    return ("\n".join(rows) + "\n").encode()


def upload(page, content: bytes, name: str) -> None:
    page.get_by_label("Import departures from a CSV file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Upload and preview").click()


def screenshots(page, screenshot, name: str) -> None:
    """The page at each width, full length; none may scroll sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}"
        screenshot(page, f"admin-{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def test_an_admin_fills_both_registers_through_forms_and_a_csv_and_the_check_follows_at_once(
    live_server, page, screenshot
):
    page.goto(live_server + "/admin/clients")
    page.get_by_label("Your e-mail address").fill(ADMIN)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Add an account").click()
    page.get_by_label("Account name").fill("Woodgrove Bank")
    page.get_by_label("Owner").fill("bob@northwind.example")
    page.get_by_role("button", name="Add account").click()
    page.get_by_label("Add a domain").fill("woodgrove.example")
    page.get_by_role("button", name="Add domain").click()
    assert page.get_by_role("status").first.inner_text() == "Domain added."
    page.get_by_label("Contact's address").fill("kim@woodgrove.example")
    page.get_by_label("Name", exact=True).fill("Kim Akers")
    page.get_by_role("button", name="Add contact").click()
    screenshots(page, screenshot, "account")

    page.get_by_role("link", name="Departures").first.click()
    page.get_by_role("link", name="Add a departure").click()
    page.get_by_label("Work address").fill("lena@northwind.example")
    page.get_by_label("Notice date").fill(days(-3))
    page.get_by_label("Last working day").fill(days(-4))
    page.get_by_role("button", name="Add departure").click()
    assert page.locator("#e-last_working_date").inner_text().startswith("is before the notice date")
    page.get_by_label("Last working day").fill(days(30))
    page.get_by_role("button", name="Add departure").click()
    assert page.get_by_role("status").first.inner_text().startswith("Added.")
    assert page.evaluate(CHECK, ["lena@northwind.example", "ann@mail.woodgrove.example"]) == "require_approval"

    page.get_by_role("link", name="Departures").first.click()
    upload(page, departures_file(bad=True), "leavers.csv")
    assert page.get_by_role("alert").first.inner_text().startswith("The file has 1 problem")
    assert page.locator("table.problems").inner_text().count("is before ResignationDate") == 1
    assert page.get_by_role("button", name="Import", exact=True).count() == 0
    assert page.evaluate(CHECK, ["max@northwind.example", "kim@woodgrove.example"]) == "allow"  # nothing imported
    screenshots(page, screenshot, "import-preview-problems")

    page.get_by_role("link", name="Departures").first.click()
    upload(page, departures_file(bad=False), "leavers-fixed.csv")
    assert "The file is good" in page.get_by_role("status").first.inner_text()
    screenshots(page, screenshot, "import-preview")
    page.get_by_role("button", name="Import", exact=True).click()
    assert page.get_by_role("status").first.inner_text().startswith("Imported leavers-fixed.csv")
    assert page.evaluate(CHECK, ["max@northwind.example", "kim@woodgrove.example"]) == "require_approval"
    assert page.evaluate(CHECK, ["nina@northwind.example", "ceo@woodgrove.example"]) == "require_approval"
    assert page.evaluate(CHECK, ["carol@northwind.example", "kim@woodgrove.example"]) == "allow"
    screenshots(page, screenshot, "departures")

    page.get_by_role("link", name="Clients").first.click()
    assert page.get_by_role("link", name="Woodgrove Bank").is_visible()
    screenshots(page, screenshot, "clients")


def test_an_admin_deletes_a_departure_entered_by_mistake_after_giving_a_reason_and_the_check_forgets_it(
    app, live_server, page, screenshot
):
    engine = app.extensions["leaverguard.engine"]
    with engine.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example"], datetime.now(UTC))
        account_id = store.ensure_account(conn, "Woodgrove Bank", None, "manual", datetime.now(UTC))
        store.add_client_domain(conn, account_id, "woodgrove.example")
    page.goto(live_server + "/admin/departures/new")
    page.get_by_label("Your e-mail address").fill(ADMIN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Work address").fill("zoe@northwind.example")
    page.get_by_label("Notice date").fill(days(-3))
    page.get_by_label("Last working day").fill(days(30))
    page.get_by_role("button", name="Add departure").click()
    assert page.evaluate(CHECK, ["zoe@northwind.example", "kim@woodgrove.example"]) == "require_approval"

    page.get_by_role("link", name="Delete this record…").click()
    page.get_by_role("button", name="Delete the record").click()
    assert page.locator("#e-reason").inner_text() == "is required: say why this record was a mistake"
    screenshots(page, screenshot, "departure-delete")
    page.get_by_label("Why was this record a mistake?").fill("Zoey is leaving, not Zoe.")
    page.get_by_role("button", name="Delete the record").click()

    assert page.get_by_role("status").first.inner_text().startswith("Deleted zoe@northwind.example")
    assert page.evaluate(CHECK, ["zoe@northwind.example", "kim@woodgrove.example"]) == "allow"
