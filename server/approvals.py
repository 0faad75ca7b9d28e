"""HR sign-off rules, pure: who is asked, who may decide, how often one may ask, and when a request is due.

The workflow (store, mail, pages) lives in services.signoff and web.approvals;
this module only decides, over plain values, so it is tested without I/O.

Stdlib and server.model only: must not import Flask, SQLAlchemy, or anything
that does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .limits import TOO_MANY_RECIPIENTS, UNREADABLE_RECIPIENT
from .model import (
    Address,
    ApprovalStatus,
    ClientMatch,
    Decision,
    Departure,
    Finding,
    InvalidAddress,
    Verdict,
    normalise_address,
)


class Refusal(StrEnum):
    """Why a message cannot be put to HR (the API's error codes)."""

    NOT_NEEDED = "approval_not_needed"
    BLOCKED = "approval_cannot_lift_block"
    NO_APPROVERS = "approvals_not_configured"


@dataclass(frozen=True, slots=True)
class Timing:
    """How long HR has to decide, when they are reminded, how long an approval may be used."""

    expiry: timedelta = timedelta(hours=72)
    reminder: timedelta = timedelta(hours=24)


def refusal(decision: Decision) -> Refusal | None:
    """Why `decision` cannot be turned into a sign-off request, or None when it can.

    Only a held message needs sign-off; a block is never lifted by an approval
    (policy.py), so asking for one would only waste HR's time. In monitor-only
    mode `would_be` is what enforcement would answer, and that is what counts.
    """
    verdict = decision.would_be if decision.monitor_only else decision.verdict
    if verdict == Verdict.BLOCK:
        return Refusal.BLOCKED
    if verdict != Verdict.REQUIRE_APPROVAL:
        return Refusal.NOT_NEEDED
    return None


def identity_keys(*addresses: str | None) -> frozenset[str]:
    """The matching keys of `addresses` (model.Address.key); blanks and unparseable values are left out."""
    keys = set()
    for value in filter(None, addresses):
        try:
            keys.add(normalise_address(value).key)
        except InvalidAddress:
            continue  # a malformed alias on record must not stop the check of the others
    return frozenset(keys)


def record_identities(departure: Departure | None) -> frozenset[str]:
    """The keys of every address a departure record knows its person by: primary, aliases, personal ones."""
    if departure is None:
        return frozenset()
    return identity_keys(departure.email, *departure.aliases, *departure.personal_addresses)


def sender_identities(sender: Address, departure: Departure | None) -> frozenset[str]:
    """The keys of every address the sender is known by: the caller's, and their departure record's."""
    return record_identities(departure) | {sender.key}


def is_own_request(person: str, sender_keys: frozenset[str]) -> bool:
    """True when `person` is the sender, under any address the register knows them by (compared by key).

    Nobody decides their own sign-off request, whatever their role: an HR approver who is leaving, a
    route approver, an admin. `sender_keys` holds the request's sender and every alias and personal
    address of their departure record (identity_keys).
    """
    return bool(identity_keys(person) & sender_keys)


def approvers_for(
    accounts: Iterable[str | None],
    default: Iterable[str],
    routes: Mapping[str, tuple[str, ...]],
    excluded: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """Who is asked: the approvers every touched account's route shares, else the HR list; never the sender.

    `excluded` holds the keys of everyone who may not decide: the sender under every address they are known
    by, and approvers who are themselves on the departures register.

    `accounts` names the client account of every client recipient, and holds None for a recipient that
    holds the message without being on any account. A route approver speaks only for their own accounts,
    so a request goes to a route only when one person is on the route of *every* account the message
    touches (then any one decision covers them all, and first-decision-wins cannot skip an account);
    a message that touches an unrouted account, or accounts whose routes share nobody, goes to HR. So a
    Cc on another account can only send the request to HR, never to an approver the sender prefers.
    Routes are keyed by account name, case-insensitively; the sender is left out of every list (they
    get no link) and the answer is sorted, so the same message always goes to the same people.
    """
    by_name = {name.casefold(): set(people) for name, people in routes.items()}
    touched = set(accounts)
    shared: set[str] = set()
    if touched and None not in touched:
        shared = set.intersection(*(by_name.get(name.casefold(), set()) for name in touched if name is not None))
    routed = {person for person in shared if not is_own_request(person, excluded)}
    hr = {person for person in default if not is_own_request(person, excluded)}
    return tuple(sorted(routed or hr))


#: Findings about recipients the check could not classify (limits.py): whose accounts nobody knows.
UNCLASSIFIED_RECIPIENTS = frozenset({UNREADABLE_RECIPIENT, TOO_MANY_RECIPIENTS})


def accounts_touched(clients: Mapping[str, ClientMatch], findings: Iterable[Finding]) -> set[str | None]:
    """What approvers_for routes by: every client recipient's account, None for a held recipient on no account.

    `clients` are the check's matches by recipient key; a recipient of a finding that holds the message for
    sign-off but is on no client account (a webmail address under a stricter ladder) needs HR, and so does a
    recipient the check could not classify (unreadable, or past the recipient limit): its account is unknown,
    so no route may speak for it.
    """
    accounts: set[str | None] = {match.account_name for match in clients.values()}
    held = identity_keys(*(r for f in findings if f.verdict == Verdict.REQUIRE_APPROVAL for r in f.recipients))
    unclassified = any(f.code in UNCLASSIFIED_RECIPIENTS for f in findings)
    if unclassified or held - clients.keys():
        accounts.add(None)
    return accounts


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """How many sign-off requests one sender may make, and how many request mails one approver may get, per window."""

    per_sender: int = 20
    per_approver: int = 100
    window: timedelta = timedelta(hours=1)


def retry_after(times: Iterable[datetime], limit: int, window: timedelta, now: datetime) -> int | None:
    """None while fewer than `limit` of `times` fall in the window ending at `now`; else whole seconds to wait.

    The wait lasts until enough of the counted times have left the window for one more to fit: after
    the oldest one when the count is at the limit, later when the limit was lowered below the count.
    A time after `now` counts too: a request that waited for a lock took its clock reading before the
    one that got in first and wrote a later time.
    """
    counted = sorted(t for t in times if t > now - window)
    if len(counted) < limit:
        return None
    leaving = counted[len(counted) - limit]
    return max(1, math.ceil((leaving + window - now).total_seconds()))


def expires_at(created_at: datetime, timing: Timing) -> datetime:
    """When a request that HR has not decided expires."""
    return created_at + timing.expiry


def approval_valid_until(decided_at: datetime, timing: Timing) -> datetime:
    """How long an approved message may still be sent: as long again as HR had to decide."""
    return decided_at + timing.expiry


def reminder_due(created_at: datetime, reminded_at: datetime | None, now: datetime, timing: Timing) -> bool:
    """A pending request gets one reminder, once `timing.reminder` has passed without a decision."""
    return reminded_at is None and now >= created_at + timing.reminder


def effective_status(status: ApprovalStatus, expires: datetime | None, now: datetime) -> ApprovalStatus:
    """The status to show: a pending or approved request past its expiry reads as expired."""
    live = status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    if live and expires is not None and expires <= now:
        return ApprovalStatus.EXPIRED
    return status
