"""One sync run: fetch -> plan -> apply in one transaction -> record the run -> audit.

A membership connector (google-group) runs the other way: read the register, then
make its outside group match (`_push`), recorded and audited alike.

The fetch happens before any transaction is open, so a slow or throttled
source holds no lock and never delays the send-time check; the plan is read,
computed and written in one short transaction. Every run is recorded, whether
it applied, found nothing new, was refused by the merge's safety checks (an
"alert": logged at ERROR, recorded, audited) or failed; a failed run is
retried with backoff by `run_with_retries`.

Must not import Flask.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine

from .. import store
from ..adapters import AdapterError
from ..model import InvalidAddress, normalise_address, normalise_domain
from . import store as sync_store
from .linking import account_of, plan_links
from .merge import plan_departures
from .merge_clients import plan_clients
from .records import Account, Fetched, Kind, Leaver, Plan, Rules, Run, RunStatus

log = logging.getLogger("leaverguard.sync")

MAX_RECORDED_ERRORS = 200
MAX_RECORDED_CONFLICTS = 1000
KEEP_RUNS = timedelta(days=90)
Clock = Callable[[], datetime]


class SyncStopped(Exception):
    """The process was asked to stop (SIGTERM) while a run was waiting: the run is abandoned, nothing applied."""


class SourceUnavailable(Exception):
    """A connector's own failure that is not an outside system's (a missing file, a setting that is not usable)."""


@dataclass(frozen=True, slots=True)
class FetchContext:
    """What a connector may need to know: the company's today and time zone, and where the last run ended.

    `unlinked`: the addresses (primary first, then aliases) of each hand-entered departure
    no directory account is recorded for, which a directory connector looks up (linking.py).
    """

    today: date
    zone: tzinfo
    cursor: str | None
    lookback_days: int
    unlinked: tuple[tuple[str, ...], ...] = ()


class Connector(Protocol):
    name: str
    kind: Kind

    def fetch(self, context: FetchContext) -> Fetched: ...


@dataclass(frozen=True, slots=True)
class SyncSettings:
    max_drop_share: float = 0.2
    lookback_days: int = 30
    retries: int = 3
    retry_backoff: float = 60.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def run_with_retries(
    engine: Engine,
    connector: Connector,
    settings: SyncSettings,
    *,
    clock: Clock = _utc_now,
    sleep: Callable[[float], None] = time.sleep,
    accept_drop: bool = False,
) -> Run:
    """Run once, and again after a failure up to `settings.retries` times, waiting backoff, 2×backoff, …"""
    run = run_once(engine, connector, settings, clock=clock, accept_drop=accept_drop)
    for retry in range(settings.retries):
        if run.status != RunStatus.FAILED:
            break
        wait = settings.retry_backoff * 2**retry
        log.info("sync %s: retrying in %.0f s", connector.name, wait)
        sleep(wait)
        run = run_once(engine, connector, settings, clock=clock, accept_drop=accept_drop)
    return run


def run_once(
    engine: Engine, connector: Connector, settings: SyncSettings, *, clock: Clock = _utc_now, accept_drop: bool = False
) -> Run:
    """One run of `connector`, recorded; never raises for a source's or the database's failure."""
    started = clock()
    try:
        context = _context(engine, connector.name, started, settings)
        if connector.kind == Kind.MEMBERSHIP:
            rules = Rules(connector.name, context.today, settings.max_drop_share, settings.lookback_days, accept_drop)
            run = _push(engine, connector, rules, started, clock)
        else:
            run = _fetch_and_apply(engine, connector, context, settings, started, clock, accept_drop)
    except SyncStopped:
        raise
    except (AdapterError, SourceUnavailable, OSError) as exc:
        run = _failed(engine, connector.name, started, clock(), str(exc))
    except Exception as exc:  # a bug or a database outage: recorded and logged with its traceback
        log.exception("sync %s: unexpected failure", connector.name)
        run = _failed(engine, connector.name, started, clock(), f"unexpected {type(exc).__name__}: {exc}")
    _log(run)
    return run


def _fetch_and_apply(
    engine: Engine,
    connector: Connector,
    context: FetchContext,
    settings: SyncSettings,
    started: datetime,
    clock: Clock,
    accept_drop: bool,
) -> Run:
    fetched = connector.fetch(context)
    if fetched.unchanged:
        return _record(engine, Run(connector.name, started, clock(), RunStatus.UNCHANGED, cursor=fetched.cursor))
    rules = Rules(connector.name, context.today, settings.max_drop_share, settings.lookback_days, accept_drop)
    return _apply(engine, connector, fetched, rules, started, clock)


def _push(engine: Engine, connector, rules: Rules, started: datetime, clock: Clock) -> Run:
    """A membership sync: read the register, then make the outside group match it (google-group).

    The register is read before anything is written outside, so a database that
    cannot be read changes nothing there. Recorded, and audited when it changed something.
    """
    with engine.connect() as conn:
        departures = store.list_departures(conn)
    pushed = connector.push(departures, rules)
    errors = _capped([*filter(None, [pushed.refused]), *(str(problem) for problem in pushed.problems)])
    status = RunStatus.REFUSED if pushed.refused else RunStatus.FAILED if pushed.failed else RunStatus.SUCCESS
    counts = {"added": pushed.added, "removed": pushed.removed, "skipped": pushed.skipped}
    run = Run(connector.name, started, clock(), status, errors=errors, **counts)
    with engine.begin() as conn:
        run_id = sync_store.record_run(conn, run)
        if run.added or run.removed or run.status == RunStatus.REFUSED:
            _audit(conn, run, run_id, run.finished_at)
    return run


def _context(engine: Engine, source: str, now: datetime, settings: SyncSettings) -> FetchContext:
    with engine.connect() as conn:
        zone_name = store.load_settings(conn).timezone
        cursor = sync_store.last_cursor(conn, source)
        unlinked = tuple((d.email, *d.aliases) for d in sync_store.unlinked_departures(conn))
    try:
        zone: tzinfo = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return FetchContext(now.astimezone(zone).date(), zone, cursor, settings.lookback_days, unlinked)


def _apply(
    engine: Engine, connector: Connector, fetched: Fetched, rules: Rules, started: datetime, clock: Clock
) -> Run:
    """Plan and apply in one transaction; the run and its audit event are written in it too."""
    with engine.begin() as conn:
        now = clock()
        rules = replace(rules, policy=store.load_settings(conn))  # the registers' rules, as the console applies them
        if connector.kind == Kind.DEPARTURES:
            plan = _plan_departures(conn, fetched, rules)
        else:
            plan = _plan_clients(conn, fetched, rules)
        if not plan.refused:
            apply = sync_store.apply_departures if connector.kind == Kind.DEPARTURES else sync_store.apply_clients
            apply(conn, plan, rules.source, now)
        run = _run_of(plan, fetched, rules.source, started, clock())
        run_id = sync_store.record_run(conn, run)
        sync_store.prune_runs(conn, now - KEEP_RUNS)
        if plan.refused or plan.add or plan.update or plan.remove or plan.linked:
            _audit(conn, run, run_id, now, linked=[d.email for d in plan.linked])
    return run


def _plan_departures(conn: Connection, fetched: Fetched, rules: Rules) -> Plan:
    """The leavers' plan, with the hand-entered departures the answer's directory accounts link (linking.py).

    A linked account counts as held by its hand-entered record, so the same person listed
    as a leaver under another address is a conflict, not a second record.
    """
    records = [r for r in fetched.records if isinstance(r, Leaver)]
    keys = [key for r in records for key in _keys([r.email, *r.aliases])]
    owned = sync_store.owned_departures(conn, rules.source)
    claims = sync_store.departure_claims(conn, rules.source, keys)
    accounts = [account_of(user) for user in fetched.users] + [_account(r) for r in records if r.object_id]
    holders = sync_store.account_holders(conn, accounts)
    linked, problems = _links(conn, fetched.users, holders)
    held = {account: source for account, (_, source) in holders.items() if source != rules.source}
    held |= {(d.tenant_id, d.object_id): d.source for d in linked}
    clients = store.contact_accounts(conn, keys)
    plan = plan_departures(records, owned, claims, rules, clients=clients, accounts=held)
    if plan.refused:
        return plan
    return replace(plan, linked=linked, problems=(*plan.problems, *problems))


def _links(conn: Connection, users, holders) -> tuple[tuple, tuple]:
    if not users:
        return (), ()
    candidates = sync_store.unlinked_departures(conn)
    keys = _keys(a for user in users for a in user.addresses)
    taken = sync_store.address_holders(conn, keys)
    return plan_links(users, candidates, {account: email for account, (email, _) in holders.items()}, taken)


def _account(record: Leaver) -> tuple[str, str]:
    return ((record.tenant_id or "").lower(), (record.object_id or "").lower())


def _plan_clients(conn: Connection, fetched: Fetched, rules: Rules) -> Plan:
    records = [r for r in fetched.records if isinstance(r, Account)]
    names = [r.name.strip() for r in records]
    domains = [d for r in records for d in _domains(r.domains)]
    keys = [key for r in records for key in _keys(c.email for c in r.contacts)]
    claims = sync_store.client_claims(conn, rules.source, names, domains, keys)
    return plan_clients(records, sync_store.owned_accounts(conn, rules.source), claims, rules)


def _keys(emails) -> list[str]:
    found = []
    for email in filter(None, emails):
        try:
            found.append(normalise_address(email).key)
        except InvalidAddress:
            continue
    return found


def _domains(values) -> list[str]:
    found = []
    for value in values:
        try:
            found.append(normalise_domain(value))
        except ValueError:
            continue
    return found


def _run_of(plan: Plan, fetched: Fetched, source: str, started: datetime, finished: datetime) -> Run:
    errors = [str(p) for p in (*fetched.problems, *plan.skipped, *plan.problems)]
    if plan.refused:
        errors.insert(0, plan.refused)
    return Run(
        source=source,
        started_at=started,
        finished_at=finished,
        status=RunStatus.REFUSED if plan.refused else RunStatus.SUCCESS,
        added=len(plan.add),
        updated=len(plan.update) + len(plan.linked),  # a hand-entered record given its account is updated
        removed=len(plan.remove),
        skipped=plan.skipped_count,
        errors=_capped(errors),
        conflicts=tuple(c.as_dict() for c in plan.conflicts[:MAX_RECORDED_CONFLICTS]),
        cursor=None if plan.refused else fetched.cursor,
    )


def _capped(errors: list[str]) -> tuple[str, ...]:
    if len(errors) <= MAX_RECORDED_ERRORS:
        return tuple(errors)
    return (*errors[:MAX_RECORDED_ERRORS], f"… and {len(errors) - MAX_RECORDED_ERRORS} more problems")


def _record(engine: Engine, run: Run) -> Run:
    with engine.begin() as conn:
        sync_store.record_run(conn, run)
    return run


def _failed(engine: Engine, source: str, started: datetime, finished: datetime, error: str) -> Run:
    run = Run(source, started, finished, RunStatus.FAILED, errors=(error,))
    try:
        return _record(engine, run)
    except Exception:  # the database itself is down: the log is all there is
        log.exception("sync %s: the failed run could not be recorded", source)
        return run


def _audit(conn: Connection, run: Run, run_id: int, now: datetime, linked: list[str] | None = None) -> None:
    details = {"run_id": run_id, "status": run.status.value, **run.counts, "conflicts": len(run.conflicts)}
    if linked:
        details["linked"] = linked  # hand-entered departures given their directory account (linking.py)
    if run.status == RunStatus.REFUSED:
        details["reason"] = run.errors[0]
    store.record_audit(conn, at=now, kind=f"sync.{run.source}", actor="sync", details=details)


def _log(run: Run) -> None:
    counts = ", ".join(f"{value} {name}" for name, value in run.counts.items())
    if run.status == RunStatus.REFUSED:
        log.error("sync %s REFUSED, an admin must look: %s", run.source, run.errors[0])
    elif run.status == RunStatus.FAILED:
        log.error("sync %s failed: %s", run.source, run.errors[0])
    else:
        log.info("sync %s: %s; %s; %d conflicts", run.source, run.status.value, counts, len(run.conflicts))
