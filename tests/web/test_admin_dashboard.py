"""The dashboard: who is leaving now and soon, sign-offs waiting, held and warned sends a day, recent decisions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from server import store
from server.model import Departure
from server.services.console import DayCount
from server.tables import audit_events
from server.web.admin.dashboard import chart_bars

from .console_helpers import ALICE, CSRF, HR, ROLES, TO_KIM, VIEWER, ask_signoff, check, seed, sign_in, text_of

TODAY = datetime.now(UTC).date()


@pytest.fixture
def app(app):
    app.config.update(ROLES)
    seed(app.extensions["leaverguard.engine"])
    return app


def add_departure(engine, email: str, notice_in_days: int) -> None:
    notice = TODAY + timedelta(days=notice_in_days)
    with engine.begin() as conn:
        departure = Departure(email=email, notice_date=notice, last_working_date=notice + timedelta(days=30))
        store.save_departure(conn, departure, datetime.now(UTC))


def add_checks(engine, days_ago: int, *verdicts: str) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    rows = [{"at": at, "kind": "check", "actor": ALICE, "verdict": v, "details": {}} for v in verdicts]
    with engine.begin() as conn:
        conn.execute(insert(audit_events), rows)


def section(page: str, heading: str) -> str:
    """The text of the dashboard section that starts with `heading`."""
    return page.split(heading, 1)[1]


def test_people_leaving_now_are_listed_with_their_phase_and_upcoming_notices_apart(client, engine):
    add_departure(engine, "gil@northwind.example", notice_in_days=10)
    add_departure(engine, "hal@northwind.example", notice_in_days=40)

    page = text_of(sign_in(client, VIEWER).get("/admin/"))

    leaving = section(page, "Leaving now").split("Notice starting within 30 days")[0]
    upcoming = section(page, "Notice starting within 30 days").split("Sign-offs waiting")[0]
    assert leaving.strip().startswith("2 ")
    assert "alice@northwind.example on notice" in leaving and "dmitri@northwind.example garden leave" in leaving
    assert "erin@" not in leaving and "frank@" not in leaving  # departed; withdrawn
    assert "gil@northwind.example" in upcoming and "hal@" not in upcoming


def test_pending_sign_offs_are_counted_and_listed_oldest_first(client):
    first = ask_signoff(client, payload=TO_KIM | {"subject": "One"})
    second = ask_signoff(client, payload=TO_KIM | {"subject": "Two"})

    page = text_of(sign_in(client, HR).get("/admin/"))

    waiting = section(page, "Sign-offs waiting for HR").split("Held and warned")[0]
    assert waiting.strip().startswith("2 ")
    assert waiting.index(f"#{first}") < waiting.index(f"#{second}")


def test_held_and_warned_sends_are_counted_by_day_for_thirty_days(client, engine):
    check(client, TO_KIM)  # held today
    check(client, {"to": ["alice.private@gmail.com"]})  # warned today
    check(client, {"to": ["carol@northwind.example"]})  # allowed: not counted
    add_checks(engine, 3, "block", "warn", "warn")
    add_checks(engine, 40, "block")  # before the chart

    page = sign_in(client, HR).get("/admin/").get_data(as_text=True)

    numbers = text_of_table(page)
    assert numbers[TODAY.isoformat()] == ("1", "1")
    assert numbers[(TODAY - timedelta(days=3)).isoformat()] == ("1", "2")
    assert len(numbers) == 30 and (TODAY - timedelta(days=30)).isoformat() not in numbers
    assert "held (sign-off or block): 2" in text_of_page(page) and "warned: 3" in text_of_page(page)
    assert f"<title>{TODAY.isoformat()}: 1 held, 1 warned</title>" in page
    assert 'role="img"' in page


def text_of_page(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def text_of_table(page: str) -> dict[str, tuple[str, str]]:
    """The by-day table: {day: (held, warned)}."""
    table = page.split('<table class="numbers', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td[^>]*>([^<]+)</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td></tr>", table)
    return {day: (held, warned) for day, held, warned in cells}


def test_without_held_or_warned_sends_the_chart_says_so(client):
    page = text_of(sign_in(client, HR).get("/admin/"))

    assert "No send was held or warned in the last 30 days." in page


def test_recent_decisions_show_the_decision_and_who_made_it(client):
    approval_id = ask_signoff(client)
    hr = sign_in(client, HR)
    data = {"csrf_token": CSRF, "decision": "reject", "comment": "Not now."}
    assert hr.post(f"/admin/signoffs/{approval_id}", data=data).status_code == 200

    decisions = section(text_of(hr.get("/admin/")), "Recent decisions")

    assert f"#{approval_id} {ALICE} rejected {HR}" in decisions


def test_a_viewer_sees_the_numbers_but_no_links_to_the_messages(client):
    approval_id = ask_signoff(client)

    page = sign_in(client, VIEWER).get("/admin/").get_data(as_text=True)

    assert f"#{approval_id}" in page and f'href="/admin/signoffs/{approval_id}"' not in page


def test_the_busiest_day_fills_the_chart_and_a_quiet_day_draws_nothing():
    quiet, busy, half = (DayCount(date(2026, 3, d), h, w) for d, h, w in ((1, 0, 0), (2, 3, 1), (3, 1, 1)))

    bars = chart_bars([quiet, busy, half])

    assert (bars[0].held_height, bars[0].warned_height) == (0, 0)
    assert (bars[1].held_height, bars[1].warned_height, bars[1].warned_y) == (75, 25, 0)
    assert (bars[2].held_height + bars[2].warned_height, bars[2].x) == (50, 20)
