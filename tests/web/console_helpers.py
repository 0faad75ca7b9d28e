"""Shared steps of the admin console page tests: the people and their roles, signing in, forms, the demo data."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from server import demo, store

ADMIN = "ada@northwind.example"
HR = "hr@northwind.example"  # an HR approver: the hr role, and every request goes to them
HR_OTHER = "hana@northwind.example"  # the hr role, but not an approver
VIEWER = "vic@northwind.example"
ALICE = "alice@northwind.example"  # the demo leaver, on notice
KIM = "kim@contoso.example"  # a contact at the demo client Contoso
ROLES = {"ADMIN_USERS": (ADMIN,), "HR_USERS": (HR_OTHER,), "HR_APPROVERS": (HR,), "VIEWER_USERS": (VIEWER,)}
CSRF = "csrf-token-of-the-test-session"
TO_KIM = {"to": [KIM], "subject": "Handover", "body": "Hello Kim, Bob takes over from Monday."}


def sign_in(client, address: str):
    """Sign `address` in (and give the session a known CSRF token); the client, for chaining."""
    with client.session_transaction() as session:
        session["user"] = address
        session["csrf"] = CSRF
    return client


def seed(engine) -> None:
    assert demo.seed(engine, datetime.now(UTC))


def check(client, payload: dict = TO_KIM, sender: str = ALICE, mode: str = "send") -> dict:
    """The check API's answer to `sender` for `payload`."""
    response = client.post("/api/v1/check", headers={"Authorization": f"Dev {sender}"}, json=payload | {"mode": mode})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ask_signoff(client, sender: str = ALICE, payload: dict = TO_KIM) -> int:
    """Ask HR to sign off `payload`; the request's id."""
    body = payload | {"justification": "A farewell note that introduces Bob.", "attestation": True}
    response = client.post("/api/v1/approvals", headers={"Authorization": f"Dev {sender}"}, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["approval"]["id"]


def audit_rows(engine, kind: str | None = None) -> list[dict]:
    """Audit events, oldest first (of one kind)."""
    with engine.connect() as conn:
        events = list(reversed(store.audit_events(conn, limit=1000)))
    return [e for e in events if kind is None or e["kind"] == kind]


def text_of(response) -> str:
    """A page's text with tags removed and white space collapsed, for asserting what a person reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).strip()


class _FormReader(HTMLParser):
    """The fields a browser would post from the form whose action is `action`."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields = action, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.fields[a["name"]] = a.get("value", "on")
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data.removeprefix("\n") if not self.fields[self._textarea] else data


def form_fields(html: str, action: str) -> dict[str, str]:
    reader = _FormReader(action)
    reader.feed(html)
    return reader.fields
