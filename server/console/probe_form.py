"""The policy page's "test a message" form: a sender, recipients, optional subject and body, a language.

Recipients are separated by commas, semicolons or new lines; every address that is not
one is named in the field's message. Nothing here decides anything: the service asks the
check (mode preview) with what this returns.

Pure: stdlib, model and messages only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..messages import SUPPORTED_LOCALES
from ..model import Address, Field, InvalidAddress, OutgoingMessage, Recipient, normalise_address

MAX_RECIPIENTS = 500
MAX_SUBJECT = 2000
MAX_BODY = 100_000  # a pasted message, not a mailbox
_SEPARATORS = re.compile(r"[,;\n]+")


@dataclass(frozen=True, slots=True)
class Probe:
    """What to test, or (`message` None) the problems by field."""

    sender: Address | None
    message: OutgoingMessage | None
    locale: str = "en"
    errors: dict[str, str] = field(default_factory=dict)


def parse_probe_form(form: Mapping[str, str]) -> Probe:
    errors: dict[str, str] = {}
    sender = _sender(form.get("sender", ""), errors)
    recipients = [r for f in Field for r in _recipients(form.get(f.value, ""), f, errors)]
    if not recipients and not any(k in errors for k in ("to", "cc", "bcc")):
        errors["to"] = "add at least one recipient"
    if len(recipients) > MAX_RECIPIENTS:
        errors["to"] = f"at most {MAX_RECIPIENTS} recipients, not {len(recipients)}"
    subject, body = form.get("subject", ""), form.get("body", "").replace("\r\n", "\n")
    if len(subject) > MAX_SUBJECT:
        errors["subject"] = f"at most {MAX_SUBJECT} characters, not {len(subject)}"
    if len(body) > MAX_BODY:
        errors["body"] = f"at most {MAX_BODY:,} characters, not {len(body):,}"
    locale = form.get("locale", "en")
    if locale not in SUPPORTED_LOCALES:
        errors["locale"] = f"{locale!r} is not one of {', '.join(SUPPORTED_LOCALES)}"
    if errors:
        return Probe(None, None, "en", errors)
    return Probe(sender, OutgoingMessage(tuple(recipients), subject, body), locale)


def _sender(raw: str, errors: dict[str, str]) -> Address | None:
    if not raw.strip():
        errors["sender"] = "whose message is it? Give the sender's address"
        return None
    try:
        return normalise_address(raw)
    except InvalidAddress as exc:
        errors["sender"] = f"{raw.strip()}: {exc.reason}"
        return None


def _recipients(raw: str, header: Field, errors: dict[str, str]) -> list[Recipient]:
    found, bad = [], []
    for entry in (e.strip() for e in _SEPARATORS.split(raw)):
        if not entry:
            continue
        try:
            found.append(Recipient(normalise_address(entry), header))
        except InvalidAddress as exc:
            bad.append(f"{entry}: {exc.reason}")
    if bad:
        errors[header.value] = "; ".join(bad)
    return found
