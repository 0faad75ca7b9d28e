"""Who a verified caller is: every identity their token proves, and which departure record is theirs.

`Identity` is what a verifier returns: the name the caller signed in with (an Entra ID
user principal name, a Google account's address, the development scheme's address),
the other addresses the token vouches for (its e-mail claims), and for Entra ID the
user's object id and tenant. `choose` picks, among the departures the register found
for those identities, the one that is the caller's:

1. the departure recorded with the caller's object id (in the caller's tenant) wins;
2. otherwise the first address of the token, in the order the token names them (the
   sign-in name, then e-mail claims), that a departure sends as (primary or alias) --
   unless that departure is recorded with another object id of the same tenant: an
   address that moved to someone else (a reused UPN) never makes them the leaver,
   and never hides the leaver behind it.

Pure: stdlib and server.model only. Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Address, Departure


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller: the name they signed in with, how it was proven, and what else the token proves.

    `emails` are further addresses the token carries (Entra ID's `email` and v1
    `unique_name` claims); `object_id` and `tenant_id` are Entra ID's `oid` and `tid`
    (lowercase GUIDs), None for the other schemes.
    """

    address: Address
    scheme: str
    object_id: str | None = None
    tenant_id: str | None = None
    emails: tuple[Address, ...] = ()

    @property
    def addresses(self) -> tuple[Address, ...]:
        """Every address the token proves, the sign-in name first, each address key once."""
        seen: dict[str, Address] = {}
        for address in (self.address, *self.emails):
            seen.setdefault(address.key, address)
        return tuple(seen.values())

    @property
    def keys(self) -> tuple[str, ...]:
        """The match keys of `addresses`, in the same order."""
        return tuple(address.key for address in self.addresses)


@dataclass(frozen=True, slots=True)
class Match:
    """A departure the register found for a caller: by their object id, and/or by some of their address keys."""

    departure: Departure
    by_object_id: bool = False
    keys: frozenset[str] = frozenset()


def owns(identity: Identity, departure: Departure) -> bool:
    """True when `departure` is recorded with the caller's own directory account (same tenant and object id)."""
    return (
        identity.object_id is not None
        and departure.object_id == identity.object_id
        and departure.tenant_id == identity.tenant_id
    )


def someone_else(identity: Identity, departure: Departure) -> bool:
    """True when `departure` is recorded with another account of the caller's own tenant."""
    return (
        identity.object_id is not None
        and departure.object_id is not None
        and departure.tenant_id == identity.tenant_id
        and departure.object_id != identity.object_id
    )


def choose(identity: Identity, matches: Iterable[Match]) -> Departure | None:
    """The caller's departure among `matches`: by object id first, then by address in the token's order."""
    found = list(matches)
    for match in found:
        if match.by_object_id and owns(identity, match.departure):
            return match.departure
    for key in identity.keys:
        for match in found:
            if key in match.keys and not someone_else(identity, match.departure):
                return match.departure
    return None
