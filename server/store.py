"""All SQL of LeaverGuard: read and write the register, the client directory, settings, approvals and audit.

Every function takes a SQLAlchemy `Connection` (the caller owns the
transaction) and returns model objects or plain values, never rows.

Must not import Flask; imports only model, identities, tables and SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from . import identities
from . import tables as t
from .bulk_departures import departure_batches, departure_from_row, upsert_departures
from .identities import Identity
from .model import (
    Address,
    Approval,
    ApprovalStatus,
    ClientMatch,
    Departure,
    DepartureStatus,
    InvalidAddress,
    Phase,
    PolicySettings,
    RecipientClass,
    Verdict,
    default_ladder,
    normalise_address,
)

# --- statements of the send-time check ------------------------------------
# Built once, because every check runs them: SQLAlchemy memoises a statement
# object's cache key, so a prebuilt statement skips building and keying a fresh
# one (~90 µs per query on the benchmark machine). Lookups that can share a
# round trip do (UNION ALL): on PostgreSQL each one costs ~0.1 ms more.
# Measured with bench/check_bench.py.

# The departures a caller may be, with their aliases and personal addresses, in one round trip: the one
# recorded with the caller's directory account (by_object_id = 1) and those sending as any of the
# caller's address keys (matched = that key); one row per (match, alias, personal address), a handful.
# A token proves at most three addresses (sign-in name, `email`, `unique_name`): three fixed parameters,
# padded with the first, cost ~50 µs less a check than an expanding IN, which is rendered on every call.
_SENDS_AS = t.departure_addresses.alias("sends_as")
_ALIAS = t.departure_addresses.alias("alias")
_PERSONAL = t.departure_personal_addresses
_CALLER_KEYS = 3


def _departures_of_caller(keys: ColumnElement[bool]) -> Select:
    matched = union_all(
        select(
            t.departures.c.id.label("departure_id"),
            literal_column("1").label("by_object_id"),
            null().label("matched"),
        ).where(t.departures.c.object_id == bindparam("object_id"), t.departures.c.tenant_id == bindparam("tenant_id")),
        select(_SENDS_AS.c.departure_id, literal_column("0"), _SENDS_AS.c.match_key).where(keys),
    ).subquery("matched")
    return (
        select(
            t.departures,
            matched.c.by_object_id,
            matched.c.matched,
            _ALIAS.c.email.label("alias_email"),
            _PERSONAL.c.email.label("personal_email"),
        )
        .join(matched, matched.c.departure_id == t.departures.c.id)
        .outerjoin(_ALIAS, (_ALIAS.c.departure_id == t.departures.c.id) & _ALIAS.c.is_primary.is_(False))
        .outerjoin(_PERSONAL, _PERSONAL.c.departure_id == t.departures.c.id)
    )


_DEPARTURES_OF_CALLER = _departures_of_caller(
    _SENDS_AS.c.match_key.in_([bindparam(f"key{n}") for n in range(_CALLER_KEYS)])
)
_DEPARTURES_OF_CALLER_MANY = _departures_of_caller(_SENDS_AS.c.match_key.in_(bindparam("keys", expanding=True)))
# Client accounts by exact contact (by_contact = 1) and by domain (by_contact = 0), in one round trip.
_ACCOUNT = (t.client_accounts.c.id, t.client_accounts.c.name, t.client_accounts.c.owner_email)
_CLIENT_MATCHES = union_all(
    select(literal_column("1").label("by_contact"), t.client_contacts.c.match_key.label("matched"), *_ACCOUNT)
    .join(t.client_accounts, t.client_accounts.c.id == t.client_contacts.c.account_id)
    .where(t.client_contacts.c.match_key.in_(bindparam("keys", expanding=True))),
    select(literal_column("0").label("by_contact"), t.client_domains.c.domain.label("matched"), *_ACCOUNT)
    .join(t.client_accounts, t.client_accounts.c.id == t.client_domains.c.account_id)
    .where(t.client_domains.c.domain.in_(bindparam("domains", expanding=True))),
)
_INTERNAL_DOMAINS = select(t.internal_domains.c.domain)
_SETTINGS = select(t.policy_settings).where(t.policy_settings.c.id == 1)
_SETTINGS_VERSION = select(t.policy_settings.c.version).where(t.policy_settings.c.id == 1)
_APPROVALS = select(
    t.approval_requests.c.id,
    t.approval_requests.c.fingerprint,
    t.approval_requests.c.status,
    t.approval_requests.c.expires_at,
).where(
    t.approval_requests.c.sender_key == bindparam("sender_key"),
    t.approval_requests.c.fingerprint == bindparam("fingerprint"),
)
_INSERT_AUDIT = insert(t.audit_events)

# --- the departures register ----------------------------------------------


def find_sender(conn: Connection, identity: Identity) -> Departure | None:
    """The departure record of the verified caller: by directory account first, then by address (identities.choose)."""
    return identities.choose(identity, sender_matches(conn, identity))


def sender_matches(conn: Connection, identity: Identity) -> list[identities.Match]:
    """Every departure recorded with the caller's directory account or sending as one of their addresses."""
    return _matches(conn, identity.object_id, identity.tenant_id, identity.keys)


def find_departure(conn: Connection, key: str) -> Departure | None:
    """The departure record of whoever sends as address key `key` (primary address or alias)."""
    found = _matches(conn, None, None, (key,))
    return found[0].departure if found else None


def _matches(
    conn: Connection, object_id: str | None, tenant_id: str | None, keys: Sequence[str]
) -> list[identities.Match]:
    params: dict[str, Any] = {"object_id": object_id, "tenant_id": tenant_id}
    if len(keys) <= _CALLER_KEYS:
        padded = [*keys, *[keys[0]] * (_CALLER_KEYS - len(keys))]
        params |= {f"key{n}": key for n, key in enumerate(padded)}
        rows = conn.execute(_DEPARTURES_OF_CALLER, params).mappings().all()
    else:
        rows = conn.execute(_DEPARTURES_OF_CALLER_MANY, params | {"keys": list(keys)}).mappings().all()
    if not rows:
        return []
    by_id: dict[int, list] = {}
    for row in rows:
        by_id.setdefault(row["id"], []).append(row)
    return [_match(group) for group in by_id.values()]


def _match(rows: list) -> identities.Match:
    """One departure from its rows: every (alias, personal address) pair, once per way it matched."""
    aliases = sorted({r["alias_email"] for r in rows if r["alias_email"]})
    personal = sorted({r["personal_email"] for r in rows if r["personal_email"]})
    return identities.Match(
        departure_from_row(rows[0], aliases, personal),
        by_object_id=any(r["by_object_id"] == 1 for r in rows),
        keys=frozenset(r["matched"] for r in rows if r["matched"]),
    )


def on_register(conn: Connection, addresses: Iterable[str]) -> frozenset[str]:
    """The keys of those `addresses` that have a departure record that is not withdrawn (approvers are a few)."""
    keys = set()
    for address in addresses:
        try:
            key = normalise_address(address).key
        except InvalidAddress:
            continue
        found = find_departure(conn, key)
        if found is not None and found.status == DepartureStatus.ACTIVE:
            keys.add(key)
    return frozenset(keys)


def list_departures(conn: Connection) -> list[Departure]:
    """The whole register, by primary address."""
    return [departure for batch in departure_batches(conn) for departure in batch]


def save_departure(conn: Connection, departure: Departure, now: datetime) -> int:
    """Insert or update (by primary address) one departure with its aliases and personal addresses.

    An alias that was someone else's moves to this person (the newest record wins).
    """
    ids = upsert_departures(conn, [departure], now)
    return ids[normalise_address(departure.email).key]


# --- the client directory --------------------------------------------------


def client_matches(conn: Connection, keys: Sequence[str], domains: Sequence[str]) -> tuple[dict, dict]:
    """Client accounts for exact contact `keys` and for `domains`: ({key: match}, {domain: match})."""
    contacts: dict[str, ClientMatch] = {}
    by_domain: dict[str, ClientMatch] = {}
    if not keys and not domains:
        return contacts, by_domain
    for by_contact, matched, *account in conn.execute(_CLIENT_MATCHES, {"keys": list(keys), "domains": list(domains)}):
        if by_contact:
            contacts[matched] = ClientMatch(*account, by_contact=True)
        else:
            by_domain[matched] = ClientMatch(*account, by_contact=False, domain=matched)
    return contacts, by_domain


def contact_accounts(conn: Connection, keys: Iterable[str], chunk: int = 1000) -> dict[str, str]:
    """Of address `keys`, those of a client's contact, with the name of its account (asked in chunks)."""
    contacts, accounts = t.client_contacts, t.client_accounts
    wanted, found = sorted(set(keys)), {}
    for start in range(0, len(wanted), chunk):
        query = (
            select(contacts.c.match_key, accounts.c.name)
            .join(accounts, accounts.c.id == contacts.c.account_id)
            .where(contacts.c.match_key.in_(wanted[start : start + chunk]))
        )
        found.update({key: name for key, name in conn.execute(query)})
    return found


def ensure_account(conn: Connection, name: str, owner: str | None, source: str, now: datetime) -> int:
    """The id of the client account called `name`, created or its owner updated."""
    account_id = conn.scalar(select(t.client_accounts.c.id).where(t.client_accounts.c.name == name))
    values = {"name": name, "source": source, "updated_at": now}
    if owner is not None:
        values["owner_email"] = owner
    if account_id is None:
        return conn.execute(insert(t.client_accounts).values(values)).inserted_primary_key[0]
    conn.execute(update(t.client_accounts).where(t.client_accounts.c.id == account_id).values(values))
    return account_id


def add_client_domain(conn: Connection, account_id: int, domain: str, source: str = "manual") -> None:
    conn.execute(delete(t.client_domains).where(t.client_domains.c.domain == domain))
    conn.execute(insert(t.client_domains).values(domain=domain, account_id=account_id, source=source))


def add_client_contact(
    conn: Connection, account_id: int, address: Address, name: str = "", source: str = "manual"
) -> None:
    conn.execute(delete(t.client_contacts).where(t.client_contacts.c.match_key == address.key))
    conn.execute(
        insert(t.client_contacts).values(
            match_key=address.key, email=address.email, name=name, account_id=account_id, source=source
        )
    )


def set_internal_domains(conn: Connection, domains: Iterable[str], now: datetime) -> None:
    """Replace the company's domains; bumps the settings version so every process reloads them."""
    settings = load_settings(conn)
    replace_internal_domains(conn, domains)
    save_settings(conn, settings, now)


def replace_internal_domains(conn: Connection, domains: Iterable[str]) -> None:
    """Replace the company's domains without bumping the version: the caller saves the settings too."""
    conn.execute(delete(t.internal_domains))
    rows = [{"domain": d} for d in sorted(set(domains))]
    if rows:
        conn.execute(insert(t.internal_domains), rows)


def is_empty(conn: Connection) -> bool:
    """True when nothing at all has been set up (no internal domain, client or departure)."""
    return not any(
        conn.scalar(select(func.count()).select_from(table))
        for table in (t.internal_domains, t.client_accounts, t.departures)
    )


# --- policy settings -------------------------------------------------------


def settings_version(conn: Connection) -> int | None:
    """The version of the stored settings (None before any were saved): one cheap query per check."""
    return conn.scalar(_SETTINGS_VERSION)


def load_settings(conn: Connection) -> PolicySettings:
    """The current settings; the defaults when an admin has never saved any."""
    internal = frozenset(conn.scalars(_INTERNAL_DOMAINS))
    row = conn.execute(_SETTINGS).mappings().first()
    if row is None:
        return PolicySettings(internal_domains=internal)
    return PolicySettings(
        ladder=ladder_from_json(row["ladder"]),
        internal_domains=internal,
        webmail_domains=frozenset(row["webmail_domains"]),
        successor_rule=row["successor_rule"],
        solicitation_signals=row["solicitation_signals"],
        monitor_only=row["monitor_only"],
        timezone=row["timezone"],
        version=row["version"],
        texts=row["texts"] or {},
        fail_mode=row["fail_mode"],
    )


class StaleSettings(Exception):
    """The stored settings are not the version the caller started from: someone else saved meanwhile."""


def save_settings(
    conn: Connection, settings: PolicySettings, now: datetime, *, expected_version: int | None = None
) -> int:
    """Store `settings` (not the internal domains) and return the new version.

    Every change to what load_settings returns must pass through here, so that
    the version tells every process's settings cache to reload. With
    `expected_version`, raise StaleSettings (writing nothing) unless that is the
    stored version; the conditional UPDATE decides, so of two concurrent saves
    from the same version exactly one wins.
    """
    current = conn.scalar(select(t.policy_settings.c.version).where(t.policy_settings.c.id == 1))
    if expected_version is not None and (current or 0) != expected_version:
        raise StaleSettings(current or 0)
    values = _settings_values(settings) | {"version": (current or 0) + 1, "updated_at": now}
    if current is None:
        conn.execute(insert(t.policy_settings).values(id=1, **values))
        return values["version"]
    row = t.policy_settings.c.id == 1
    if expected_version is not None:
        row &= t.policy_settings.c.version == expected_version
    # Incremented in the UPDATE itself, so two concurrent saves never share a version number.
    values["version"] = t.policy_settings.c.version + 1
    if conn.execute(update(t.policy_settings).where(row).values(values)).rowcount != 1:
        raise StaleSettings(current)  # another transaction saved between our read and our write
    return conn.scalar(_SETTINGS_VERSION)


def _settings_values(settings: PolicySettings) -> dict[str, Any]:
    return {
        "ladder": ladder_to_json(settings.ladder),
        "webmail_domains": sorted(settings.webmail_domains),
        "successor_rule": settings.successor_rule,
        "solicitation_signals": settings.solicitation_signals,
        "monitor_only": settings.monitor_only,
        "timezone": settings.timezone,
        "texts": {lang: dict(texts) for lang, texts in settings.texts.items() if texts},
        "fail_mode": settings.fail_mode,
    }


def ladder_to_json(ladder) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for (phase, cls), verdict in ladder.items():
        result.setdefault(phase.value, {})[cls.value] = verdict.value
    return result


def ladder_from_json(data: dict[str, dict[str, str]]):
    """A ladder from stored JSON; cells missing from it keep their default."""
    ladder = default_ladder()
    for phase, row in data.items():
        for cls, verdict in row.items():
            ladder[(Phase(phase), RecipientClass(cls))] = Verdict(verdict)
    return ladder


# --- approvals and audit ---------------------------------------------------


def approvals_for(conn: Connection, sender_key: str, fingerprint: str) -> list[Approval]:
    rows = conn.execute(_APPROVALS, {"sender_key": sender_key, "fingerprint": fingerprint})
    return [Approval(r.id, r.fingerprint, ApprovalStatus(r.status), _aware(r.expires_at)) for r in rows]


def record_audit(conn: Connection, *, at: datetime, kind: str, actor: str, details: dict[str, Any], **columns) -> int:
    """Append one audit event; `columns` may set verdict, fingerprint and approval_id."""
    values = {"at": at, "kind": kind, "actor": actor, "details": details, **columns}
    return conn.execute(_INSERT_AUDIT, values).inserted_primary_key[0]


def audit_events(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The newest audit events, newest first, as plain dicts."""
    rows = conn.execute(select(t.audit_events).order_by(t.audit_events.c.id.desc()).limit(limit)).mappings()
    return [dict(r) | {"at": _aware(r["at"])} for r in rows]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored as UTC; make them aware again."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
