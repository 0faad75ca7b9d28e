"""The link rule: a hand-entered departure whose address the directory knows gets that person's account.

A departure entered on the console or from a CSV file names its person by an address; the
check matches a caller by directory account first (server.identities). At every run of a
directory sync (entra, google-directory), each hand-entered departure without an account is
compared with the accounts the run saw (its leavers, and the look-ups of those departures'
addresses):

- exactly one account has one of the departure's addresses (its primary address or an
  alias; for Entra ID the account's mail, user principal name or an SMTP proxy address, for
  Google its primary address or an alias): the departure gets that account's object id and
  tenant, and the account's other addresses become aliases of it (so the user principal
  name is one when it differs), except an address another departure sends as (reported);
- two accounts have its addresses: nothing is linked, and the run says so;
- the account is already another departure's, or two hand-entered departures match it:
  nothing is linked, and the run says so.

Linking only adds: the record keeps its addresses, dates, status and source (`manual`,
`csv`), and the console still edits it. A record with an account is never relinked.

Pure: stdlib and server.model only. Must not import Flask, SQLAlchemy, the store or an adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from ..model import Address, Departure, InvalidAddress, normalise_address
from .records import DirectoryUser, Problem

Account = tuple[str, str]  # (tenant id, object id)


def account_of(user: DirectoryUser) -> Account:
    return (user.tenant_id.lower(), user.object_id.lower())


def plan_links(
    users: Iterable[DirectoryUser],
    candidates: Sequence[Departure],
    holders: Mapping[Account, str],
    taken: Mapping[str, str],
) -> tuple[tuple[Departure, ...], tuple[Problem, ...]]:
    """The candidates to link, with their account and new aliases, and what kept others from being linked.

    `candidates`: hand-entered departures without an account; `holders`: the primary address
    of the departure holding each account already; `taken`: the primary address of the
    departure sending as each address key.
    """
    accounts = {account_of(user): user for user in users}
    by_key: dict[str, set[Account]] = {}
    for account, user in accounts.items():
        for address in _addresses(user.addresses):
            by_key.setdefault(address.key, set()).add(account)
    problems: list[Problem] = []
    wanted: dict[Account, list[Departure]] = {}
    for departure in candidates:
        found = sorted({account for key in _keys(departure) for account in by_key.get(key, ())})
        if len(found) > 1:
            refs = ", ".join(sorted(accounts[a].ref for a in found))
            problems.append(Problem(departure.email, f"matches several directory accounts ({refs}); not linked"))
        elif found and found[0] in holders:
            holder = holders[found[0]]
            problems.append(Problem(departure.email, f"its directory account is {holder}'s record; not linked"))
        elif found:
            wanted.setdefault(found[0], []).append(departure)
    linked = []
    for account, departures in wanted.items():
        if len(departures) > 1:
            emails = ", ".join(sorted(d.email for d in departures))
            ref = accounts[account].ref
            problems += [Problem(d.email, f"{ref} matches {emails}: not linked") for d in departures]
        else:
            linked.append(_link(departures[0], accounts[account], taken, problems))
    return tuple(linked), tuple(problems)


def _link(departure: Departure, user: DirectoryUser, taken: Mapping[str, str], problems: list[Problem]) -> Departure:
    own = set(_keys(departure))
    added: dict[str, str] = {}
    for address in _addresses(user.addresses):
        holder = taken.get(address.key)
        if address.key in own or address.key in added:
            continue
        if holder is not None and normalise_address(holder).key not in own:
            problems.append(Problem(departure.email, f"alias {address.email} left out: it is {holder}'s"))
            continue
        added[address.key] = address.email
    aliases = tuple(sorted({*departure.aliases, *added.values()}))
    return replace(departure, object_id=user.object_id.lower(), tenant_id=user.tenant_id.lower(), aliases=aliases)


def _keys(departure: Departure) -> list[str]:
    return [address.key for address in _addresses((departure.email, *departure.aliases))]


def _addresses(values: Iterable[str]) -> list[Address]:
    found = []
    for value in values:
        try:
            found.append(normalise_address(value))
        except InvalidAddress:
            continue
    return found
