"""Who is who: a sender's departure phase and what each recipient is to the company.

Pure functions over model values; the store looks the facts up (client matches,
the sender's departure record) and hands them in.

Must not import Flask, SQLAlchemy, the store, or anything that touches the network
or the clock (`today` is passed in).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

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
