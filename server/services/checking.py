"""The send-time check: load the facts, ask the policy, audit the send, return the answer.

Each function takes its dependencies (an Engine, the clock's `now`) as
arguments, so tests and the benchmark call them without a web request.

Must not import Flask.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, Engine

from .. import identities, policy, signoff_store, store
from ..approvals import effective_status
from ..directory import pick_client_match
from ..identities import Identity
from ..messages import Rendered, render
from ..model import (
    CONTENT_PARAMS,
    LEAVING_PHASES,
    REFUSED_CHECK,
    Address,
    Approval,
    ApprovalStatus,
    ClientMatch,
    Decision,
    Departure,
    Field,
    OutgoingMessage,
    PolicySettings,
    domain_and_parents,
    fingerprint,
    normalise_address,
)


class CheckMode(StrEnum):
    SEND = "send"  # the user pressed Send: audited
    PREVIEW = "preview"  # recipients changed while composing: not audited


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """One check, as the web layer validated it.

    `sender` is the name the verified caller signed in with; `identity`, when the
    verifier gave one, is everything their token proves (object id, e-mail claims),
    which the departures register is searched by. Without it, only `sender` is.
    """

    sender: Address
    message: OutgoingMessage
    mode: CheckMode = CheckMode.SEND
    from_address: Address | None = None
    locale: str = "en"
    client_app: str = ""
    client_platform: str = ""
    identity: Identity | None = None

    @property
    def caller(self) -> Identity:
        return self.identity or Identity(self.sender, "address")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A decision with what the caller shows; no fingerprint unless the sender is leaving."""

    decision: Decision
    fingerprint: str | None
    rendered: Rendered
    approval: Approval | None
    sender: Departure | None = None  # the caller's departure record, if any
    clients: Mapping[str, ClientMatch] = field(default_factory=dict)  # by recipient address key; leavers only
    # Who sent it, stable whatever alias the token showed: the departure's primary address when one
    # matched, else the caller's. Sign-off requests and audit rows are kept under it.
    sender_address: Address | None = None


class SettingsCache:
    """The policy settings of one database, reloaded only when their stored version changes.

    One per process (create_app keeps it); checking the version costs one small
    query, so a change saved by any process applies at the very next check.
    """

    def __init__(self) -> None:
        self._settings: PolicySettings | None = None
        self._version: int | None = None

    def current(self, conn: Connection) -> PolicySettings:
        version = store.settings_version(conn)
        if self._settings is None or version != self._version:
            self._settings, self._version = store.load_settings(conn), version
        return self._settings


def check_message(
    engine: Engine,
    request: CheckRequest,
    *,
    now: datetime,
    settings_cache: SettingsCache | None = None,
    answer_by: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CheckResult:
    """Decide on one outgoing message; a `send` check also writes one audit row.

    The audit row is a single INSERT, so `engine` may be an autocommit engine
    (the web layer's is: it spares two round trips); with a transactional one
    the reads and the write share a transaction. It is the check's last
    database work, so a check whose reads failed writes none. When it is
    written after `answer_by` (a `clock()` time: when the caller stops
    waiting), the row says `late`: the answer most likely reached nobody.

    Only for a sender who is leaving are the recipients looked up and the
    subject and body read (to fingerprint the message and look for signals).
    """
    message, cache = request.message, settings_cache or SettingsCache()
    digest, clients, approvals, leaving = None, {}, [], frozenset()
    with engine.begin() as conn:
        settings = cache.current(conn)
        sender = store.find_sender(conn, request.caller)
        who = sender_address(request.sender, sender)
        if policy.sender_phase(sender, settings, now) in LEAVING_PHASES:
            digest = fingerprint(message)
            clients = _client_matches(conn, message)
            approvals = store.approvals_for(conn, who.key, digest)
            leaving = _leaving_in_copy(conn, message, sender, clients)
        facts = {"sender": sender, "recipients": clients, "settings": settings, "leaving": leaving, "now": now}
        decision = policy.evaluate(message, approvals=approvals, **facts)
        if request.mode == CheckMode.SEND and decision.approval_id is not None:
            decision, approvals = _consume(conn, who, decision, approvals, now)
            if decision.approval_id is None:  # another send used the approval a moment ago
                decision = policy.evaluate(message, approvals=approvals, **facts)
        if request.mode == CheckMode.SEND:
            late = answer_by is not None and clock() > answer_by
            _audit_check(conn, request, who, decision, digest, now, late=late)
    rendered = render(decision, request.locale, settings.texts)
    return CheckResult(decision, digest, rendered, _current_approval(approvals, now), sender, clients, who)


def sender_address(caller: Address, departure: Departure | None) -> Address:
    """Who sends, for the records: the departure's primary address when the caller matched one, else the caller."""
    return normalise_address(departure.email) if departure is not None else caller


def resolve_sender(engine: Engine, identity: Identity) -> Address | None:
    """The address a caller's sign-off requests are kept under (see sender_address).

    None when the caller is no leaver but their sign-in name is a leaver's record of another
    account (a reused UPN): that record's requests are not theirs to see.
    """
    with engine.connect() as conn:
        matches = store.sender_matches(conn, identity)
    departure = identities.choose(identity, matches)
    if departure is None and any(identities.someone_else(identity, m.departure) for m in matches):
        return None
    return sender_address(identity.address, departure)


def _leaving_in_copy(
    conn: Connection, message: OutgoingMessage, sender: Departure, clients: Mapping[str, ClientMatch]
) -> frozenset[str]:
    """Keys of the successor and account owners in To/Cc who are on the register too (they ease nothing).

    Looked up only when one of them is copied: one small query each, and none for most messages.
    """
    eases = {normalise_address(a).key for a in (sender.successor, *(m.owner for m in clients.values())) if a}
    copied = {a.key for a in message.addresses(Field.TO, Field.CC)} & eases
    return store.on_register(conn, copied) if copied else frozenset()


def _client_matches(conn: Connection, message: OutgoingMessage) -> dict:
    """Client matches of every recipient, by address key, in one query."""
    addresses = message.addresses()
    keys = sorted({a.key for a in addresses})
    domains = sorted({d for a in addresses for d in domain_and_parents(a.domain)})
    contacts, by_domain = store.client_matches(conn, keys, domains)
    matches = {a.key: pick_client_match(a, contacts, by_domain) for a in addresses}
    return {key: match for key, match in matches.items() if match is not None}


def _consume(
    conn: Connection, who: Address, decision: Decision, approvals: list[Approval], now: datetime
) -> tuple[Decision, list[Approval]]:
    """Use up the approval that lets this send through: an approval lets exactly one send go.

    The conditional UPDATE makes two simultaneous sends of the same approved
    message safe: one consumes it, the other gets a decision without it.
    """
    approval_id = decision.approval_id
    used = [replace(a, status=ApprovalStatus.CONSUMED) if a.id == approval_id else a for a in approvals]
    if signoff_store.consume(conn, approval_id, now):
        store.record_audit(conn, at=now, kind="approval.consumed", actor=who.email, details={}, approval_id=approval_id)
        return decision, used
    return replace(decision, approval_id=None), used


def _current_approval(approvals: list[Approval], now: datetime) -> Approval | None:
    """The newest request for this message, shown as expired once past its expiry."""
    if not approvals:
        return None
    newest = max(approvals, key=lambda a: a.id)
    return replace(newest, status=effective_status(newest.status, newest.expires_at, now))


def _audit_check(
    conn: Connection,
    request: CheckRequest,
    who: Address,
    decision: Decision,
    digest: str | None,
    now: datetime,
    *,
    late: bool,
) -> None:
    """One audit row per send: who, verdict, codes and flagged recipients; never the subject or body."""
    details = {
        "mode": request.mode.value,
        "phase": decision.phase.value,
        "would_be": decision.would_be.value,
        "monitor_only": decision.monitor_only,
        "recipient_count": request.message.recipient_count,
        "from": request.from_address.email if request.from_address else None,
        "client": {"app": request.client_app, "platform": request.client_platform},
    }
    if who.key != request.sender.key:  # a leaver known by another name: the evidence shows what the token said
        details["signed_in_as"] = request.sender.email
    if decision.phase in LEAVING_PHASES:
        details["findings"] = [
            {"code": f.code, "verdict": f.verdict.value, "recipients": list(f.recipients)}
            | {k: v for k, v in f.params if k not in CONTENT_PARAMS}  # they quote the message: left out
            for f in decision.findings
        ]
    if late:
        details["late"] = True
    store.record_audit(
        conn,
        at=now,
        kind="check",
        actor=who.email,
        details=details,
        verdict=decision.verdict.value,
        fingerprint=digest,
        approval_id=decision.approval_id,
    )


def record_refused_check(
    engine: Engine, caller: Identity, *, status: int, code: str, fields: Sequence[str], now: datetime
) -> None:
    """One audit row for a send check refused with a 4xx to a caller it identified: who (under the same address
    as their decided checks), when, the refusal code and the fields at fault (never their values), so that the
    evidence shows attempts, not only decisions."""
    refusal = {"status": status, "code": code, "fields": list(fields[:50])}
    with engine.begin() as conn:
        who = sender_address(caller.address, store.find_sender(conn, caller))
        details = {"mode": CheckMode.SEND.value, "refusal": refusal}
        if who.key != caller.address.key:
            details["signed_in_as"] = caller.address.email
        store.record_audit(conn, at=now, kind="check", actor=who.email, details=details, verdict=REFUSED_CHECK)
