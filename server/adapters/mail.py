"""Mail transports: deliver one e-mail, once, or raise MailError.

Holds the `Mail` value, the `Transport` interface, the one MIME builder (`build_message`,
used by SMTP and Gmail), the `outbox` transport and `make_transport(config)`, which also
validates the mail settings. The others live in `mail_smtp`, `mail_graph` and `mail_gmail`,
each with `from_config(config)` and `settings_problems(config)`.
Retries are not done here: the caller's queue decides from `MailError.retryable`.

Must not import Flask, SQLAlchemy or anything from the policy core.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from typing import Any, Protocol

import idna

#: Headers end in CRLF and bodies are 7-bit clean (quoted-printable or base64), so any relay takes them.
POLICY = SMTP_POLICY.clone(cte_type="7bit")
TRANSPORTS = ("outbox", "smtp", "graph", "gmail")
DEFAULT_FROM = "leaverguard@localhost"

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True, slots=True)
class Mail:
    """One e-mail to send. Addresses may carry a display name: `LeaverGuard <hr@northwind.example>`."""

    sender: str  # From address (LEAVERGUARD_MAIL_FROM)
    to: tuple[str, ...]
    subject: str
    text: str  # plain-text body (always)
    html: str | None = None  # optional HTML alternative
    reply_to: str | None = None


class MailError(Exception):
    """Delivery failed; `reason` is safe to show to admins (never a secret).

    `retryable` says whether a later try may work; `refused` maps each recipient
    the server refused to its answer.
    """

    def __init__(self, reason: str, *, retryable: bool = True, refused: Mapping[str, str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.refused = dict(refused or {})


class MailConfigError(ValueError):
    """The mail settings cannot work; the message names every problem and the settings to fix."""


class Transport(Protocol):
    name: str  # "outbox" | "smtp" | "graph" | "gmail"

    def send(self, mail: Mail) -> None: ...


# --- addresses and the message ---------------------------------------------------------------


def mailbox(value: str) -> tuple[str, str]:
    """(display name, ASCII address) of one address; ValueError naming the problem otherwise."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{value!r} contains a line break")
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ValueError(f"{value!r} is not one e-mail address")
    name, address = parsed[0]
    local, _, domain = address.rpartition("@")
    if not _LOCAL.match(local):
        raise ValueError(f"{value!r} has a local part LeaverGuard cannot send to (ASCII only, no spaces)")
    return name, f"{local}@{_ascii_domain(value, domain)}"


def _ascii_domain(value: str, domain: str) -> str:
    try:
        ascii_domain = idna.encode(domain.rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ValueError(f"{value!r} does not have a valid domain") from None
    if not all(_LABEL.match(label) for label in ascii_domain.split(".")):
        raise ValueError(f"{value!r} does not have a valid domain")
    return ascii_domain


def checked(mail: Mail) -> Mail:
    """`mail` with addresses in ASCII and a one-line subject; MailError (not retryable) if it cannot be sent."""
    if not mail.to:
        raise MailError("the mail has no recipients", retryable=False)
    try:
        sender = formataddr(mailbox(mail.sender))
        to = tuple(mailbox(address)[1] for address in mail.to)
        reply_to = formataddr(mailbox(mail.reply_to)) if mail.reply_to else None
    except ValueError as exc:
        raise MailError(f"bad address: {exc}", retryable=False) from None
    # A line break in a header would start a new header: fold it into a space instead.
    subject = " ".join(mail.subject.splitlines()).strip()
    return replace(mail, sender=sender, to=to, subject=subject, reply_to=reply_to)


def build_message(mail: Mail) -> EmailMessage:
    """The MIME message for `mail`: text/plain, or multipart/alternative when there is HTML."""
    mail = checked(mail)
    message = EmailMessage(policy=POLICY)
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=envelope_sender(mail).rpartition("@")[2])
    # RFC 3834: tells out-of-office responders not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
        del message.get_payload()[1]["MIME-Version"]  # set_content adds it to the part too; it belongs on top only
    return message


def envelope_sender(mail: Mail) -> str:
    """The bare address of the sender (SMTP MAIL FROM, the Graph mailbox, the Gmail user)."""
    return mailbox(mail.sender)[1]


# --- outbox ---------------------------------------------------------------------------------


class OutboxTransport:
    """Development default: sends nothing.

    The caller's queue has already stored the mail in the database, and /dev/outbox lists it,
    so a newcomer can open the HR link from `make run` with no mail server. Refused in production.
    """

    name = "outbox"

    def send(self, mail: Mail) -> None:
        checked(mail)  # the same mistakes fail here as with a real transport


# --- choosing a transport -------------------------------------------------------------------


def make_transport(config: Mapping[str, Any]) -> Transport:
    """The transport MAIL_TRANSPORT names, from app.config (keys without prefix); MailConfigError lists problems.

    Nothing goes over the network here (Graph's token is fetched on the first send), so the app
    factory can call it at start-up to refuse settings that cannot work.
    """
    problems = settings_problems(config)
    if problems:
        raise MailConfigError("; ".join(problems))
    name = config.get("MAIL_TRANSPORT") or "outbox"
    return OutboxTransport() if name == "outbox" else _module(name).from_config(config)


def settings_problems(config: Mapping[str, Any]) -> list[str]:
    """Every reason the mail settings in `config` cannot work (empty when they can)."""
    name = config.get("MAIL_TRANSPORT") or "outbox"
    if name not in TRANSPORTS:
        return [f"LEAVERGUARD_MAIL_TRANSPORT must be one of {', '.join(TRANSPORTS)}, not {name!r}"]
    problems = []
    try:
        mailbox(config.get("MAIL_FROM", DEFAULT_FROM))
    except ValueError as exc:
        problems.append(f"LEAVERGUARD_MAIL_FROM: {exc}")
    if name != "outbox":
        problems += _module(name).settings_problems(config)
    return problems


def _module(name: str) -> Any:
    """The module of a transport: `from_config(config)` and `settings_problems(config)`."""
    # Imported when chosen: they import this module, and the Google client library is slow to load.
    return importlib.import_module(f"{__package__}.mail_{name}")


def reveal(value: Any) -> str:
    """The text of a secret setting (config.Secret, or a plain string in a test config)."""
    if value is None:
        return ""
    return value.reveal() if hasattr(value, "reveal") else str(value)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret of 4 characters or more blotted out (a shorter one would garble words)."""
    for secret in secrets:
        if len(secret) > 3:
            text = text.replace(secret, "[secret]")
    return text
