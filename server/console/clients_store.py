"""The client directory as the admin console reads and edits it: accounts, their domains and contacts.

Built for 1,000,000 contacts: every list is a keyset page (accounts by name,
domains by domain, contacts by address key), searches are an index range on
a prefix (domains, contacts) or a scan of the accounts table only (names, a
substring), and contacts are never counted in full: per account up to
COUNT_CAP, and for the whole directory the planner's estimate.

An account's version is its `updated_at`; every change to it, its domains or
its contacts moves it on (`claim_version`, the first statement of a change).
Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from .. import tables as t
from ..model import Address
from .paging import Page, bytewise, keyset_page, starts_with

_A, _DOMAINS, _CONTACTS = t.client_accounts, t.client_domains, t.client_contacts
#: Contacts per account are counted up to this many ("10,000+"), so a huge account costs no more.
COUNT_CAP = 10_000
#: Domains shown per account in the list.
DOMAINS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the pages show it; `contacts` is counted up to COUNT_CAP (`more_contacts`: there are more)."""

    id: int
    name: str
    owner: str | None
    source: str
    version: datetime
    domains: tuple[str, ...] = ()
    domain_count: int = 0
    contacts: int = 0
    more_contacts: bool = False


@dataclass(frozen=True, slots=True)
class Contact:
    key: str
    email: str
    name: str
    source: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A domain or contact a search found, and the account it belongs to."""

    value: str
    account_id: int
    account: str


# --- accounts -------------------------------------------------------------------------


def account_page(
    conn: Connection, *, name_contains: str = "", after: str | None = None, before: str | None = None
) -> Page[Account]:
    """A page of accounts by name, with their first domains and bounded contact counts."""
    rows = select(_A.c.name, _A.c.id)
    if name_contains:
        rows = rows.where(func.lower(_A.c.name).contains(name_contains.lower(), autoescape=True))
    return keyset_page(conn, rows, _A.c.name, after=after, before=before, build=lambda found: _accounts(conn, found))


def _accounts(conn: Connection, found: Sequence) -> list[Account]:
    """The page's accounts in full: four queries for the page, whatever its accounts' sizes."""
    ids = [row.id for row in found]
    rows = {row.id: row for row in conn.execute(select(_A).where(_A.c.id.in_(ids))).mappings()}
    shown, domains, contacts = _first_domains(conn, ids), _domain_counts(conn, ids), contact_counts(conn, ids)
    return [_account(rows[i], shown.get(i, ()), domains.get(i, 0), contacts[i]) for i in ids if i in rows]


def _first_domains(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The first DOMAINS_SHOWN domains of each account, by name."""
    place = func.row_number().over(partition_by=_DOMAINS.c.account_id, order_by=_DOMAINS.c.domain).label("n")
    ranked = select(_DOMAINS.c.account_id, _DOMAINS.c.domain, place).where(_DOMAINS.c.account_id.in_(ids)).subquery()
    shown: dict[int, list[str]] = {}
    for account_id, domain in conn.execute(
        select(ranked.c.account_id, ranked.c.domain).where(ranked.c.n <= DOMAINS_SHOWN)
    ):
        shown.setdefault(account_id, []).append(domain)
    return {account_id: tuple(sorted(domains)) for account_id, domains in shown.items()}


def _domain_counts(conn: Connection, ids: Sequence[int]) -> dict[int, int]:
    query = select(_DOMAINS.c.account_id, func.count()).where(_DOMAINS.c.account_id.in_(ids))
    return dict(conn.execute(query.group_by(_DOMAINS.c.account_id)).all())


def _account(row, domains: tuple[str, ...], domain_count: int, contacts: int) -> Account:
    version = row["updated_at"]
    version = version.replace(tzinfo=UTC) if version.tzinfo is None else version
    counted = min(contacts, COUNT_CAP), contacts > COUNT_CAP
    return Account(row["id"], row["name"], row["owner_email"], row["source"], version, domains, domain_count, *counted)


def contact_counts(conn: Connection, ids: Sequence[int]) -> dict[int, int]:
    """Each account's contacts, counted up to COUNT_CAP + 1 (more shows as "10,000+"), in one query."""
    query = select(_A.c.id, _CAPPED_CONTACT_COUNT).where(_A.c.id.in_(list(ids)))
    return dict(conn.execute(query, {"cap": COUNT_CAP + 1}).all())


# The contacts of the outer query's account, at most COUNT_CAP + 1 of them, counted (a correlated subquery).
_CAPPED_CONTACTS = (
    select(_CONTACTS.c.match_key).where(_CONTACTS.c.account_id == _A.c.id).correlate(_A).limit(bindparam("cap"))
)
_CAPPED_CONTACT_COUNT = select(func.count()).select_from(_CAPPED_CONTACTS.subquery()).scalar_subquery()


def find_account(conn: Connection, account_id: int) -> Account | None:
    """One account with its bounded counts (its domains and contacts are paged separately)."""
    row = conn.execute(select(_A).where(_A.c.id == account_id)).mappings().first()
    if row is None:
        return None
    domains = conn.scalar(select(func.count()).where(_DOMAINS.c.account_id == account_id)) or 0
    return _account(row, (), domains, contact_counts(conn, [account_id])[account_id])


def account_named(conn: Connection, name: str) -> tuple[int, str] | None:
    """(id, name) of the account called `name`, if there is one."""
    row = conn.execute(select(_A.c.id, _A.c.name).where(_A.c.name == name)).first()
    return (row.id, row.name) if row else None


def estimated_contacts(conn: Connection) -> int | None:
    """About how many contacts there are, without counting them (None when unknown)."""
    if conn.dialect.name == "postgresql":
        estimate = conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'client_contacts'::regclass"
        ).scalar()
        return int(estimate) if estimate is not None and estimate >= 0 else None
    # SQLite numbers rows as they come; the highest rowid is found in the B-tree at once (deletions aside).
    return conn.exec_driver_sql("SELECT max(rowid) FROM client_contacts").scalar() or 0


def insert_account(conn: Connection, name: str, owner: str | None, now: datetime) -> int:
    values = {"name": name, "owner_email": owner, "source": "manual", "updated_at": now}
    return conn.execute(insert(_A).values(values)).inserted_primary_key[0]


def update_account(conn: Connection, account_id: int, **values) -> None:
    """Set `values` (name, owner_email, source) of an account."""
    conn.execute(update(_A).where(_A.c.id == account_id).values(values))


def delete_account(conn: Connection, account_id: int) -> None:
    """Delete the account with its domains and contacts (not left to ON DELETE CASCADE: SQLite may have it off)."""
    conn.execute(delete(_DOMAINS).where(_DOMAINS.c.account_id == account_id))
    conn.execute(delete(_CONTACTS).where(_CONTACTS.c.account_id == account_id))
    conn.execute(delete(_A).where(_A.c.id == account_id))


def claim_version(conn: Connection, account_id: int, version: datetime, new_version: datetime) -> bool:
    """Move the account from `version` to `new_version`; False when it is no longer at `version` (or gone)."""
    statement = update(_A).where(_A.c.id == account_id, _A.c.updated_at == version).values(updated_at=new_version)
    return conn.execute(statement).rowcount == 1


# --- domains and contacts of one account ----------------------------------------------


def domain_page(conn: Connection, account_id: int, *, after: str | None = None) -> Page[str]:
    rows = select(_DOMAINS.c.domain).where(_DOMAINS.c.account_id == account_id)
    return keyset_page(conn, rows, bytewise(conn, _DOMAINS.c.domain), after=after, build=lambda r: [x[0] for x in r])


def contact_page(conn: Connection, account_id: int, *, after: str | None = None) -> Page[Contact]:
    columns = (_CONTACTS.c.match_key, _CONTACTS.c.email, _CONTACTS.c.name, _CONTACTS.c.source)
    rows = select(*columns).where(_CONTACTS.c.account_id == account_id)
    key = bytewise(conn, _CONTACTS.c.match_key)
    return keyset_page(conn, rows, key, after=after, build=lambda found: [Contact(*row) for row in found])


def domain_owner(conn: Connection, domain: str) -> tuple[int, str] | None:
    """(account id, account name) of the account that has `domain`."""
    query = select(_A.c.id, _A.c.name).join(_DOMAINS, _DOMAINS.c.account_id == _A.c.id)
    row = conn.execute(query.where(_DOMAINS.c.domain == domain)).first()
    return (row.id, row.name) if row else None


def contact_owner(conn: Connection, key: str) -> tuple[int, str] | None:
    """(account id, account name) of the account that has the contact with address key `key`."""
    query = select(_A.c.id, _A.c.name).join(_CONTACTS, _CONTACTS.c.account_id == _A.c.id)
    row = conn.execute(query.where(_CONTACTS.c.match_key == key)).first()
    return (row.id, row.name) if row else None


def add_domain(conn: Connection, account_id: int, domain: str) -> None:
    conn.execute(insert(_DOMAINS).values(domain=domain, account_id=account_id, source="manual"))


def add_contact(conn: Connection, account_id: int, address: Address, name: str) -> None:
    values = {"match_key": address.key, "email": address.email, "name": name, "source": "manual"}
    conn.execute(insert(_CONTACTS).values(account_id=account_id, **values))


def remove_domain(conn: Connection, account_id: int, domain: str) -> bool:
    """Remove the account's `domain`; False when it had no such domain."""
    statement = delete(_DOMAINS).where(_DOMAINS.c.account_id == account_id, _DOMAINS.c.domain == domain)
    return conn.execute(statement).rowcount == 1


def remove_contact(conn: Connection, account_id: int, key: str) -> bool:
    """Remove the account's contact with address key `key`; False when it had none."""
    statement = delete(_CONTACTS).where(_CONTACTS.c.account_id == account_id, _CONTACTS.c.match_key == key)
    return conn.execute(statement).rowcount == 1


# --- searching across the directory ---------------------------------------------------


def domains_starting(
    conn: Connection, prefix: str, *, after: str | None = None, before: str | None = None
) -> Page[Hit]:
    """Domains that start with `prefix`, by domain, with their accounts."""
    rows = (
        select(_DOMAINS.c.domain, _A.c.id, _A.c.name)
        .join(_A, _A.c.id == _DOMAINS.c.account_id)
        .where(starts_with(conn, _DOMAINS.c.domain, prefix))
    )
    return keyset_page(conn, rows, bytewise(conn, _DOMAINS.c.domain), after=after, before=before, build=_hits)


def contacts_starting(
    conn: Connection, prefix: str, *, after: str | None = None, before: str | None = None
) -> Page[Hit]:
    """Contacts whose address key starts with `prefix`, by key, with their accounts."""
    rows = (
        select(_CONTACTS.c.match_key, _A.c.id, _A.c.name, _CONTACTS.c.email)
        .join(_A, _A.c.id == _CONTACTS.c.account_id)
        .where(starts_with(conn, _CONTACTS.c.match_key, prefix))
    )
    key = bytewise(conn, _CONTACTS.c.match_key)
    return keyset_page(conn, rows, key, after=after, before=before, build=_contact_hits)


def _hits(rows: Sequence) -> list[Hit]:
    return [Hit(value, account_id, name) for value, account_id, name in rows]


def _contact_hits(rows: Sequence) -> list[Hit]:
    return [Hit(email, account_id, name) for _key, account_id, name, email in rows]
