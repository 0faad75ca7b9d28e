"""Who is who: a sender's departure phase, what each recipient is to the company, and what the registers refuse.

Pure functions over model values; the store looks the facts up (client matches,
the sender's departure record) and hands them in. The rules of what may be a
client domain and a leaver's work address are here once, for the console's
forms, the CSV imports and the syncs alike; each returns the problem's wording
(what follows the value: "gmail.com is a consumer webmail domain…").

Must not import Flask, SQLAlchemy, the store, or anything that touches the network
or the clock (`today` is passed in).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from .model import (
    Address,
    ClientMatch,
    Departure,
    DepartureStatus,
    Phase,
    PolicySettings,
    RecipientClass,
    domain_and_parents,
    is_webmail_domain,
)


def phase_of(departure: Departure | None, today: date) -> Phase:
    """The sender's phase on `today` (DESIGN.md section 4)."""
    if departure is None:
        return Phase.NONE
    if departure.status == DepartureStatus.WITHDRAWN:
        return Phase.WITHDRAWN
    if today > departure.last_working_date:
        return Phase.DEPARTED
    if departure.garden_leave_date is not None and departure.garden_leave_date <= today:
        return Phase.GARDEN_LEAVE
    if departure.notice_date <= today:
        return Phase.NOTICE
    return Phase.NONE


def is_internal(address: Address, internal_domains: frozenset[str]) -> bool:
    return any(d in internal_domains for d in domain_and_parents(address.domain))


def classify(
    address: Address,
    *,
    client: ClientMatch | None,
    personal_keys: frozenset[str],
    settings: PolicySettings,
) -> RecipientClass:
    """The recipient class of one address; the most specific class wins.

    Order of DESIGN.md section 4: the company's own domains, then an exact
    client contact (so a client's personal gmail address is a client), then a
    client domain, the sender's own personal addresses, consumer webmail.
    """
    if is_internal(address, settings.internal_domains):
        return RecipientClass.INTERNAL
    if client is not None:
        return RecipientClass.CLIENT_CONTACT if client.by_contact else RecipientClass.CLIENT_DOMAIN
    if address.key in personal_keys:
        return RecipientClass.OWN_PERSONAL
    if is_webmail_domain(address.domain, settings.webmail_domains):
        return RecipientClass.WEBMAIL
    return RecipientClass.EXTERNAL


def pick_client_match(
    address: Address, contacts: Mapping[str, ClientMatch], domains: Mapping[str, ClientMatch]
) -> ClientMatch | None:
    """Choose the match for `address` from the store's answers: contact first, then the most specific domain."""
    if address.key in contacts:
        return contacts[address.key]
    for candidate in domain_and_parents(address.domain):
        if candidate in domains:
            return domains[candidate]
    return None


# --- what the registers refuse ------------------------------------------------------


def client_domain_problem(domain: str, settings: PolicySettings) -> str | None:
    """Why `domain` may not be a client domain, or None when it may.

    A client domain makes every address at it (and under it) a client. One of the company's
    own domains, one under it or one above it would make colleagues clients (the check
    classes them internal anyway, so the entry would only mislead), or every address of the
    parent; a consumer webmail domain, or one above it, would make every mailbox there a
    client, the leaver's own personal one included. A client's webmail address is a contact.
    """
    for candidate in domain_and_parents(domain):
        if candidate in settings.internal_domains:
            if candidate == domain:
                return "is one of the company's own domains: its addresses are colleagues, not clients"
            return f"is under the company's domain {candidate}: its addresses are colleagues, not clients"
    if company := _parents_of(settings.internal_domains).get(domain):
        return f"is a parent of the company's domain {company}: it would make every address under it a client"
    instead = "every mailbox there would be a client; add the client's own addresses as contacts instead"
    if is_webmail_domain(domain, settings.webmail_domains):
        return f"is a consumer webmail domain (the policy's webmail list): {instead}"
    if listed := _parents_of(settings.webmail_domains).get(domain):
        return f"is a parent of the consumer webmail domain {listed}: {instead}"
    return None


def work_address_problem(address: Address, internal_domains: frozenset[str]) -> str | None:
    """Why `address` cannot be a leaver's work address (primary or alias), or None when it can.

    A departure is an employee: every address it sends as is in a company domain (subdomains
    included). Until the company's domains are set (Policy page) the rule cannot apply.
    """
    if not internal_domains or is_internal(address, internal_domains):
        return None
    return f"is not in the company's domains ({', '.join(sorted(internal_domains))}): a leaver's work addresses are"


def employee_address_problem(
    address: Address, internal_domains: frozenset[str], contacts: Mapping[str, str]
) -> str | None:
    """Why `address` cannot be a leaver's work address: a client's contact (`contacts`: address key -> the
    account's name, looked up by the caller), or outside the company's domains; None when it can."""
    if address.key in contacts:
        return client_contact_problem(contacts[address.key])
    return work_address_problem(address, internal_domains)


def client_contact_problem(account: str) -> str:
    """Why an address of a client's contact cannot be a leaver's work address, naming the account."""
    return f"is a contact of the client account {account!r}, not an employee's address"


@lru_cache(maxsize=16)
def _parents_of(domains: frozenset[str]) -> dict[str, str]:
    """Every parent (with a dot) of `domains`, with the domain under it; built once per list (imports ask per row)."""
    return {parent: domain for domain in sorted(domains) for parent in domain_and_parents(domain)[1:]}
