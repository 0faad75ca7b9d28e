"""The merge rules: what one answer of a source changes in the register or the client directory.

- A record the source reports is added, or updated when it is the source's own
  and differs; an unchanged one is left alone.
- A stored record of the source that the answer no longer lists is removed;
  nothing else is ever removed.
- A record held by another source, or entered by hand (`manual`, `csv`), is
  never touched: the source's claim on it is reported as a conflict; so is a
  leaver (or an alias) whose address is a client's contact, naming the account,
  and a leaver whose directory account (object id) such a record holds. (A
  directory sync does record the account on a hand-entered record: linking.py.)
- The registers' rules (server.directory) apply as on the console: a leaver
  outside the company's domains is skipped and reported, such an alias left out;
  a company or webmail domain of a CRM account is left out and reported
  (merge_clients.py, which holds the client accounts' merge on the same base).
- A malformed record is skipped and reported; the rest applies. A skipped
  record still counts as listed, so its stored version is kept.
- An answer with nothing in it, or one that would remove more than
  `max_drop_share` of the source's records, changes nothing: the plan is
  refused (an admin may accept it once).
- Leavers whose last working day is more than `lookback_days` ago are no
  longer kept.

Pure: stdlib, server.model and server.directory only. Must not import Flask, SQLAlchemy, the store or an adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Generic, TypeVar

from ..directory import work_address_problem
from ..model import Address, Departure, DepartureStatus, InvalidAddress, normalise_address
from .records import Conflict, Leaver, Plan, Problem, Rules

T = TypeVar("T")


def refusal(rules: Rules, listed: int, owned: int, removed: int) -> str | None:
    """Why a plan must not be applied, if it must not: an empty answer or too large a drop."""
    if rules.accept_drop or not owned:
        return None
    if not listed:
        return f"the source answered with no records while {owned} are synced from it; nothing was changed"
    if removed / owned > rules.max_drop_share:
        return (
            f"the answer would remove {removed} of the {owned} records synced from this source"
            f" (more than {rules.max_drop_share:.0%}); nothing was changed"
        )
    return None


def _address(value: str | None) -> Address | None:
    try:
        return normalise_address(value) if value else None
    except InvalidAddress:
        return None


# --- departures -------------------------------------------------------------------


def plan_departures(
    records: Sequence[Leaver],
    owned: Mapping[str, Departure],
    others: Mapping[str, str],
    rules: Rules,
    *,
    clients: Mapping[str, str] | None = None,
    accounts: Mapping[tuple[str, str], str] | None = None,
) -> Plan[Departure]:
    """The plan for one answer about leavers.

    `owned`: the source's stored departures by primary address key; `others`:
    every address key (primary or alias) of a departure held by another source,
    with that source; `clients`: the address keys of the answer that are client
    contacts, with their account's name; `accounts`: the directory accounts
    (tenant, object id) such a departure holds, with that source (a leaver with
    one of them is a conflict).
    """
    # A client's contact holds its address as another source's leaver would: the claim is a conflict.
    held = {key: f"client account {name!r}" for key, name in (clients or {}).items()} | dict(others)
    merge = _DepartureMerge(owned, held, rules, accounts or {})
    for record in records:
        merge.take(record)
    return merge.plan()


class _Merge(Generic[T]):
    """What both merges collect while reading an answer, and how they turn it into a Plan."""

    def __init__(self, owned: Mapping, others, rules: Rules):
        self.owned, self.others, self.rules = owned, others, rules
        self.listed: set[str] = set()  # keys the answer lists (kept from removal)
        self.add: list[T] = []
        self.update: list[T] = []
        self.unchanged = 0
        self.skipped: list[Problem] = []
        self.conflicts: list[Conflict] = []
        self.problems: list[Problem] = []

    def _sort(self, stored: T | None, new: T, same: bool) -> None:
        """File `new` as an addition, an update, or unchanged against the `stored` version."""
        if stored is None:
            self.add.append(new)
        elif same:
            self.unchanged += 1
        else:
            self.update.append(new)

    def _finish(self, remove: tuple) -> Plan[T]:
        refused = refusal(self.rules, len(self.listed), len(self.owned), len(remove))
        return Plan(
            add=() if refused else tuple(self.add),
            update=() if refused else tuple(self.update),
            remove=() if refused else remove,
            unchanged=self.unchanged,
            skipped=tuple(self.skipped),
            conflicts=tuple(self.conflicts),
            problems=tuple(self.problems),
            refused=refused,
        )


class _DepartureMerge(_Merge[Departure]):
    def __init__(
        self,
        owned: Mapping[str, Departure],
        others: Mapping[str, str],
        rules: Rules,
        accounts: Mapping[tuple[str, str], str],
    ):
        super().__init__(owned, others, rules)
        self.accounts = accounts
        self.oldest = rules.today - timedelta(days=rules.lookback_days)
        self.claimed: dict[str, str] = {}  # address key -> primary key of the record in this answer using it

    def take(self, record: Leaver) -> None:
        address = _address(record.email)
        if address is None:
            reason = f"{record.email!r} is not a valid e-mail address" if record.email else "no e-mail address"
            self.skipped.append(Problem(record.ref, reason))
            return
        if record.last_working_date and record.last_working_date < self.oldest:
            return  # left long ago: no longer listed, so a stored record is removed
        self.listed.add(address.key)
        problems = list(record.problems) or _date_problems(record)  # a date it could not read is also missing
        if outside := work_address_problem(address, self.rules.policy.internal_domains):
            problems.append(outside)
        if problems:
            self.skipped.extend(Problem(address.email, p) for p in problems)
        elif self._claim(record, address):
            self._plan(self._departure(record, address))

    def _claim(self, record: Leaver, address: Address) -> bool:
        """Take the record's primary address; False (and why) when someone else holds it or its account."""
        if address.key in self.others:
            self.conflicts.append(Conflict("departure", address.email, self.others[address.key], record.ref))
            return False
        held_by = self.accounts.get(_account(record)) if record.object_id else None
        if held_by is not None:
            self.conflicts.append(Conflict("departure", address.email, held_by, record.ref))
            return False
        if address.key in self.claimed:
            self.skipped.append(Problem(address.email, "is listed twice in the answer, or as someone's alias"))
            return False
        self.claimed[address.key] = address.key
        return True

    def _departure(self, record: Leaver, address: Address) -> Departure:
        stored = self.owned.get(address.key)
        last = record.last_working_date
        notice = record.notice_date or min(
            d for d in (stored.notice_date if stored else self.rules.today, last, record.garden_leave_date) if d
        )
        return Departure(
            email=address.email,
            notice_date=notice,
            last_working_date=last,
            garden_leave_date=record.garden_leave_date,
            successor=self._successor(record, address),
            aliases=self._aliases(record, address),
            personal_addresses=tuple(sorted({a.email for a in self._valid(record.personal_addresses, address)})),
            status=DepartureStatus.ACTIVE,
            source=self.rules.source,
            object_id=record.object_id.lower() if record.object_id else None,
            tenant_id=record.tenant_id.lower() if record.object_id and record.tenant_id else None,
        )

    def _successor(self, record: Leaver, address: Address) -> str | None:
        successor = _address(record.successor)
        if record.successor and successor is None:
            self.problems.append(Problem(address.email, f"successor {record.successor!r} is not an e-mail address"))
        return successor.email if successor and successor.key != address.key else None

    def _aliases(self, record: Leaver, address: Address) -> tuple[str, ...]:
        kept = []
        for alias in self._valid(record.aliases, address):
            if alias.key == address.key:
                continue
            if outside := work_address_problem(alias, self.rules.policy.internal_domains):
                self.problems.append(Problem(address.email, f"alias {alias.email} {outside}; left out"))
            elif alias.key in self.others:
                self.conflicts.append(Conflict("alias", alias.email, self.others[alias.key], record.ref))
            elif self.claimed.setdefault(alias.key, address.key) != address.key:
                self.problems.append(Problem(address.email, f"alias {alias.email} is someone else's in the answer"))
            else:
                kept.append(alias.email)
        return tuple(sorted(set(kept)))

    def _valid(self, values: Iterable[str], owner: Address) -> list[Address]:
        found = []
        for value in values:
            parsed = _address(value)
            if parsed is None:
                self.problems.append(Problem(owner.email, f"{value!r} is not an e-mail address; left out"))
            else:
                found.append(parsed)
        return found

    def _plan(self, departure: Departure) -> None:
        stored = self.owned.get(normalise_address(departure.email).key)
        self._sort(stored, departure, stored is not None and _same_departure(stored, departure))

    def plan(self) -> Plan[Departure]:
        return self._finish(tuple(sorted(key for key in self.owned if key not in self.listed)))


def _account(record: Leaver) -> tuple[str, str]:
    return ((record.tenant_id or "").lower(), (record.object_id or "").lower())


def _date_problems(record: Leaver) -> list[str]:
    notice, last, garden = record.notice_date, record.last_working_date, record.garden_leave_date
    if last is None:
        return ["no last working day"]
    problems = []
    if notice and notice > last:
        problems.append(f"notice date {notice.isoformat()} is after the last working day {last.isoformat()}")
    if garden and (garden > last or (notice and garden < notice)):
        problems.append(f"garden leave date {garden.isoformat()} is outside the notice period")
    return problems


def _same_departure(stored: Departure, new: Departure) -> bool:
    """True when writing `new` would change nothing (ids, timestamps and alias order aside)."""
    return replace(
        stored,
        id=None,
        aliases=tuple(sorted(stored.aliases)),
        personal_addresses=tuple(sorted(stored.personal_addresses)),
    ) == replace(new, id=None)
