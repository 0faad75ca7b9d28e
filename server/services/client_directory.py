"""The client directory on the admin console: browse and search accounts, change them, their domains and contacts.

Every change is one transaction that starts with the account's version check
(console.clients_store.claim_version), so two admins never silently overwrite
each other, and ends with its audit row. A domain or contact that belongs to
another account is refused with that account's name (moving it is a remove
there and an add here, on purpose), and so is a domain that is the company's or
consumer webmail (directory.client_domain_problem, the rule imports and syncs
follow too). Changes to a synced account stay the
sync's unless the editor takes the account over (it becomes `manual`); its
next run replaces the domains and contacts of an account it still owns.

Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from .. import store
from ..console import clients_store as directory
from ..console.paging import Page
from ..console.register_forms import account_from_form, contact_from_form, domain_from_form
from ..directory import client_domain_problem
from ..model import InvalidAddress, normalise_address
from .editing import MANUAL, InvalidForm, NoSuchRecord, StaleVersion, next_version

Account = directory.Account

#: Search sections, each paged on its own.
SECTIONS = ("accounts", "domains", "contacts")


@dataclass(frozen=True, slots=True)
class Listing:
    """The accounts page: all accounts (no query), or what a search found in each section."""

    accounts: Page[Account]
    domains: Page[directory.Hit] | None = None
    contacts: Page[directory.Hit] | None = None
    contacts_estimate: int | None = None


@dataclass(frozen=True, slots=True)
class AccountView:
    account: Account
    domains: Page[str]
    contacts: Page[directory.Contact]


def listing(engine: Engine, *, query: str, section: str | None, after: str | None, before: str | None) -> Listing:
    """All accounts by name, or a search: account names containing `query`, domains and contacts starting with it.

    `after`/`before` page the accounts, or, with `section`, that section alone.
    """
    text = query.strip()
    with engine.connect() as conn:
        if not text:
            page = directory.account_page(conn, after=after, before=before)
            return Listing(page, contacts_estimate=directory.estimated_contacts(conn))
        wanted = [section] if section in SECTIONS else list(SECTIONS)
        keys = {name: {"after": after, "before": before} if section == name else {} for name in wanted}
        found = {name: _SEARCHES[name](conn, text, **keys[name]) for name in wanted}
    return Listing(*(found.get(name, Page(())) for name in SECTIONS))


def _accounts_named(conn: Connection, text: str, **keys: str | None) -> Page[Account]:
    return directory.account_page(conn, name_contains=text, **keys)


def _domains(conn: Connection, text: str, after: str | None = None, before: str | None = None) -> Page[directory.Hit]:
    return directory.domains_starting(conn, text.lower().removeprefix("@"), after=after, before=before)


def _contacts(conn: Connection, text: str, after: str | None = None, before: str | None = None) -> Page[directory.Hit]:
    return directory.contacts_starting(conn, contact_prefix(text), after=after, before=before)


_SEARCHES = {"accounts": _accounts_named, "domains": _domains, "contacts": _contacts}


def contact_prefix(text: str) -> str:
    """What a contact search matches address keys against: a whole address's key, else the text in lower case."""
    try:
        return normalise_address(text).key
    except InvalidAddress:
        return text.lower()


def view(engine: Engine, account_id: int, *, domains_after: str | None, contacts_after: str | None) -> AccountView:
    with engine.connect() as conn:
        account = directory.find_account(conn, account_id)
        if account is None:
            raise NoSuchRecord(account_id)
        domains = directory.domain_page(conn, account_id, after=domains_after)
        return AccountView(account, domains, directory.contact_page(conn, account_id, after=contacts_after))


def find(engine: Engine, account_id: int) -> Account:
    with engine.connect() as conn:
        account = directory.find_account(conn, account_id)
    if account is None:
        raise NoSuchRecord(account_id)
    return account


def add_account(engine: Engine, typed: Mapping[str, str], *, actor: str, now: datetime) -> int:
    wanted = _valid(account_from_form(typed))
    try:
        with engine.begin() as conn:
            _check_name(conn, wanted.name, besides=None)
            account_id = directory.insert_account(conn, wanted.name, wanted.owner, now)
            _audit(conn, "client.account_added", actor, now, account_id, name=wanted.name, owner=wanted.owner)
    except IntegrityError:  # the same name taken by someone else since the check
        raise InvalidForm({"name": f"{wanted.name!r} was added by someone else a moment ago"}) from None
    return account_id


def save_account(engine: Engine, account_id: int, typed: Mapping[str, str], version, *, take_over: bool, **who) -> None:
    """Rename the account or change its owner (and take it over from its sync, if asked)."""
    wanted = _valid(account_from_form(typed))

    def change(conn: Connection, before: Account) -> dict[str, Any]:
        _check_name(conn, wanted.name, besides=account_id)
        source = MANUAL if take_over else before.source
        directory.update_account(conn, account_id, name=wanted.name, owner_email=wanted.owner, source=source)
        after = {"name": wanted.name, "owner": wanted.owner, "source": source}
        return {"before": {"name": before.name, "owner": before.owner, "source": before.source}, "after": after}

    _change(engine, account_id, version, "client.account_saved", change, **who)


def delete_account(engine: Engine, account_id: int, version, **who) -> None:
    def change(conn: Connection, before: Account) -> dict[str, Any]:
        directory.delete_account(conn, account_id)
        return {"name": before.name, "owner": before.owner, "domains": before.domain_count, "contacts": before.contacts}

    _change(engine, account_id, version, "client.account_deleted", change, **who)


def add_domain(engine: Engine, account_id: int, typed: Mapping[str, str], version, **who) -> None:
    domain = _valid(domain_from_form(typed))

    def change(conn: Connection, before: Account) -> dict[str, Any]:
        if problem := client_domain_problem(domain, store.load_settings(conn)):
            raise InvalidForm({"domain": f"{domain} {problem}"})
        _refuse_held("domain", directory.domain_owner(conn, domain), domain, account_id)
        directory.add_domain(conn, account_id, domain)
        return {"name": before.name, "domain": domain}

    _change(engine, account_id, version, "client.domain_added", change, **who)


def remove_domain(engine: Engine, account_id: int, domain: str, version, **who) -> None:
    def change(conn: Connection, before: Account) -> dict[str, Any]:
        if not directory.remove_domain(conn, account_id, domain):
            raise InvalidForm({"domain": f"{domain} is not a domain of {before.name}"})
        return {"name": before.name, "domain": domain}

    _change(engine, account_id, version, "client.domain_removed", change, **who)


def add_contact(engine: Engine, account_id: int, typed: Mapping[str, str], version, **who) -> None:
    address, name = _valid(contact_from_form(typed))

    def change(conn: Connection, before: Account) -> dict[str, Any]:
        _refuse_held("contact_email", directory.contact_owner(conn, address.key), address.email, account_id)
        directory.add_contact(conn, account_id, address, name)
        return {"name": before.name, "contact": address.email}

    _change(engine, account_id, version, "client.contact_added", change, **who)


def remove_contact(engine: Engine, account_id: int, key: str, version, **who) -> None:
    def change(conn: Connection, before: Account) -> dict[str, Any]:
        if not directory.remove_contact(conn, account_id, key):
            raise InvalidForm({"contact_email": f"{key} is not a contact of {before.name}"})
        return {"name": before.name, "contact": key}

    _change(engine, account_id, version, "client.contact_removed", change, **who)


def _change(
    engine: Engine,
    account_id: int,
    version: datetime | None,
    kind: str,
    change: Callable[[Connection, Account], dict[str, Any]],
    *,
    actor: str,
    now: datetime,
) -> None:
    """Run `change` on the account opened at `version`, in one transaction with its audit row."""
    with engine.begin() as conn:
        # The claim is the first statement: it takes the write lock before anything is read (SQLite
        # cannot turn a reading transaction into a writing one once another writer has committed).
        if version is None or not directory.claim_version(conn, account_id, version, next_version(version, now)):
            current = directory.find_account(conn, account_id)
            raise NoSuchRecord(account_id) if current is None else StaleVersion(current)
        details = change(conn, directory.find_account(conn, account_id))
        _audit(conn, kind, actor, now, account_id, **details)


def _valid(result):
    if result.value is None:
        raise InvalidForm(result.errors)
    return result.value


def _check_name(conn: Connection, name: str, *, besides: int | None) -> None:
    holder = directory.account_named(conn, name)
    if holder is not None and holder[0] != besides:
        raise InvalidForm({"name": f"{name!r} is already the name of another account"})


def _refuse_held(field: str, holder: tuple[int, str] | None, value: str, account_id: int) -> None:
    """InvalidForm when `value` already belongs to an account: this one, or another one, named."""
    if holder is None:
        return
    where = "this account" if holder[0] == account_id else f"the account {holder[1]!r}"
    raise InvalidForm({field: f"{value} already belongs to {where}"})


def _audit(conn: Connection, kind: str, actor: str, now: datetime, account_id: int, **details: Any) -> None:
    store.record_audit(conn, at=now, kind=kind, actor=actor, details={"account_id": account_id, **details})
