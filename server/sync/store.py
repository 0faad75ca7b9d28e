"""The SQL of syncs: a source's stored records and the claims of others, applying a plan, and sync runs.

Departures are written through bulk_departures.upsert_departures, the write
path of CSV imports; client accounts by CRM id (their names may change), their
domains and contacts a batch at a time, each moving to the account that now
claims it, as store.add_client_domain and add_client_contact do.

SQLAlchemy Core only; every function takes a Connection and the caller owns
the transaction. Must not import Flask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from .. import tables as t
from ..bulk_departures import departures_by_key, upsert_departures
from ..model import Departure
from .records import Claims, Plan, PlannedAccount, Run, RunStatus

CHUNK = 1000
#: Sources whose records were entered by people, not synced.
MANUAL_SOURCES = ("manual", "csv")


def _chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- departures ---------------------------------------------------------------------


def owned_departures(conn: Connection, source: str) -> dict[str, Departure]:
    """The source's departures by primary address key, with aliases and personal addresses."""
    keys = conn.scalars(select(t.departures.c.match_key).where(t.departures.c.source == source)).all()
    found: dict[str, Departure] = {}
    for chunk in _chunks(keys):
        found.update(departures_by_key(conn, chunk))
    return found


def departure_claims(conn: Connection, source: str, keys: Sequence[str]) -> dict[str, str]:
    """Of address `keys`, those a departure of another source sends as (primary or alias), with its source."""
    addresses, departures = t.departure_addresses, t.departures
    claims: dict[str, str] = {}
    for chunk in _chunks(sorted(set(keys))):
        query = (
            select(addresses.c.match_key, departures.c.source)
            .join(departures, departures.c.id == addresses.c.departure_id)
            .where(addresses.c.match_key.in_(chunk), departures.c.source != source)
        )
        claims.update({key: held_by for key, held_by in conn.execute(query)})
    return claims


def unlinked_departures(conn: Connection) -> list[Departure]:
    """The hand-entered departures (console, CSV) no directory sync has found the account of yet."""
    departures = t.departures
    query = select(departures.c.match_key).where(
        departures.c.source.in_(MANUAL_SOURCES), departures.c.object_id.is_(None)
    )
    keys = conn.scalars(query.order_by(departures.c.match_key)).all()
    found: list[Departure] = []
    for chunk in _chunks(keys):
        stored = departures_by_key(conn, chunk)
        found += [stored[key] for key in chunk]
    return found


def account_holders(conn: Connection, accounts: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Of directory `accounts` (tenant, object id), those a departure holds: its primary address and source."""
    departures, held = t.departures, {}
    for chunk in _chunks(sorted(set(accounts))):
        ids = sorted({object_id for _, object_id in chunk})
        query = select(departures.c.tenant_id, departures.c.object_id, departures.c.email, departures.c.source)
        for tenant, object_id, email, source in conn.execute(query.where(departures.c.object_id.in_(ids))):
            if (tenant, object_id) in chunk:
                held[(tenant, object_id)] = (email, source)
    return held


def address_holders(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    """Of address `keys`, those a departure sends as (primary or alias), with that departure's primary address."""
    addresses, departures, held = t.departure_addresses, t.departures, {}
    for chunk in _chunks(sorted(set(keys))):
        query = (
            select(addresses.c.match_key, departures.c.email)
            .join(departures, departures.c.id == addresses.c.departure_id)
            .where(addresses.c.match_key.in_(chunk))
        )
        held.update({key: email for key, email in conn.execute(query)})
    return held


def apply_departures(conn: Connection, plan: Plan[Departure], source: str, now: datetime) -> None:
    """Write a departures plan: delete what the source no longer lists, upsert what is added, updated or linked.

    Deleting first lets a person the source lists under a new address (a renamed mailbox)
    take their directory account over from their old record in the same run.
    """
    for chunk in _chunks(plan.remove):
        conn.execute(delete(t.departures).where(t.departures.c.match_key.in_(chunk), t.departures.c.source == source))
    for chunk in _chunks([*plan.add, *plan.update, *plan.linked]):
        upsert_departures(conn, chunk, now)


# --- client accounts ----------------------------------------------------------------


def owned_accounts(conn: Connection, source: str) -> dict[str, PlannedAccount]:
    """The source's client accounts by CRM id, with their domains and contacts."""
    accounts, domains, contacts = t.client_accounts, t.client_domains, t.client_contacts
    mine = select(accounts.c.id).where(accounts.c.source == source).scalar_subquery()
    by_id: dict[int, list] = defaultdict(list)
    for account_id, domain in conn.execute(
        select(domains.c.account_id, domains.c.domain).where(domains.c.account_id.in_(mine))
    ):
        by_id[account_id].append(domain)
    people: dict[int, list] = defaultdict(list)
    rows = select(contacts.c.account_id, contacts.c.match_key, contacts.c.email, contacts.c.name)
    for account_id, key, email, name in conn.execute(rows.where(contacts.c.account_id.in_(mine))):
        people[account_id].append((key, email, name))
    rows = conn.execute(select(accounts).where(accounts.c.source == source)).mappings()
    return {
        row["external_id"]: PlannedAccount(
            ref=row["external_id"],
            name=row["name"],
            owner=row["owner_email"],
            domains=tuple(sorted(by_id[row["id"]])),
            contacts=tuple(sorted(people[row["id"]])),
            id=row["id"],
        )
        for row in rows
    }


def client_claims(
    conn: Connection, source: str, names: Sequence[str], domains: Sequence[str], keys: Sequence[str]
) -> Claims:
    """Who of another source (or by hand) holds the account `names`, `domains` and contact `keys` a run mentions."""
    accounts = t.client_accounts
    claims = Claims()
    for chunk in _chunks(sorted(set(names))):
        rows = select(accounts.c.name, accounts.c.source).where(accounts.c.name.in_(chunk), accounts.c.source != source)
        claims.names.update({name: held_by for name, held_by in conn.execute(rows)})
    for table, column, found, wanted in (
        (t.client_domains, t.client_domains.c.domain, claims.domains, domains),
        (t.client_contacts, t.client_contacts.c.match_key, claims.contacts, keys),
    ):
        for chunk in _chunks(sorted(set(wanted))):
            rows = (
                select(column, accounts.c.name, accounts.c.source)
                .join(accounts, accounts.c.id == table.c.account_id)
                .where(column.in_(chunk), accounts.c.source != source)
            )
            found.update({value: (name, held_by) for value, name, held_by in conn.execute(rows)})
    return claims


def apply_clients(conn: Connection, plan: Plan[PlannedAccount], source: str, now: datetime) -> None:
    """Write a clients plan: remove, update (names in two steps, so two accounts may swap names), add."""
    accounts = t.client_accounts
    for chunk in _chunks(plan.remove):
        conn.execute(delete(accounts).where(accounts.c.id.in_(chunk), accounts.c.source == source))
    for account in plan.update:
        conn.execute(update(accounts).where(accounts.c.id == account.id).values(name=f"~sync renaming {account.id}~"))
    for account in plan.update:
        values = {"name": account.name, "owner_email": account.owner, "updated_at": now}
        conn.execute(update(accounts).where(accounts.c.id == account.id).values(values))
    written = list(plan.update)
    for account in plan.add:
        values = {"name": account.name, "owner_email": account.owner, "source": source, "updated_at": now}
        new_id = conn.execute(insert(accounts).values(external_id=account.ref, **values)).inserted_primary_key[0]
        written.append(
            PlannedAccount(account.ref, account.name, account.owner, account.domains, account.contacts, new_id)
        )
    _replace_parts(conn, written, source)


def _replace_parts(conn: Connection, written: list[PlannedAccount], source: str) -> None:
    """Give the written accounts exactly their domains and contacts (a value another synced account had moves)."""
    domains, contacts = t.client_domains, t.client_contacts
    ids = [a.id for a in written]
    domain_rows = [{"domain": d, "account_id": a.id, "source": source} for a in written for d in a.domains]
    contact_rows = [
        {"match_key": key, "email": email, "name": name, "account_id": a.id, "source": source}
        for a in written
        for key, email, name in a.contacts
    ]
    for chunk in _chunks(ids):
        conn.execute(delete(domains).where(domains.c.account_id.in_(chunk)))
        conn.execute(delete(contacts).where(contacts.c.account_id.in_(chunk)))
    for chunk in _chunks([r["domain"] for r in domain_rows]):
        conn.execute(delete(domains).where(domains.c.domain.in_(chunk)))
    for chunk in _chunks([r["match_key"] for r in contact_rows]):
        conn.execute(delete(contacts).where(contacts.c.match_key.in_(chunk)))
    for table, rows in ((domains, domain_rows), (contacts, contact_rows)):
        for chunk in _chunks(rows):
            conn.execute(insert(table), list(chunk))


# --- runs and status ----------------------------------------------------------------


def record_run(conn: Connection, run: Run) -> int:
    """Store one run; its id."""
    values = {
        "source": run.source,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "status": run.status.value,
        **run.counts,
        "errors": list(run.errors),
        "conflicts": list(run.conflicts),
        "cursor": run.cursor,
    }
    return conn.execute(insert(t.sync_runs).values(values)).inserted_primary_key[0]


def prune_runs(conn: Connection, before: datetime) -> None:
    conn.execute(delete(t.sync_runs).where(t.sync_runs.c.finished_at < before))


def last_cursor(conn: Connection, source: str) -> str | None:
    """The cursor of the source's last run that applied or found nothing new."""
    runs = t.sync_runs
    query = (
        select(runs.c.cursor)
        .where(runs.c.source == source, runs.c.status.in_([RunStatus.SUCCESS, RunStatus.UNCHANGED]))
        .order_by(runs.c.id.desc())
        .limit(1)
    )
    return conn.scalar(query)


def recent_runs(conn: Connection, source: str | None = None, limit: int = 20) -> list[Run]:
    """The newest runs, newest first (of one source, or of all)."""
    query = select(t.sync_runs).order_by(t.sync_runs.c.id.desc()).limit(limit)
    if source:
        query = query.where(t.sync_runs.c.source == source)
    return [_run(row) for row in conn.execute(query).mappings()]


def sync_status(conn: Connection) -> dict[str, dict[str, Any]]:
    """Per source that ever ran: its last run, its last success time, and the conflicts its last plan met."""
    runs = t.sync_runs
    latest = select(func.max(runs.c.id)).group_by(runs.c.source)
    succeeded = (
        select(runs.c.source, func.max(runs.c.finished_at))
        .where(runs.c.status.in_([RunStatus.SUCCESS, RunStatus.UNCHANGED]))
        .group_by(runs.c.source)
    )
    planned = select(func.max(runs.c.id)).where(runs.c.status.in_([RunStatus.SUCCESS, RunStatus.REFUSED]))
    planned_rows = select(runs.c.source, runs.c.conflicts).where(runs.c.id.in_(planned.group_by(runs.c.source)))
    last_planned = {source: conflicts for source, conflicts in conn.execute(planned_rows)}
    last_success = {source: _aware(at) for source, at in conn.execute(succeeded)}
    status = {}
    for row in conn.execute(select(runs).where(runs.c.id.in_(latest)).order_by(runs.c.source)).mappings():
        source = row["source"]
        status[source] = {
            "last_run": _run(row),
            "last_success_at": last_success.get(source),
            "conflicts": list(last_planned.get(source) or []),
        }
    return status


def _run(row) -> Run:
    return Run(
        source=row["source"],
        started_at=_aware(row["started_at"]),
        finished_at=_aware(row["finished_at"]),
        status=RunStatus(row["status"]),
        added=row["added"],
        updated=row["updated"],
        removed=row["removed"],
        skipped=row["skipped"],
        errors=tuple(row["errors"]),
        conflicts=tuple(row["conflicts"]),
        cursor=row["cursor"],
        id=row["id"],
    )


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
