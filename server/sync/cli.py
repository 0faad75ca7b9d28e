"""The `flask --app server sync …` commands: one connector, all of them (once or in a loop), and the status.

Commands parse arguments, call the service and print what happened. A
connector that is not configured, or a database that is not migrated, ends
with a message and exit code 1, never a traceback; so does a run that failed
or was refused (for cron and Kubernetes to notice).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .. import db
from ..config import PREFIX, SYNC_CONNECTORS
from . import connectors
from . import store as sync_store
from .records import Run, RunStatus
from .schedule import Loop, stop_on_signals
from .service import SourceUnavailable, SyncSettings, run_once, run_with_retries

sync_cli = AppGroup("sync", help="Sync leavers and clients from their sources of truth (Entra ID, Google, HR, CRM).")

_ACCEPT_DROP = click.option(
    "--accept-drop",
    is_flag=True,
    help="Apply this run even if the source answered nothing or would remove more than the allowed share.",
)


def _settings() -> SyncSettings:
    config = current_app.config
    return SyncSettings(
        max_drop_share=config["SYNC_MAX_DROP_SHARE"],
        lookback_days=config["SYNC_LOOKBACK_DAYS"],
        retries=config["SYNC_RETRIES"],
        retry_backoff=float(config["SYNC_RETRY_BACKOFF"]),
    )


def _engine():
    engine = db.engine()
    if not db.is_current(engine):
        raise click.ClickException("the database is not migrated: run `flask --app server db upgrade` first")
    return engine


def _connector(name: str, **options):
    try:
        return connectors.build(name, current_app.config, **options)
    except SourceUnavailable as exc:
        raise click.ClickException(str(exc)) from None


def _report(run: Run) -> None:
    """One line for the run; its problems to stderr, one a line."""
    counts = ", ".join(f"{value} {name}" for name, value in run.counts.items())
    line = f"{run.source}: {run.status.value}; {counts}; {len(run.conflicts)} conflicts"
    ok = run.status in (RunStatus.SUCCESS, RunStatus.UNCHANGED)
    click.echo(line, err=not ok)
    for error in run.errors[:20]:
        click.echo(f"{run.source}: {error}", err=True)
    if len(run.errors) > 20:
        click.echo(f"{run.source}: … {len(run.errors) - 20} more (`sync status --json` lists them)", err=True)


def _one(name: str):
    @sync_cli.command(name, help=f"Run the {name} sync once (retried with backoff if it fails).")
    @_ACCEPT_DROP
    def command(accept_drop: bool) -> None:
        engine, connector = _engine(), _connector(name)
        run = run_with_retries(engine, connector, _settings(), accept_drop=accept_drop)
        _report(run)
        if run.status in (RunStatus.FAILED, RunStatus.REFUSED):
            raise click.exceptions.Exit(1)

    return command


for _name in SYNC_CONNECTORS:
    _one(_name)


@sync_cli.command("all", help=f"Run every sync in {PREFIX}SYNC_CONNECTORS once, or with --loop at their intervals.")
@click.option("--loop", is_flag=True, help="Keep running each sync at its interval until SIGTERM (for a container).")
def all_command(loop: bool) -> None:
    names = current_app.config["SYNC_CONNECTORS"]
    if not names:
        raise click.ClickException(f"no sync is enabled: set {PREFIX}SYNC_CONNECTORS (e.g. entra,hubspot)")
    engine, settings = _engine(), _settings()
    for name in names:
        _connector(name)  # every one is checked before anything runs
    if loop:
        _loop(engine, names, settings)
        return
    runs = [run_with_retries(engine, _connector(name), settings) for name in names]
    for run in runs:
        _report(run)
    if any(run.status in (RunStatus.FAILED, RunStatus.REFUSED) for run in runs):
        raise click.exceptions.Exit(1)


def _loop(engine, names: tuple[str, ...], settings: SyncSettings) -> None:
    config, stop = current_app.config, threading.Event()
    intervals = {name: float(config[f"SYNC_{name.upper().replace('-', '_')}_INTERVAL"]) for name in names}
    loop = Loop(lambda name: None, intervals, backoff=settings.retry_backoff, stop=stop)  # run set below

    def run(name: str) -> Run:
        connector = connectors.build(name, config, sleep=loop.sleep)
        result = run_once(engine, connector, settings)
        _report(result)
        return result

    loop.run = run
    click.echo(f"syncing {', '.join(names)} until stopped (SIGTERM or Ctrl-C)")
    with stop_on_signals(stop):
        loop.run_forever()


@sync_cli.command("status", help="Each source's last run, last success and conflicts with records entered by hand.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with every error and conflict).")
def status_command(as_json: bool) -> None:
    with _engine().connect() as conn:
        status = sync_store.sync_status(conn)
    enabled = current_app.config["SYNC_CONNECTORS"]
    if as_json:
        click.echo(json.dumps(_status_json(status, enabled), indent=2, ensure_ascii=False))
        return
    if not status:
        click.echo("no sync has run yet" + (f" (enabled: {', '.join(enabled)})" if enabled else ""))
    for source, entry in status.items():
        _print_status(source, entry)


def _print_status(source: str, entry: dict[str, Any]) -> None:
    run: Run = entry["last_run"]
    counts = ", ".join(f"{value} {name}" for name, value in run.counts.items())
    click.echo(f"{source}: last run {_when(run.finished_at)} {run.status.value} ({counts})")
    click.echo(f"  last success: {_when(entry['last_success_at']) if entry['last_success_at'] else 'never'}")
    for error in run.errors[:5]:
        click.echo(f"  problem: {error}")
    for conflict in entry["conflicts"][:20]:
        click.echo(f"  conflict: {conflict['kind']} {conflict['value']} is held by {conflict['held_by']}")
    if len(entry["conflicts"]) > 20:
        click.echo(f"  … {len(entry['conflicts']) - 20} more conflicts (--json lists them)")


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S %Z")


def _status_json(status: dict, enabled: tuple[str, ...]) -> dict[str, Any]:
    sources = {}
    for source, entry in status.items():
        run: Run = entry["last_run"]
        sources[source] = {
            "last_run": {
                "status": run.status.value,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat(),
                **run.counts,
                "errors": list(run.errors),
            },
            "last_success_at": entry["last_success_at"].isoformat() if entry["last_success_at"] else None,
            "conflicts": entry["conflicts"],
        }
    return {"enabled": list(enabled), "sources": sources}
