"""The departures register on the admin console: list, add, edit, withdraw, reinstate and delete, each audited.

A save is one transaction: the version check comes first (console's
`claim_version`), then the checks against the stored register (an address that
is another leaver's), then the write and its audit row; anything wrong rolls
all of it back. A record a sync owns stays the sync's when edited (its next run
may overwrite the edit) unless the editor takes it over, which makes it
`manual`; a withdrawal always takes it over, or the next run would make the
person a leaver again (server/sync/merge.py: a sync never touches a manual record).
A record entered by mistake can be deleted, with a reason (audited with every
value it had); a synced one cannot (SyncedRecord): its next run would add it
again, so it is withdrawn instead.

Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from .. import store
from ..console import departures_store as register
from ..console.paging import Page
from ..console.register_forms import (
    deletion_reason,
    departure_fields,
    departure_from_form,
    no_employee_addresses,
    sends_as,
    taken_addresses,
)
from ..directory import phase_of
from ..model import Departure, DepartureStatus, Phase
from .editing import MANUAL, InvalidForm, NoSuchRecord, StaleVersion, is_synced, next_version, policy_today

Versioned = register.Versioned


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of the register, each person's phase on `today` (in the policy's time zone)."""

    page: Page[Departure]
    phases: dict[str, Phase]
    today: date


def listing(
    engine: Engine, *, query: str, phase: Phase | None, after: str | None, before: str | None, now: datetime
) -> Listing:
    with engine.connect() as conn:
        today = policy_today(conn, now)
        page = register.departure_page(conn, today=today, query=query, phase=phase, after=after, before=before)
    return Listing(page, {d.email: phase_of(d, today) for d in page.items}, today)


def is_on_register(engine: Engine, address: str) -> bool:
    """True when `address` (a primary address or an alias) has a departure record that is not withdrawn.

    The console and sign-off read it: someone whose departure HR has recorded has no use of the console
    (web/access.py) and decides no sign-off request, whatever role they hold.
    """
    with engine.connect() as conn:
        return bool(store.on_register(conn, [address]))


def find(engine: Engine, departure_id: int, now: datetime) -> tuple[Versioned, Phase]:
    """A record with its version and its phase today; NoSuchRecord when there is none."""
    with engine.connect() as conn:
        found = register.find_versioned(conn, departure_id)
        if found is None:
            raise NoSuchRecord(departure_id)
        return found, phase_of(found.departure, policy_today(conn, now))


def add(engine: Engine, typed: Mapping[str, str], *, actor: str, now: datetime) -> int:
    """Add a departure from the form; its id. InvalidForm when anything is wrong."""
    departure = _parsed(typed)
    try:
        with engine.begin() as conn:
            _check_addresses(conn, departure, besides=None)
            departure_id = register.insert_departure(conn, departure, now)
            _audit(conn, "departure.saved", actor, now, departure_id, None, departure)
    except IntegrityError:  # the same person added by someone else since the check
        raise InvalidForm({"email": f"{departure.email} was added by someone else a moment ago"}) from None
    return departure_id


def save(
    engine: Engine,
    departure_id: int,
    typed: Mapping[str, str],
    version: datetime | None,
    *,
    take_over: bool,
    actor: str,
    now: datetime,
) -> None:
    """Save the edit form over a record opened at `version` (InvalidForm, StaleVersion, NoSuchRecord)."""
    edited = _parsed(typed)
    with engine.begin() as conn:
        before, new_version = _claim(conn, departure_id, version, now)
        source = MANUAL if take_over else before.departure.source
        after = replace(edited, status=before.departure.status, source=source)
        _check_addresses(conn, after, besides=departure_id)
        register.rewrite_departure(conn, departure_id, after, new_version)
        _audit(conn, "departure.saved", actor, now, departure_id, before.departure, after)


def set_withdrawn(
    engine: Engine, departure_id: int, withdrawn: bool, version: datetime | None, *, actor: str, now: datetime
) -> None:
    """Withdraw a resignation (the person is no leaver any more) or reinstate it; audited."""
    with engine.begin() as conn:
        before, _ = _claim(conn, departure_id, version, now)
        status = DepartureStatus.WITHDRAWN if withdrawn else DepartureStatus.ACTIVE
        source = MANUAL if withdrawn and is_synced(before.departure.source) else before.departure.source
        register.set_status(conn, departure_id, status, source)
        after = replace(before.departure, status=status, source=source)
        kind = "departure.withdrawn" if withdrawn else "departure.reinstated"
        _audit(conn, kind, actor, now, departure_id, before.departure, after)


class SyncedRecord(Exception):
    """A synced record cannot be deleted: the sync's next run would add it again. Withdraw it instead."""

    def __init__(self, current: Versioned):
        super().__init__(f"{current.departure.email} comes from the {current.departure.source} sync")
        self.current = current


def delete(
    engine: Engine, departure_id: int, typed: Mapping[str, str], version: datetime | None, *, actor: str, now: datetime
) -> Departure:
    """Delete a record entered by mistake, with its aliases and personal addresses; audited with the reason and
    every value it had. InvalidForm (no reason), StaleVersion, NoSuchRecord, SyncedRecord."""
    reason = deletion_reason(typed)
    if reason.value is None:
        raise InvalidForm(reason.errors)
    with engine.begin() as conn:
        before, _ = _claim(conn, departure_id, version, now)
        if is_synced(before.departure.source):
            raise SyncedRecord(before)
        register.delete_departure(conn, departure_id)
        details = {"id": departure_id, "email": before.departure.email, "reason": reason.value}
        store.record_audit(
            conn, at=now, kind="departure.deleted", actor=actor, details=details | {"before": _shown(before.departure)}
        )
    return before.departure


def _parsed(typed: Mapping[str, str]) -> Departure:
    result = departure_from_form(typed)
    if result.value is None:
        raise InvalidForm(result.errors)
    return result.value


def _claim(conn: Connection, departure_id: int, version: datetime | None, now: datetime) -> tuple[Versioned, datetime]:
    """Take the record for this change: (what it was, the version it moves to); StaleVersion or NoSuchRecord."""
    new_version = next_version(version, now)
    if version is None or not register.claim_version(conn, departure_id, version, new_version):
        current = register.find_versioned(conn, departure_id)
        if current is None:
            raise NoSuchRecord(departure_id)
        raise StaleVersion(current)
    return register.find_versioned(conn, departure_id), new_version


def _check_addresses(conn: Connection, departure: Departure, *, besides: int | None) -> None:
    """InvalidForm when the primary address or an alias is no employee's (outside the company's domains, a
    client's contact: named) or another leaver already sends as it (naming them)."""
    keys = list(sends_as(departure))
    internal = store.load_settings(conn).internal_domains
    if errors := no_employee_addresses(departure, internal, store.contact_accounts(conn, keys)):
        raise InvalidForm(errors)
    if owners := register.address_owners(conn, keys, besides=besides):
        raise InvalidForm(taken_addresses(departure, owners))


def _audit(
    conn: Connection,
    kind: str,
    actor: str,
    now: datetime,
    departure_id: int,
    before: Departure | None,
    after: Departure,
) -> None:
    details = {"id": departure_id, "email": after.email, "before": _shown(before), "after": _shown(after)}
    store.record_audit(conn, at=now, kind=kind, actor=actor, details=details)


def _shown(departure: Departure | None) -> dict[str, Any] | None:
    """A departure as an audit row keeps it (plain JSON values)."""
    if departure is None:
        return None
    fields: dict[str, Any] = departure_fields(departure)
    fields |= {"aliases": list(departure.aliases), "personal_addresses": list(departure.personal_addresses)}
    return fields | {"status": departure.status.value, "source": departure.source}
