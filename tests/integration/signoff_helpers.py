"""Shared steps of the sign-off tests: seed Northwind, request sign-off, read the HR mail, sign in."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from server import demo, signoff_store, store
from server.model import Departure

ALICE = "alice@northwind.example"
CAROL = "carol@northwind.example"
HR = "hr@northwind.example"
KIM = "kim@contoso.example"
MESSAGE = {"to": [KIM], "subject": "Handover", "body": "Hello Kim, Bob takes over from Monday."}
REQUEST = MESSAGE | {"justification": "A farewell note that introduces Bob.", "attestation": True}
LINK = re.compile(r"https?://[^/\s]+(/approvals/[A-Za-z0-9_.\-]+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(engine) -> None:
    assert demo.seed(engine, datetime.now(UTC))


def add_leaver(engine, email: str) -> None:
    """Put `email` on notice since yesterday (another leaver besides the demo's Alice)."""
    today = datetime.now(UTC).date()
    departure = Departure(
        email=email, notice_date=today - timedelta(days=1), last_working_date=today + timedelta(days=20)
    )
    with engine.begin() as conn:
        store.save_departure(conn, departure, datetime.now(UTC))


def add_alias(engine, email: str, alias: str) -> None:
    """Record one more address of the person whose departure record is `email` (as HR would on the console)."""
    with engine.begin() as conn:
        departure = store.find_departure(conn, email)
        store.save_departure(conn, replace(departure, aliases=(*departure.aliases, alias)), datetime.now(UTC))


def ask(client, sender: str = ALICE, **overrides):
    return client.post("/api/v1/approvals", headers={"Authorization": f"Dev {sender}"}, json=REQUEST | overrides)


def check(client, message: dict = MESSAGE, sender: str = ALICE, mode: str = "send") -> dict:
    response = client.post("/api/v1/check", headers={"Authorization": f"Dev {sender}"}, json=message | {"mode": mode})
    assert response.status_code == 200
    return response.get_json()


def queued(engine, kind: str | None = None) -> list[dict]:
    with engine.connect() as conn:
        mails = list(reversed(signoff_store.mails(conn)))
    return [m for m in mails if kind is None or m["kind"] == kind]


def link_path(text: str) -> str:
    """The path of the one approval link in a mail body."""
    found = LINK.findall(text)
    assert len(found) == 1, f"expected one link in the mail, found {found}"
    return found[0]


def sign_in(client, email: str = HR) -> None:
    page = client.get("/signin").get_data(as_text=True)
    response = client.post("/signin", data={"csrf_token": CSRF.search(page).group(1), "email": email, "next": "/"})
    assert response.status_code == 302


def form_token(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def decide(client, path: str, decision: str, comment: str = ""):
    return client.post(path, data={"csrf_token": form_token(client, path), "decision": decision, "comment": comment})
