"""The policy's rules for what the check could not read, so that no message escapes a verdict by being unreadable.

A recipient the check cannot read as one address, recipients past the recipient limit, a body cut to the body
limit, attachments over the attachment limit or whose content the add-in could not hash, and a request too large
to read at all: each becomes a finding of a leaver's decision (docs/decisions.md, "Issue 12 — every message gets a
verdict"). The web layer only marks what it could not take in (model.OutgoingMessage's `unreadable`, `unchecked`
and `cut`); the verdicts are decided here. `read_recipients` is the one reading of a mail client's recipient values
that the check API and the Gmail add-on share, so that a draft is judged alike whichever add-in asks.

Pure: stdlib and model only. No Flask, no SQLAlchemy, no network, no logging, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .model import (
    Cut,
    Field,
    Finding,
    InvalidAddress,
    Ladder,
    OutgoingMessage,
    Phase,
    RawRecipient,
    Recipient,
    RecipientClass,
    Verdict,
    normalise_address,
    strictest,
)

UNREADABLE_RECIPIENT = "unreadable_recipient"
TOO_MANY_RECIPIENTS = "too_many_recipients"
TOO_MANY_ATTACHMENTS = "too_many_attachments"
BODY_TRUNCATED = "body_truncated"
ATTACHMENT_UNHASHED = "attachment_unhashed"
MESSAGE_TOO_LARGE = "message_too_large"

#: Every finding code of this module, for the texts and the API document.
CODES = (
    UNREADABLE_RECIPIENT,
    TOO_MANY_RECIPIENTS,
    TOO_MANY_ATTACHMENTS,
    BODY_TRUNCATED,
    ATTACHMENT_UNHASHED,
    MESSAGE_TOO_LARGE,
)

#: A message nothing is known of: its request was too large (or too broken) to read at all.
UNREAD = OutgoingMessage((), cut=Cut(whole=True))

SHOWN_CHARS = 320  # an address is at most 320 characters; a longer value is shown cut (the fingerprint has it whole)
SHOWN_ATTACHMENTS = 10  # names listed in attachment_unhashed; the rest are counted


def read_recipients(values: Mapping[Field, Sequence[str]], limit: int) -> OutgoingMessage:
    """A message of the recipients a mail client named, as the check takes them: the first `limit` values (To,
    then Cc, then Bcc, each in order) read as addresses, or kept as given when one is not exactly one readable
    address (`unreadable`); the values past `limit` kept as given and not looked up (`unchecked`)."""
    recipients: list[Recipient] = []
    unreadable: list[RawRecipient] = []
    unchecked: list[RawRecipient] = []
    for field in Field:
        for value in values.get(field, ()):
            if len(recipients) + len(unreadable) >= limit:
                unchecked.append(RawRecipient(value, field))
                continue
            try:
                recipients.append(Recipient(normalise_address(value), field))
            except InvalidAddress:
                unreadable.append(RawRecipient(value, field))
    return OutgoingMessage(tuple(recipients), unreadable=tuple(unreadable), unchecked=tuple(unchecked))


def unknown_recipient_verdict(ladder: Ladder, phase: Phase) -> Verdict:
    """How a recipient the check cannot classify is judged: as strictly as a client or an unknown outside address
    in `phase`, whichever is stricter, and never below warn (an address nobody can read may well be a client's)."""
    cells = (RecipientClass.CLIENT_CONTACT, RecipientClass.CLIENT_DOMAIN, RecipientClass.EXTERNAL)
    return strictest([Verdict.WARN, *(ladder[(phase, cls)] for cls in cells)])


@dataclass(slots=True)
class Unread:
    """The recipients the check did not classify, judged together: `verdict` may still be stepped up by a signal."""

    shown: tuple[str, ...]  # the unreadable values as findings name them
    unchecked: int  # recipients past the recipient limit, not looked up
    verdict: Verdict

    @classmethod
    def of(cls, message: OutgoingMessage, verdict: Verdict) -> Unread:
        shown = tuple(dict.fromkeys(_shown(r.value) for r in message.unreadable))
        return cls(shown, len(message.unchecked), verdict)

    @property
    def present(self) -> bool:
        return bool(self.shown or self.unchecked)

    def findings(self, message: OutgoingMessage) -> list[Finding]:
        """unreadable_recipient naming each value; too_many_recipients, at least a sign-off, with the counts."""
        found = []
        if self.shown:
            found.append(Finding(UNREADABLE_RECIPIENT, self.verdict, self.shown))
        if self.unchecked:
            counts = (("count", str(message.recipient_count)), ("limit", str(message.recipient_count - self.unchecked)))
            found.append(Finding(TOO_MANY_RECIPIENTS, strictest([self.verdict, Verdict.REQUIRE_APPROVAL]), (), counts))
        return found


def content_findings(message: OutgoingMessage, *, to_clients: bool) -> list[Finding]:
    """Findings about the text and the attachments: cut, too many, or not bound by content.

    `to_clients`: a client, or a recipient the check could not classify, is among the recipients.
    """
    found = []
    if message.cut.body:
        # The end was not read for signals: never a silent allow, and to a client at least a sign-off, since a
        # padded body may hide past the limit what a signal would have caught (the successor rule cannot ease it).
        found.append(Finding(BODY_TRUNCATED, Verdict.REQUIRE_APPROVAL if to_clients else Verdict.WARN))
    if message.cut.attachments:
        count = len(message.attachments)
        limit = count - message.cut.attachments
        params = (("count", str(count)), ("limit", str(limit)))
        found.append(Finding(TOO_MANY_ATTACHMENTS, Verdict.REQUIRE_APPROVAL, (), params))
    unhashed = [a.name for a in message.attachments if not a.sha256]
    if unhashed:  # informational: a sign-off can bind these by name and size only
        names = ", ".join(unhashed[:SHOWN_ATTACHMENTS])
        if len(unhashed) > SHOWN_ATTACHMENTS:
            names += f" (+{len(unhashed) - SHOWN_ATTACHMENTS})"
        found.append(Finding(ATTACHMENT_UNHASHED, Verdict.ALLOW, (), (("attachments", names),)))
    return found


def too_large() -> Finding:
    """The finding of a message too large to read at all: blocked, since no sign-off could be bound to it."""
    return Finding(MESSAGE_TOO_LARGE, Verdict.BLOCK)


def _shown(value: str) -> str:
    text = value.strip() or value
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
