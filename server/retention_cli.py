"""Retention commands: `flask retention purge` (everything past its period, now) and `flask departures erase`.

Housekeeping purges a bounded amount every tick; `retention purge` drains a backlog at once
(the first run on a database that never purged). Commands print what they did; a refusal
exits 1 with the reason (for an erasure, the first day it becomes possible).
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .cli import _migrated_engine
from .model import InvalidAddress
from .retention import RetentionSettings
from .services import retention

retention_cli = AppGroup("retention", help="What LeaverGuard keeps, and for how long (LEAVERGUARD_RETAIN_*).")


@retention_cli.command(
    "purge",
    help="Remove now everything past its retention: the content of sign-off requests that ended more than "
    "RETAIN_MESSAGE_DAYS ago and their sent mails; audit events and ended requests older than RETAIN_AUDIT_DAYS. "
    "Housekeeping does the same a bounded amount at a time; this drains a backlog.",
)
def purge_command() -> None:
    engine = _migrated_engine()
    settings = RetentionSettings.from_config(current_app.config)
    click.echo(retention.purge_all(engine, settings, datetime.now(UTC)).summary())


@click.command(
    "erase",
    help="Erase the departure record of ADDRESS (its primary address or an alias) with its aliases and personal "
    "addresses, once RETAIN_DEPARTURE_DAYS have passed since the last working day. Audit events lose their copies "
    "of the personal addresses; the erasure is audited without them.",
)
@click.argument("address")
@click.option("--dry-run", is_flag=True, help="Say what would be erased; change nothing.")
@with_appcontext  # added to cli.py's `departures` group, whose own commands get this from AppGroup
def erase_command(address: str, dry_run: bool) -> None:
    engine = _migrated_engine()
    settings = RetentionSettings.from_config(current_app.config)
    try:
        done = retention.erase_departure(
            engine, address, settings=settings, actor="cli", now=datetime.now(UTC), dry_run=dry_run
        )
    except InvalidAddress as exc:
        raise click.ClickException(f"{address}: {exc.reason}") from None
    except retention.NoSuchDeparture:
        raise click.ClickException(f"{address}: nobody in the departures register sends as this address") from None
    except retention.NotYetErasable as exc:
        raise click.ClickException(
            f"{exc.email}: the record is kept {settings.departure_days} days after the last working day "
            f"({exc.last_working_date.isoformat()}); it can be erased from {exc.erasable_from.isoformat()}"
        ) from None
    what = (
        f"the departure of {done.email} (last working day {done.last_working_date.isoformat()}) with "
        f"{done.aliases} aliases and {done.personal_addresses} personal addresses; {done.events_scrubbed} audit "
        "events lose their copies of the personal addresses"
    )
    click.echo(("would erase " if dry_run else "erased ") + what)
