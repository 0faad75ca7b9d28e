"""The departures register as the admin console reads and edits it.

Lists are pages by primary address key (keyset), filtered by a search across
addresses, aliases and successor and by the phase on a given day (the same
rules as directory.phase_of, in SQL). A record's version is its `updated_at`:
`claim_version` moves it on only if it is still the one a form was opened
with, which is how a save detects a concurrent change without overwriting it.

Writes of a whole record go through bulk_departures.upsert_departures (the
write path of imports and syncs). Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, Connection, and_, delete, exists, insert, or_, select, update

from .. import tables as t
from ..bulk_departures import departures_by_key, upsert_departures
from ..model import Departure, DepartureStatus, Phase, normalise_address
from .paging import Page, bytewise, keyset_page

_D, _ADDRESSES = t.departures, t.departure_addresses
#: The phases the list can be filtered by; `none` (notice not yet started) is shown as upcoming.
LISTED_PHASES = (Phase.NOTICE, Phase.GARDEN_LEAVE, Phase.DEPARTED, Phase.WITHDRAWN, Phase.NONE)


@dataclass(frozen=True, slots=True)
class Versioned:
    """A stored departure and its version (the `updated_at` a form carries back)."""

    departure: Departure
    version: datetime


def departure_page(
    conn: Connection,
    *,
    today: date,
    query: str = "",
    phase: Phase | None = None,
    after: str | None = None,
    before: str | None = None,
) -> Page[Departure]:
    """A page of the register by primary address, matching `query` and in `phase` on `today`."""
    key = bytewise(conn, _D.c.match_key)
    rows = select(_D.c.match_key)
    if query:
        rows = rows.where(_matches(query.strip().lower()))
    if phase is not None:
        rows = rows.where(_in_phase(phase, today))

    def build(found: Sequence) -> list[Departure]:
        stored = departures_by_key(conn, [row[0] for row in found])
        return [stored[row[0]] for row in found]

    return keyset_page(conn, rows, key, after=after, before=before, build=build)


def _matches(text: str) -> ColumnElement[bool]:
    """A primary address, alias or successor containing `text` (the register is small: a scan is fine)."""
    alias = exists().where(_ADDRESSES.c.departure_id == _D.c.id, _ADDRESSES.c.email.contains(text, autoescape=True))
    return or_(alias, _D.c.successor_email.contains(text, autoescape=True))


def _in_phase(phase: Phase, today: date) -> ColumnElement[bool]:
    """directory.phase_of as a condition: withdrawn, else departed, garden leave, notice, or not yet (none)."""
    if phase == Phase.WITHDRAWN:
        return _D.c.status == DepartureStatus.WITHDRAWN.value
    active = and_(_D.c.status == DepartureStatus.ACTIVE.value, _D.c.last_working_date >= today)
    if phase == Phase.DEPARTED:
        return and_(_D.c.status == DepartureStatus.ACTIVE.value, _D.c.last_working_date < today)
    in_garden = and_(_D.c.garden_leave_date.is_not(None), _D.c.garden_leave_date <= today)
    if phase == Phase.GARDEN_LEAVE:
        return and_(active, in_garden)
    started = _D.c.notice_date <= today
    return and_(active, ~in_garden, started if phase == Phase.NOTICE else ~started)


def find_versioned(conn: Connection, departure_id: int) -> Versioned | None:
    """The departure with id `departure_id`, with its aliases, personal addresses and version."""
    row = conn.execute(select(_D.c.match_key, _D.c.updated_at).where(_D.c.id == departure_id)).first()
    if row is None:
        return None
    return Versioned(departures_by_key(conn, [row.match_key])[row.match_key], _aware(row.updated_at))


def claim_version(conn: Connection, departure_id: int, version: datetime, new_version: datetime) -> bool:
    """Move the record from `version` to `new_version`; False when it is no longer at `version` (or gone).

    The first statement of a save: it takes the row's write lock, so a concurrent
    save waits and then finds the version moved on.
    """
    statement = update(_D).where(_D.c.id == departure_id, _D.c.updated_at == version).values(updated_at=new_version)
    return conn.execute(statement).rowcount == 1


def address_owners(conn: Connection, keys: Sequence[str], *, besides: int | None = None) -> dict[str, str]:
    """Of address `keys`, those another departure sends as (primary or alias): {key: that person's address}."""
    query = (
        select(_ADDRESSES.c.match_key, _D.c.email)
        .join(_D, _D.c.id == _ADDRESSES.c.departure_id)
        .where(_ADDRESSES.c.match_key.in_(list(keys)))
    )
    if besides is not None:
        query = query.where(_D.c.id != besides)
    return {key: email for key, email in conn.execute(query)}


def insert_departure(conn: Connection, departure: Departure, now: datetime) -> int:
    """Add a new record (an IntegrityError if its address is taken meanwhile); its id."""
    address = normalise_address(departure.email)
    values = {"email": address.email, "match_key": address.key, "notice_date": departure.notice_date}
    values |= {"last_working_date": departure.last_working_date, "source": departure.source, "updated_at": now}
    conn.execute(insert(_D).values(values))
    return upsert_departures(conn, [departure], now)[address.key]


def rewrite_departure(conn: Connection, departure_id: int, departure: Departure, now: datetime) -> None:
    """Give record `departure_id` every value of `departure`, its primary address included."""
    address = normalise_address(departure.email)
    conn.execute(update(_D).where(_D.c.id == departure_id).values(email=address.email, match_key=address.key))
    upsert_departures(conn, [departure], now)


def set_status(conn: Connection, departure_id: int, status: DepartureStatus, source: str) -> None:
    conn.execute(update(_D).where(_D.c.id == departure_id).values(status=status.value, source=source))


def delete_departure(conn: Connection, departure_id: int) -> None:
    """Delete a record with its aliases and personal addresses (their foreign keys cascade; deleted here too, so
    nothing depends on SQLite's foreign_keys pragma). Sign-off requests and audit rows name addresses, not this id:
    they stay."""
    conn.execute(delete(_ADDRESSES).where(_ADDRESSES.c.departure_id == departure_id))
    conn.execute(
        delete(t.departure_personal_addresses).where(t.departure_personal_addresses.c.departure_id == departure_id)
    )
    conn.execute(delete(_D).where(_D.c.id == departure_id))


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
