"""What a source of truth reports, normalised: leavers, client accounts, problems, and a merge plan.

Connectors turn each outside system's answer into these values; merge.py
compares them with what is stored and returns a Plan; the service applies it.

Pure: stdlib and server.model only. Must not import Flask, SQLAlchemy, the store or an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from ..model import PolicySettings

T = TypeVar("T")


class Kind(StrEnum):
    """What a connector syncs."""

    DEPARTURES = "departures"
    CLIENTS = "clients"
    MEMBERSHIP = "membership"  # writes the register out to the source (google-group), reads nothing in


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one record of a source (`ref` names it: an id or an address)."""

    ref: str
    message: str

    def __str__(self) -> str:
        return f"{self.ref}: {self.message}"


@dataclass(frozen=True, slots=True)
class Leaver:
    """A person leaving, as a source reports them.

    `notice_date` None means the source does not know it (Entra ID has only the
    last day): the merge keeps the date first seen. `problems` are what the
    connector could not read in this record; a record with problems is skipped
    but still counts as listed, so its stored version is not removed.
    """

    ref: str
    email: str | None
    last_working_date: date | None
    notice_date: date | None = None
    garden_leave_date: date | None = None
    successor: str | None = None
    aliases: tuple[str, ...] = ()
    personal_addresses: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    object_id: str | None = None  # the person's directory account (a directory source knows it)
    tenant_id: str | None = None


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """An account of the company directory with every address it has, primary first.

    Entra ID: the Graph user's `id` in the tenant, `mail`, `userPrincipalName`, the SMTP
    `proxyAddresses`; Google: the user's `id` (tenant "google"), primary address, aliases.
    A directory connector reports one for each leaver it lists and for each hand-entered
    departure's address it looked up (FetchContext.unlinked), so the merge can record the
    account on the departure (linking.py).
    """

    ref: str
    object_id: str
    tenant_id: str
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Account:
    """A client account as a CRM reports it; `ref` is the CRM's id of it."""

    ref: str
    name: str
    owner: str | None = None
    domains: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fetched:
    """One answer of a source: its records and the problems met reading it.

    `unchanged` says the source has nothing new since the last applied `cursor`
    (the hr-csv connector's file was applied already); `cursor` is what the
    next run should start from.
    """

    records: tuple[Any, ...] = ()
    problems: tuple[Problem, ...] = ()
    cursor: str | None = None
    unchanged: bool = False
    users: tuple[DirectoryUser, ...] = ()  # directory connectors: the accounts seen (see DirectoryUser)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A value a source claims that a record of another source (or entered by hand) holds; that record wins."""

    kind: str  # departure, alias, account, domain, contact
    value: str
    held_by: str
    ref: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "held_by": self.held_by, "ref": self.ref}


@dataclass(frozen=True, slots=True)
class Rules:
    """The merge's settings for one run."""

    source: str
    today: date
    max_drop_share: float = 0.2
    lookback_days: int = 30
    accept_drop: bool = False  # an admin's one-off override of the empty-answer and drop checks
    # The company's and the webmail domains the registers' rules follow (server.directory); read in the run's
    # transaction. The defaults know no company domain, so the leaver-must-be-an-employee rule does not apply.
    policy: PolicySettings = field(default_factory=PolicySettings)


@dataclass(frozen=True, slots=True)
class Plan(Generic[T]):
    """What a run will change, or why it changes nothing (`refused`)."""

    add: tuple[T, ...] = ()
    update: tuple[T, ...] = ()
    remove: tuple[Any, ...] = ()
    unchanged: int = 0
    skipped: tuple[Problem, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    problems: tuple[Problem, ...] = ()  # values dropped from records that were applied
    refused: str | None = None
    linked: tuple[Any, ...] = ()  # hand-entered departures given their directory account (linking.py)

    @property
    def skipped_count(self) -> int:
        """Records not applied: malformed ones and those in conflict with another source."""
        skipped = {p.ref for p in self.skipped}
        return len(skipped) + len({c.ref for c in self.conflicts if c.kind in ("departure", "account")})


@dataclass(frozen=True, slots=True)
class PlannedAccount:
    """A client account to write: `id` None for a new one; contacts keyed by address key."""

    ref: str
    name: str
    owner: str | None
    domains: tuple[str, ...]
    contacts: tuple[tuple[str, str, str], ...]  # (key, email, name), sorted by key
    id: int | None = None

    def same_as(self, other: PlannedAccount) -> bool:
        return (self.name, self.owner, self.domains, self.contacts) == (
            other.name,
            other.owner,
            other.domains,
            other.contacts,
        )


@dataclass(frozen=True, slots=True)
class Claims:
    """Who holds the values a run mentions, among records that are not this source's.

    names: account name -> source; domains and contacts (by address key) -> (account name, source).
    """

    names: dict[str, str] = field(default_factory=dict)
    domains: dict[str, tuple[str, str]] = field(default_factory=dict)
    contacts: dict[str, tuple[str, str]] = field(default_factory=dict)


class RunStatus(StrEnum):
    SUCCESS = "success"  # the plan was applied (perhaps changing nothing)
    UNCHANGED = "unchanged"  # the source had nothing new (hr-csv: the file was applied before)
    REFUSED = "refused"  # empty answer or too large a drop: nothing applied, an admin must look
    FAILED = "failed"  # the source could not be read or the write failed: nothing applied


@dataclass(frozen=True, slots=True)
class Run:
    """One sync run as recorded: when, how it ended, what it changed, and what went wrong."""

    source: str
    started_at: datetime
    finished_at: datetime
    status: RunStatus
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    errors: tuple[str, ...] = ()
    conflicts: tuple[dict[str, str], ...] = ()
    cursor: str | None = None
    id: int | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "removed": self.removed, "skipped": self.skipped}
