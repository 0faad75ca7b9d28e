"""What the Departures, Clients and CSV upload page tests share: people with roles, signed-in clients, reading pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from server import store
from server import tables as t
from server.console.departures_store import find_versioned
from server.model import Departure, DepartureStatus

from .console_helpers import ADMIN, CSRF, ROLES, VIEWER
from .console_helpers import HR_OTHER as HR  # the hr role (not an approver: these pages need none)
from .console_helpers import sign_in as signed_in

__all__ = ["ADMIN", "CSRF", "HR", "VIEWER", "signed_in"]
DAY = timedelta(days=1)


def with_roles(app: Flask) -> Flask:
    """The conftest app, with the console's people and their roles (roles are read on every request)."""
    app.config.update(ROLES)
    return app


def post(client: FlaskClient, path: str, data: dict | None = None, **options):
    """POST a form with the session's CSRF token."""
    return client.post(path, data={"csrf_token": CSRF, **(data or {})}, **options)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(response, name: str) -> str | None:
    """The error message shown next to form field `name`, if any."""
    found = re.search(rf'id="e-{name}">([^<]*)<', response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None


def field_value(response, name: str) -> str | None:
    """The value a form field holds on the page (an input's value or a textarea's text)."""
    page = response.get_data(as_text=True)
    found = re.search(rf'name="{name}" type="[^"]*" value="([^"]*)"', page) or re.search(
        rf'name="{name}"[^>]*>([^<]*)</textarea>', page
    )
    return html.unescape(found.group(1)) if found else None


def version_of(response) -> str:
    return re.search(r'name="version" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def today() -> date:
    """Today in UTC, the policy's default time zone (the pages compute phases for the real today)."""
    return datetime.now(UTC).date()


def audit_kinds(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [event["kind"] for event in reversed(store.audit_events(conn))]


def last_audit(engine: Engine, kind: str) -> dict:
    with engine.connect() as conn:
        return next(event for event in store.audit_events(conn) if event["kind"] == kind)


def count(engine: Engine, table: t.Table) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(table)).all())


def leaver(email="alice@northwind.example", *, phase="notice", source="manual", **values) -> Departure:
    """A departure in `phase` on the real today (the page computes phases for today)."""
    now = today()
    dates = {
        "upcoming": {"notice_date": now + 5 * DAY, "last_working_date": now + 35 * DAY},
        "notice": {"notice_date": now - 10 * DAY, "last_working_date": now + 20 * DAY},
        "garden_leave": {
            "notice_date": now - 40 * DAY,
            "garden_leave_date": now - 5 * DAY,
            "last_working_date": now + 25 * DAY,
        },
        "departed": {"notice_date": now - 60 * DAY, "last_working_date": now - DAY},
        "withdrawn": {"notice_date": now - 3 * DAY, "last_working_date": now + 27 * DAY},
    }[phase]
    status = DepartureStatus.WITHDRAWN if phase == "withdrawn" else DepartureStatus.ACTIVE
    return Departure(email=email, status=status, source=source, **(dates | values))


def saved(engine, *departures: Departure) -> list[int]:
    with engine.begin() as conn:
        return [store.save_departure(conn, d, datetime.now(UTC)) for d in departures]


def stored(engine, departure_id: int) -> Departure:
    with engine.connect() as conn:
        return find_versioned(conn, departure_id).departure
