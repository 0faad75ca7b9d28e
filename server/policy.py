"""The policy engine: from a message and the facts about its sender and recipients to a Decision.

`evaluate` is the only entry point. It is built from small rules that each
adjust per-recipient verdicts or add findings; the strictest verdict wins
(DESIGN.md section 4).

Pure: stdlib and the other pure modules only (model, directory, signals). No
Flask, no SQLAlchemy, no network, no logging, no clock: `now` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from . import limits
from .directory import classify, phase_of
from .model import (
    CLIENT_CLASSES,
    LEAVING_PHASES,
    Address,
    Approval,
    ApprovalStatus,
    ClientMatch,
    Decision,
    Departure,
    Field,
    Finding,
    OutgoingMessage,
    Phase,
    PolicySettings,
    RecipientClass,
    Verdict,
    fingerprint,
    normalise_address,
    strictest,
)
from .signals import find_signals

SUCCESSOR_IN_COPY = "successor_in_copy"
SOLICITATION_SIGNAL = "solicitation_signal"
APPROVED = "approved"

_CLASS_CODE = {
    RecipientClass.INTERNAL: "internal_recipient",
    RecipientClass.CLIENT_CONTACT: "client_recipient",
    RecipientClass.CLIENT_DOMAIN: "client_recipient",
    RecipientClass.OWN_PERSONAL: "own_personal_address",
    RecipientClass.WEBMAIL: "webmail_recipient",
    RecipientClass.EXTERNAL: "external_recipient",
}


def finding_code(cls: RecipientClass, phase: Phase) -> str:
    """The stable code of a ladder finding, e.g. `client_recipient_during_notice`."""
    return f"{_CLASS_CODE[cls]}_during_{phase.value}"


@dataclass(slots=True)
class _Judged:
    """One distinct recipient and the verdict the rules have given it so far."""

    address: Address
    cls: RecipientClass
    client: ClientMatch | None
    verdict: Verdict


def evaluate(
    message: OutgoingMessage,
    *,
    sender: Departure | None,
    recipients: Mapping[str, ClientMatch],
    settings: PolicySettings,
    approvals: Iterable[Approval] = (),
    leaving: frozenset[str] = frozenset(),
    now: datetime,
) -> Decision:
    """Decide on `message` from `sender` (their departure record, or None).

    `recipients` maps a recipient's address key to the client account it belongs
    to; a key that is absent is not a client. `approvals` are the sender's
    sign-off requests; one that is approved, unexpired and bound to this
    message's fingerprint lets it through. `leaving` holds the keys of copied
    colleagues who are on the departures register themselves: as successor or
    account owner they ease nothing.
    """
    phase = sender_phase(sender, settings, now)
    if phase not in LEAVING_PHASES:
        return Decision(Verdict.ALLOW, (), phase, Verdict.ALLOW, settings.monitor_only)
    if message.cut.whole:  # nothing of it was read: nothing to judge, and nothing a sign-off could be bound to
        finding = limits.too_large()
        enforced = Verdict.ALLOW if settings.monitor_only else finding.verdict
        return Decision(enforced, (finding,), phase, finding.verdict, settings.monitor_only)
    judged = _judge_recipients(message, sender, recipients, settings, phase)
    unread = limits.Unread.of(message, limits.unknown_recipient_verdict(settings.ladder, phase))
    findings = _successor_rule(message, sender, judged, settings, leaving)
    findings += _solicitation_rule(message, sender, judged, unread, settings)
    to_clients = unread.present or any(j.cls in CLIENT_CLASSES for j in judged)
    findings = _ladder_findings(judged, phase) + unread.findings(message) + findings
    findings += limits.content_findings(message, to_clients=to_clients)
    verdict = strictest([*(j.verdict for j in judged), *(f.verdict for f in findings)])
    approval = _matching_approval(message, verdict, approvals, now)
    if approval is not None:
        findings.append(Finding(APPROVED, Verdict.ALLOW, params=(("approval_id", str(approval.id)),)))
        verdict = Verdict.ALLOW
    enforced = Verdict.ALLOW if settings.monitor_only else verdict
    return Decision(enforced, tuple(findings), phase, verdict, settings.monitor_only, approval.id if approval else None)


def sender_phase(sender: Departure | None, settings: PolicySettings, now: datetime) -> Phase:
    """The sender's phase on the company's date at `now` (the policy's time zone)."""
    return phase_of(sender, now.astimezone(ZoneInfo(settings.timezone)).date())


def _judge_recipients(
    message: OutgoingMessage,
    sender: Departure,
    clients: Mapping[str, ClientMatch],
    settings: PolicySettings,
    phase: Phase,
) -> list[_Judged]:
    personal = _keys(sender.personal_addresses)
    distinct: dict[str, Address] = {}
    for address in message.addresses():
        distinct.setdefault(address.key, address)  # the first spelling is the one shown
    judged = []
    for key, address in distinct.items():
        client = clients.get(key)
        cls = classify(address, client=client, personal_keys=personal, settings=settings)
        judged.append(_Judged(address, cls, client, settings.ladder[(phase, cls)]))
    return judged


def _ladder_findings(judged: list[_Judged], phase: Phase) -> list[Finding]:
    """One finding per (class code, verdict) above allow, naming its recipients."""
    groups: dict[tuple[str, Verdict], list[str]] = {}
    for j in judged:
        if j.verdict != Verdict.ALLOW:
            groups.setdefault((finding_code(j.cls, phase), j.verdict), []).append(j.address.email)
    return [Finding(code, verdict, tuple(emails)) for (code, verdict), emails in groups.items()]


def _successor_rule(
    message: OutgoingMessage,
    sender: Departure,
    judged: list[_Judged],
    settings: PolicySettings,
    leaving: frozenset[str],
) -> list[Finding]:
    """Client recipients step down one level when the successor (or the account's owner) is in To/Cc, unless
    that person is leaving too."""
    if not settings.successor_rule:
        return []
    copied = {a.key for a in message.addresses(Field.TO, Field.CC)} - leaving
    sender_keys = _keys((sender.email, *sender.aliases))
    successor = _keys([sender.successor] if sender.successor else [])
    eased = []
    for j in judged:
        if j.cls not in CLIENT_CLASSES or j.verdict == Verdict.ALLOW:
            continue
        owner = _keys([j.client.owner] if j.client and j.client.owner else []) - sender_keys
        if (successor | owner) & copied:
            j.verdict = j.verdict.step(-1)
            eased.append(j.address.email)
    return [Finding(SUCCESSOR_IN_COPY, Verdict.ALLOW, tuple(eased))] if eased else []


def _solicitation_rule(
    message: OutgoingMessage, sender: Departure, judged: list[_Judged], unread: limits.Unread, settings: PolicySettings
) -> list[Finding]:
    """Client recipients step up one level when the body carries a solicitation signal.

    This is the only rule that reads the body, and only for a leaver writing to a client, or to recipients the
    check could not read (any of them may be a client: they step up with the clients).
    """
    to_clients = [j for j in judged if j.cls in CLIENT_CLASSES]
    if not settings.solicitation_signals or not (to_clients or unread.present):
        return []
    signals = find_signals(
        message.body,
        webmail_domains=settings.webmail_domains,
        personal_keys=_keys(sender.personal_addresses),
        # recipients quoted back are not signals, but the leaver's own personal address always is
        ignore_keys=frozenset(j.address.key for j in judged if j.cls != RecipientClass.OWN_PERSONAL),
    )
    if not signals:
        return []
    for j in to_clients:
        j.verdict = j.verdict.step(+1)
    if unread.present:
        unread.verdict = unread.verdict.step(+1)
    kinds = ",".join(dict.fromkeys(s.kind for s in signals))
    matches = "|".join(s.match for s in signals)
    verdicts = [j.verdict for j in to_clients] + ([unread.verdict] if unread.present else [])
    return [
        Finding(
            SOLICITATION_SIGNAL,
            strictest(verdicts),
            tuple(j.address.email for j in to_clients) + unread.shown,
            (("signals", kinds), ("matches", matches)),
        )
    ]


def _matching_approval(
    message: OutgoingMessage, verdict: Verdict, approvals: Iterable[Approval], now: datetime
) -> Approval | None:
    """An approved, unexpired request for exactly this message; never lifts a block."""
    if verdict not in (Verdict.WARN, Verdict.REQUIRE_APPROVAL):
        return None
    approvals = [a for a in approvals if a.status == ApprovalStatus.APPROVED]
    if not approvals:
        return None
    wanted = fingerprint(message)
    for approval in approvals:
        if approval.fingerprint == wanted and (approval.expires_at is None or approval.expires_at > now):
            return approval
    return None


def _keys(addresses: Iterable[str]) -> frozenset[str]:
    """Match keys of stored addresses (already validated when they were stored)."""
    return frozenset(normalise_address(a).key for a in addresses)  # memoised in model
