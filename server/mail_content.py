"""The e-mails of HR sign-off, written out: subject, plain text and HTML, in one language.

`hr_request()` is the mail (or reminder) to an approver with its one link;
`outcome()` tells the sender what became of their request. Both read only the
stored request (its `context` snapshot of what was true when it was made), so
a mail sent later by the queue says what HR was asked about.

Uses Jinja (templates/mail/) with autoescaping for HTML. Must not import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .approval_texts import text
from .messages import finding_message
from .model import Finding, Verdict

_JINJA = Environment(
    loader=PackageLoader("server", "templates/mail"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    text: str
    html: str


def when(value: datetime | None) -> str:
    """A moment as people read it in any of our languages: `2026-11-25 14:00 UTC`."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def request_facts(request: dict[str, Any], lang: str) -> dict[str, Any]:
    """What HR sees about a request, translated: the departure, each recipient, the reasons.

    `content_removed` says when the retention removed the message's content (None while it is there).
    """
    context = request["context"]
    departure = context.get("departure", {})
    none = text(lang, "none")
    removed = request.get("content_removed_at")
    return {
        "sender": request["sender_email"],
        "departure": [
            (text(lang, key), departure.get(key) or none)
            for key in ("notice_date", "last_working_date", "garden_leave_date", "successor")
        ],
        "recipients": [(r["field"], r["email"], _recipient_note(r, lang)) for r in context["recipients"]],
        "reasons": [finding_message(_finding(f), lang) for f in context.get("findings", [])],
        "justification": request["justification"],
        "attested": text(lang, "attested" if request["attestation"] else "not_attested"),
        "subject": request["subject"],
        "body": request["body"],
        "attachments": [_attachment(a) for a in request["attachments"]],
        "content_removed": text(lang, "content_removed", on=removed.date().isoformat()) if removed else None,
    }


def _attachment(attachment: dict[str, Any]) -> str:
    """`name (size B)`; the size alone once the retention removed the name."""
    size = f"{attachment['size']:,} B"
    return f"{attachment['name']} ({size})" if attachment.get("name") else size


def hr_request(request: dict[str, Any], link: str, lang: str, *, reminder: bool = False) -> MailText:
    """The mail to one approver: the whole context, the message, and the link."""
    subject_key, intro = ("reminder_subject", "reminder_intro") if reminder else ("hr_subject", "hr_intro")
    expires = when(request["expires_at"])
    values = {
        "t": lambda key, **p: text(lang, key, **p),
        "lang": lang,
        "intro": text(lang, intro, sender=request["sender_email"], expires=expires),
        "facts": request_facts(request, lang),
        "link": link,
        "link_note": text(lang, "link_note", expires=expires),
    }
    subject = text(lang, subject_key, sender=request["sender_email"])
    return MailText(subject, _render("hr_request.txt", values), _render("hr_request.html", values))


def outcome(request: dict[str, Any], lang: str, *, valid_until: datetime | None = None) -> MailText:
    """The mail to the sender: approved (send it again, unchanged), rejected, or expired."""
    status = request["status"]
    subject = text(lang, f"outcome_subject_{status}", subject=request["subject"] or "—")
    values = {
        "t": lambda key, **p: text(lang, key, **p),
        "lang": lang,
        "verdict": text(lang, f"outcome_{status}", by=request.get("decided_by") or "", until=when(valid_until)),
        "comment": request.get("comment") or "",
        "subject": request["subject"],
        "recipients": [r["email"] for r in request["context"]["recipients"]],
    }
    return MailText(subject, _render("outcome.txt", values), _render("outcome.html", values))


def _recipient_note(recipient: dict[str, Any], lang: str) -> str:
    client = recipient.get("client")
    if recipient.get("unread"):  # a value the check could not read as an address, or one past the limit
        return text(lang, "unread_recipient")
    if not client:
        return text(lang, "not_client")
    note = text(lang, "client_of", account=client["account"])
    return f"{note}, {text(lang, 'owner', owner=client['owner'])}" if client.get("owner") else note


def _finding(data: dict[str, Any]) -> Finding:
    params = tuple((str(k), str(v)) for k, v in data.get("params", {}).items())
    return Finding(data["code"], Verdict(data["verdict"]), tuple(data.get("recipients", ())), params)


def _render(name: str, values: dict[str, Any]) -> str:
    return _JINJA.get_template(name).render(values)
