"""The demo organisation `make run` seeds into an empty database: Northwind and its clients.

Dates are relative to the day of seeding, so the demo leaver is on notice that day.
Must not import Flask.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from . import store
from .model import Departure, DepartureStatus, normalise_address

INTERNAL_DOMAINS = ["northwind.example"]

# account, owner, domains, contacts (address, name)
CLIENTS = [
    ("Contoso Ltd", "bob@northwind.example", ["contoso.example"], [("kim@contoso.example", "Kim Akers")]),
    ("Fabrikam", "carol@northwind.example", ["fabrikam.example"], [("ana.garcia@gmail.com", "Ana García")]),
    ("Tailspin Toys", "bob@northwind.example", ["tailspin.example"], []),
]


def departures(today: date) -> list[Departure]:
    day = timedelta(days=1)
    return [
        Departure(
            email="alice@northwind.example",
            notice_date=today - 10 * day,
            last_working_date=today + 20 * day,
            successor="bob@northwind.example",
            aliases=("a.smith@northwind.example",),
            personal_addresses=("alice.private@gmail.com",),
        ),
        Departure(
            email="dmitri@northwind.example",
            notice_date=today - 40 * day,
            garden_leave_date=today - 5 * day,
            last_working_date=today + 25 * day,
            successor="carol@northwind.example",
        ),
        Departure(email="erin@northwind.example", notice_date=today - 60 * day, last_working_date=today - day),
        Departure(
            email="frank@northwind.example",
            notice_date=today - 3 * day,
            last_working_date=today + 27 * day,
            status=DepartureStatus.WITHDRAWN,
        ),
    ]


def seed(engine: Engine, now: datetime) -> bool:
    """Fill an empty database with the demo; False (and nothing written) when it is not empty."""
    with engine.begin() as conn:
        if not store.is_empty(conn):
            return False
        store.set_internal_domains(conn, INTERNAL_DOMAINS, now)
        for name, owner, domains, contacts in CLIENTS:
            account_id = store.ensure_account(conn, name, owner, "demo", now)
            for domain in domains:
                store.add_client_domain(conn, account_id, domain, "demo")
            for email, contact_name in contacts:
                store.add_client_contact(conn, account_id, normalise_address(email), contact_name, "demo")
        for departure in departures(now.date()):
            store.save_departure(conn, departure, now)
    return True
