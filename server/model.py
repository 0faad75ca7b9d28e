"""Value objects of LeaverGuard: addresses, messages, departures, verdicts and decisions.

Everything here is a frozen dataclass or a StrEnum, plus the one place where an
e-mail address is parsed and normalised (`normalise_address`) and the message
fingerprint (`fingerprint`).

Must not import Flask, SQLAlchemy, or anything that touches the network or the
clock: the policy core is built on this module and stays pure.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import getaddresses
from enum import StrEnum
from functools import lru_cache

import idna


class Verdict(StrEnum):
    """What may happen to a message, from most to least permissive."""

    ALLOW = "allow"
    WARN = "warn"
    REQUIRE_APPROVAL = "require_approval"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _VERDICT_ORDER.index(self)

    def step(self, levels: int) -> Verdict:
        """The verdict `levels` steps stricter (positive) or milder (negative), clamped."""
        index = min(max(self.rank + levels, 0), len(_VERDICT_ORDER) - 1)
        return _VERDICT_ORDER[index]


_VERDICT_ORDER = (Verdict.ALLOW, Verdict.WARN, Verdict.REQUIRE_APPROVAL, Verdict.BLOCK)


def strictest(verdicts) -> Verdict:
    """The strictest of `verdicts`; allow when there are none."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.ALLOW)


class Phase(StrEnum):
    """Where a sender stands in their departure."""

    NONE = "none"
    NOTICE = "notice"
    GARDEN_LEAVE = "garden_leave"
    DEPARTED = "departed"
    WITHDRAWN = "withdrawn"


#: The phases in which the policy applies at all; the rest are treated as `none`.
LEAVING_PHASES = (Phase.NOTICE, Phase.GARDEN_LEAVE, Phase.DEPARTED)


class RecipientClass(StrEnum):
    """What a recipient is to the company, most specific first."""

    INTERNAL = "internal"
    CLIENT_CONTACT = "client_contact"
    CLIENT_DOMAIN = "client_domain"
    OWN_PERSONAL = "own_personal"
    WEBMAIL = "webmail"
    EXTERNAL = "external"


CLIENT_CLASSES = (RecipientClass.CLIENT_CONTACT, RecipientClass.CLIENT_DOMAIN)


class DepartureStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CONSUMED = "consumed"  # approved, and the approved message has been sent once


class Field(StrEnum):
    """The header a recipient was addressed in."""

    TO = "to"
    CC = "cc"
    BCC = "bcc"


# --- addresses -------------------------------------------------------------

#: Providers that ignore dots in the local part (and their alias domains).
DOT_INSENSITIVE_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\u0080-\U0010ffff]{1,64}$")


class InvalidAddress(ValueError):
    """Raised by `normalise_address` with the offending value and the reason."""

    def __init__(self, value: str, reason: str):
        super().__init__(f"{value!r}: {reason}")
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Address:
    """A normalised e-mail address.

    `email` keeps the local part as written (lowercased, plus-tag included) for
    display; `key` is what matching uses: no plus-tag, and no dots for providers
    that ignore them.
    """

    local: str
    domain: str
    display_name: str = ""
    # Derived once at construction: the policy compares keys many times per check.
    email: str = field(init=False, repr=False, compare=False)
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        local = self.local.split("+", 1)[0] or self.local
        domain = DOT_INSENSITIVE_DOMAINS.get(self.domain, self.domain)
        if domain in DOT_INSENSITIVE_DOMAINS:
            local = local.replace(".", "")
        object.__setattr__(self, "email", f"{self.local}@{self.domain}")
        object.__setattr__(self, "key", f"{local}@{domain}")

    def __str__(self) -> str:
        return self.email


# A plain ASCII host name (letters, digits, inner hyphens, labels of 1-63, no
# punycode): valid as it is, so the costly IDNA round trip is skipped.
_PLAIN_DOMAIN = re.compile(r"^(?!.*\.\.)(?:(?!xn--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# A bare address with nothing `getaddresses` would need to take apart.
_BARE_ADDRESS = re.compile(r"^[^\s<>()\[\],;:\"@\\]+@[^\s<>()\[\],;:\"@\\]+$")


def normalise_domain(value: str) -> str:
    """Lowercase, IDNA-encode and validate a domain name; raise ValueError if it is not one."""
    text = value.strip().rstrip(".").lower()
    if not text or "." not in text:
        raise ValueError("a domain needs at least one dot")
    if len(text) <= 253 and _PLAIN_DOMAIN.match(text):
        return text
    try:
        ascii_domain = idna.encode(text, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"not a valid domain name ({exc})") from None
    if len(ascii_domain) > 253:
        raise ValueError("domain is longer than 253 characters")
    return ascii_domain


def normalise_address(value: str) -> Address:
    """Parse `"Name" <User+tag@Sub.Example.COM>` or a bare address into an Address.

    Raises InvalidAddress (carrying the original value) when it is not exactly one
    valid address. Memoised: people write to the same addresses again and again,
    and an Address is immutable (failures are not cached).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidAddress(str(value), "empty address")
    return _parse_address(value)


@lru_cache(maxsize=16384)
def _parse_address(value: str) -> Address:
    text = value.strip()
    if _BARE_ADDRESS.match(text):
        name, addr = "", text
    else:
        parsed = getaddresses([text])
        if len(parsed) != 1 or not parsed[0][1]:
            raise InvalidAddress(value, "not a single e-mail address")
        name, addr = parsed[0]
    local, at, domain = addr.rpartition("@")
    if not at or not local:
        raise InvalidAddress(value, "missing '@' or local part")
    if not _LOCAL_PART.match(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddress(value, "invalid local part")
    try:
        ascii_domain = normalise_domain(domain)
    except ValueError as exc:
        raise InvalidAddress(value, str(exc)) from None
    return Address(local=local.lower(), domain=ascii_domain, display_name=name.strip())


def is_webmail_domain(domain: str, webmail_domains: frozenset[str]) -> bool:
    """True for a listed consumer mail domain; an entry like `gmx.*` matches any last label."""
    return domain in webmail_domains or f"{domain.rsplit('.', 1)[0]}.*" in webmail_domains


@lru_cache(maxsize=16384)
def domain_and_parents(domain: str) -> tuple[str, ...]:
    """`a.b.example.com` -> (`a.b.example.com`, `b.example.com`, `example.com`), most specific first."""
    labels = domain.split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels) - 1))


# --- messages --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as the add-in listed it; `sha256` (hex) of its content when the add-in could read it."""

    name: str
    size: int
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    address: Address
    field: Field


@dataclass(frozen=True, slots=True)
class RawRecipient:
    """A recipient exactly as the mail client gave it, not read as an address (see OutgoingMessage)."""

    value: str
    field: Field


@dataclass(frozen=True, slots=True)
class Cut:
    """What of a message the check did not take in whole; the policy turns each part into a finding.

    `body`/`subject`: cut to their limit, with the SHA-256 (hex) of the whole text where it is known, so that
    the fingerprint still binds what was not read. `attachments`: how many are over the attachment limit.
    `whole`: the request was too large to read at all, so nothing of the message is known.
    """

    body: bool = False
    body_sha256: str | None = None
    subject: bool = False
    subject_sha256: str | None = None
    attachments: int = 0
    whole: bool = False


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message as the add-in described it. Only the policy for leavers reads `body`.

    `recipients` are those read as addresses; `unreadable` those the check could not read as one address
    (kept as given: they are judged, never dropped); `unchecked` those past the recipient limit, kept as given
    for the fingerprint and counted, but not looked up.
    """

    recipients: tuple[Recipient, ...]
    subject: str = ""
    body: str = ""
    attachments: tuple[Attachment, ...] = ()
    unreadable: tuple[RawRecipient, ...] = ()
    unchecked: tuple[RawRecipient, ...] = ()
    cut: Cut = Cut()

    def addresses(self, *fields: Field) -> list[Address]:
        return [r.address for r in self.recipients if not fields or r.field in fields]

    @property
    def recipient_count(self) -> int:
        """Every recipient the mail client named, read or not."""
        return len(self.recipients) + len(self.unreadable) + len(self.unchecked)


_WHITESPACE = re.compile(r"\s+")


def _collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def fingerprint(message: OutgoingMessage) -> str:
    """SHA-256 over the canonical form of a message: what an approval is bound to.

    Parts a message without them never has (raw recipients, content hashes, cut marks) are added only when
    present, so the fingerprint of a plain message is what it always was.
    """
    canonical: dict[str, object] = {
        f.value: sorted(a.key for a in message.addresses(f)) for f in (Field.TO, Field.CC, Field.BCC)
    }
    canonical["subject"] = _collapse(message.subject)
    canonical["body"] = _collapse(message.body)
    canonical["attachments"] = sorted([a.name, a.size] + ([a.sha256] if a.sha256 else []) for a in message.attachments)
    raw = sorted([r.field.value, r.value] for r in (*message.unreadable, *message.unchecked))
    if raw:
        canonical["raw_recipients"] = raw
    cut = message.cut
    if cut.body:  # the part not read is bound through its hash, where the add-in could take one
        canonical["whole_body"] = cut.body_sha256 or "unhashed"
    if cut.subject:
        canonical["whole_subject"] = cut.subject_sha256 or "unhashed"
    if cut.whole:
        canonical["unread"] = True
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --- the register and the directory ----------------------------------------


@dataclass(frozen=True, slots=True)
class Departure:
    """One person in the departures register."""

    email: str
    notice_date: date
    last_working_date: date
    garden_leave_date: date | None = None
    successor: str | None = None
    aliases: tuple[str, ...] = ()
    personal_addresses: tuple[str, ...] = ()
    status: DepartureStatus = DepartureStatus.ACTIVE
    source: str = "manual"
    # The person's account in the company directory, recorded by a sync: the Entra ID object id and
    # tenant GUID, or a Google Workspace user id with tenant "google". The check matches a caller by it first.
    object_id: str | None = None
    tenant_id: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ClientMatch:
    """The client account a recipient address belongs to, and how it matched."""

    account_id: int
    account_name: str
    owner: str | None
    by_contact: bool
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    """An HR sign-off request, as far as the policy needs to know it."""

    id: int
    fingerprint: str
    status: ApprovalStatus
    expires_at: datetime | None


# --- policy settings -------------------------------------------------------

Ladder = dict[tuple[Phase, RecipientClass], Verdict]


def default_ladder() -> Ladder:
    """The default ladder of DESIGN.md section 4."""
    a, w, r, b = Verdict.ALLOW, Verdict.WARN, Verdict.REQUIRE_APPROVAL, Verdict.BLOCK
    rows = {
        Phase.NOTICE: (a, r, r, w, w, a),
        Phase.GARDEN_LEAVE: (a, b, b, b, w, w),
        Phase.DEPARTED: (a, b, b, b, b, b),
    }
    return {
        (phase, cls): verdict for phase, row in rows.items() for cls, verdict in zip(RecipientClass, row, strict=True)
    }


DEFAULT_WEBMAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "aol.com", "proton.me",
    "protonmail.com", "gmx.*", "web.de", "mail.ru", "bk.ru",
    "inbox.ru", "list.ru", "yandex.ru", "yandex.com", "ya.ru", "rambler.ru", "zoho.com",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Everything an admin can tune that the policy reads."""

    ladder: Ladder = field(default_factory=default_ladder)
    internal_domains: frozenset[str] = frozenset()
    webmail_domains: frozenset[str] = frozenset(DEFAULT_WEBMAIL_DOMAINS)
    successor_rule: bool = True
    solicitation_signals: bool = True
    monitor_only: bool = False
    timezone: str = "UTC"
    version: int = 0
    # Overrides of the texts users see, {"es": {"banner.warn": "…"}}; a key left out keeps the
    # built-in text (messages.OVERRIDABLE lists the keys).
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    fail_mode: str | None = None  # the add-in's, "open" or "closed"; None: LEAVERGUARD_ADDIN_FAIL_MODE


#: What the Outlook add-in does when LeaverGuard cannot be reached: let the message go, or hold it.
FAIL_MODES = ("open", "closed")


# --- decisions -------------------------------------------------------------


#: Finding parameters that quote the message's content (the words a signal matched, attachment names):
#: never copied into the audit log, and removed with the content when a sign-off request's retention ends.
CONTENT_PARAMS = frozenset({"matches", "attachments"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason behind a verdict.

    `code` is stable (clients and the audit log key on it); `params` fill the
    human message, which `messages.py` renders in the reader's language.
    """

    code: str
    verdict: Verdict
    recipients: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one check: the verdict to act on and why.

    In monitor-only mode `verdict` is allow and `would_be` holds what enforcement
    would have answered.
    """

    verdict: Verdict
    findings: tuple[Finding, ...]
    phase: Phase
    would_be: Verdict
    monitor_only: bool = False
    approval_id: int | None = None


#: The audit log's verdict for a send check the server refused to decide (a 4xx answer to a caller it identified):
#: not a Verdict, since nothing was decided, but an attempt the evidence must show.
REFUSED_CHECK = "refused"
