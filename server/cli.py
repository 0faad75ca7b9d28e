"""Command-line entry points (`flask --app server …`): demo seeding; imports and exports; sign-off housekeeping.

Commands parse arguments, call a service, and print what happened; the logic
lives elsewhere (demo.py, imports.py, exports.py). A user's mistake ends with a message
and an exit code, never a traceback: 1 for a file with problems or a database
that is not migrated, 2 (click's own) for a missing file or a wrong option.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Engine

from . import db, demo, exports, import_jobs, imports
from .auth.entra import EntraSettings
from .csv_formats import CLIENTS, DEPARTURES, CsvFormat
from .manifests import gmail, outlook, package
from .manifests.sites import BadBaseUrl
from .model import InvalidAddress, normalise_address
from .sync.cli import sync_cli


@click.group("demo", help="The demo organisation.")
def demo_cli() -> None:
    pass


@demo_cli.command("seed", help="Seed the demo organisation if the database is empty.")
def seed_command() -> None:
    if demo.seed(db.engine(), datetime.now(UTC)):
        click.echo("seeded the demo organisation (Northwind and its clients)")
    else:
        click.echo("the database already has data; demo not seeded")


# --- imports and exports -----------------------------------------------------

_IMPORT_HELP = (
    "Import {kind} from a UTF-8 CSV file with the columns {columns} (required: {required}). {notes} "
    "All or nothing: every bad line is reported and nothing is written unless the whole file is good. "
    "Rows are matched by key and updated, or added."
)
_NOTES = {
    DEPARTURES.name: "Dates are ISO-8601 (2026-11-30 or 2026-11-30T00:00:00Z); PersonalEmails and Aliases are "
    "lists separated by ';'; Status is active (the default) or withdrawn.",
    CLIENTS.name: "Each row gives a Domain, a ContactEmail, or both; an empty OwnerEmail keeps the account's owner.",
}
_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _import_help(fmt: CsvFormat) -> str:
    return _IMPORT_HELP.format(
        kind=fmt.name, columns=", ".join(fmt.columns), required=", ".join(fmt.required), notes=_NOTES[fmt.name]
    )


def _migrated_engine() -> Engine:
    """The app's database, once it is known to be at the newest migration (exit 1 otherwise)."""
    engine = db.engine()
    if not db.is_current(engine):
        raise click.ClickException("the database is not migrated: run `flask --app server db upgrade` first")
    return engine


def _actor(_ctx, _param, value: str | None) -> str:
    """Who the audit log names for a command: the address given with --actor, else `cli:<OS user>`."""
    if value is None:
        return "cli:" + (re.sub(r"[^a-z0-9_.\-]", "_", _os_user().lower()) or "unknown")[:60]
    try:
        return normalise_address(value).email
    except InvalidAddress as exc:
        raise click.BadParameter(f"{value!r} is not an e-mail address: {exc.reason}") from None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a passwd entry or a LOGNAME
        return f"uid{os.getuid()}"


_ACTOR = click.option(
    "--actor",
    callback=_actor,
    metavar="ADDRESS",
    help="Your address, for the audit log (default: cli:<your user name on this machine>).",
)


def _run_import(service: Callable[..., imports.ImportReport], file: Path, dry_run: bool, actor: str) -> None:
    """Run an import and print its report; problems go to stderr, one a line, and exit 1."""
    try:
        report = service(_migrated_engine(), file, dry_run=dry_run, now=datetime.now(UTC), actor=actor)
    except imports.FileChanged as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    except import_jobs.ImportBusy as exc:
        raise click.ClickException(f"{file}: nothing imported: {import_jobs.busy_message(exc)}") from None
    if report.ok:
        click.echo(report.summary())
        return
    for error in report.errors:
        click.echo(f"{file}: {error}", err=True)
    if report.more_errors:
        click.echo(f"{file}: … and {report.more_errors} more problems", err=True)
    click.echo(report.summary(), err=True)
    raise click.exceptions.Exit(1)


@contextmanager
def _output(out: Path | None) -> Iterator[TextIO]:
    """The file to export to (created or replaced), or stdout."""
    if out is None:
        yield sys.stdout  # looked up now, so a test runner's capture sees it
        return
    with out.open("w", encoding="utf-8", newline="") as stream:
        yield stream


def _run_export(service: Callable[..., int], out: Path | None, actor: str) -> None:
    engine = _migrated_engine()  # before `out` is created
    with _output(out) as stream:
        count = service(engine, stream, actor=actor, now=datetime.now(UTC))
    if out is not None:
        click.echo(f"wrote {count} rows to {out}")


def _csv_group(name: str, help_: str, fmt: CsvFormat, import_service, export_service, export_help: str) -> AppGroup:
    """The `<name> import FILE [--dry-run]` and `<name> export [--out FILE]` commands of one CSV format."""
    group = AppGroup(name, help=help_)

    @group.command("import", help=_import_help(fmt))
    @click.argument("file", type=_FILE)
    @click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
    @_ACTOR
    def import_command(file: Path, dry_run: bool, actor: str) -> None:
        _run_import(import_service, file, dry_run, actor)

    @group.command("export", help=export_help + " Audited with who (--actor) and how many rows.")
    @click.option("--out", type=_OUT, help="File to write (default: standard output).")
    @_ACTOR
    def export_command(out: Path | None, actor: str) -> None:
        _run_export(export_service, out, actor)

    return group


departures_cli = _csv_group(
    "departures",
    "The departures register as CSV (Microsoft Purview HR connector columns).",
    DEPARTURES,
    imports.import_departures,
    exports.export_departures,
    "Write the register in the import format.",
)
clients_cli = _csv_group(
    "clients",
    "The client directory as CSV: one row a domain or a contact of an account.",
    CLIENTS,
    imports.import_clients,
    exports.export_clients,
    "Write every domain and contact in the import format.",
)


# --- HR sign-off housekeeping --------------------------------------------------

approvals_cli = AppGroup("approvals", help="HR sign-off requests.")


@approvals_cli.command(
    "tick",
    help="One round of the timed work: remind HR of undecided requests, expire old ones, deliver queued mail, "
    "purge a bounded amount of what is past its retention (LEAVERGUARD_RETAIN_*). "
    "Each web process also does this every LEAVERGUARD_HOUSEKEEPING_INTERVAL seconds; run this from cron "
    "when that is 0.",
)
def tick_command() -> None:
    _migrated_engine()
    done = current_app.extensions["leaverguard.housekeeping_round"]()
    delivery = done.delivery
    click.echo(
        f"reminded {done.reminded}, expired {done.expired}; mail sent {delivery.sent}, "
        f"to retry {delivery.retrying}, failed {delivery.failed}"
    )
    click.echo(f"retention: {done.purged.summary()}")


# --- add-in manifests ----------------------------------------------------------

manifest_cli = AppGroup("manifest", help="Generate the mail add-ins' manifests for admins to deploy.")


@manifest_cli.command(
    "outlook",
    help="Write the Outlook add-in's manifests into OUT: manifest.xml (add-in only manifest) and manifest.json "
    "with its icons and language files, packed as leaverguard-outlook.zip (unified manifest). The Entra ID "
    "application comes from LEAVERGUARD_ENTRA_*, the Smart Alerts send mode from LEAVERGUARD_ADDIN_FAIL_MODE.",
)
@click.option("--base-url", help="The https:// origin serving the add-in (default: LEAVERGUARD_BASE_URL).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
def outlook_manifest_command(base_url: str | None, out: Path) -> None:
    addin = _outlook_addin(base_url)
    try:
        written = package.write(package.outlook_files(addin), out)
    except OSError as exc:
        raise click.ClickException(f"cannot write the manifests to {out}: {exc.strerror or exc}") from None
    click.echo("\n".join(f"wrote {path}" for path in written))
    click.echo(f"add-in id {addin.id}; Smart Alerts send mode {addin.send_mode_xml} (fail mode {addin.fail_mode})")


def _outlook_addin(base_url: str | None) -> outlook.OutlookAddin:
    """The add-in served from `base_url` (exit 2 naming the problem), warning when the server calls another origin."""
    config = current_app.config
    addin = outlook.describe(_site(base_url, outlook.origin), fail_mode=config["ADDIN_FAIL_MODE"], web_app=_web_app())
    if config["BASE_URL"] and config["BASE_URL"].rstrip("/").lower() != addin.origin:
        click.echo(f"warning: LEAVERGUARD_BASE_URL is {config['BASE_URL']}: the add-in's script calls that", err=True)
    return addin


def _site(base_url: str | None, origin: Callable[[str], str]) -> str:
    """The origin an add-in is served from: --base-url, else LEAVERGUARD_BASE_URL (exit 2 naming the problem)."""
    given = base_url or current_app.config["BASE_URL"]
    if not given:
        raise click.BadParameter("give --base-url https://… or set LEAVERGUARD_BASE_URL", param_hint="--base-url")
    try:
        return origin(given)
    except BadBaseUrl as exc:
        hint = "--base-url" if base_url else "LEAVERGUARD_BASE_URL (give --base-url)"
        raise click.BadParameter(str(exc), param_hint=hint) from None


def _web_app() -> outlook.WebApp | None:
    """The API's Entra ID registration for the manifests' SSO section; a warning when there is none."""
    settings = EntraSettings.from_config(current_app.config)
    if settings is None:
        click.echo(
            "warning: LEAVERGUARD_ENTRA_CLIENT_ID and LEAVERGUARD_ENTRA_TENANTS are not set, so the manifests have"
            " no webApplicationInfo and the add-in cannot get Entra ID tokens (usable only with a development server)",
            err=True,
        )
        return None
    return outlook.WebApp(settings.client_id, settings.resource)


@manifest_cli.command(
    "gmail",
    help="Write the Gmail add-on's deployment resource into OUT as gmail-deployment.json, for "
    "`gcloud workspace-add-ons deployments create`. Google calls BASE_URL/gmail/…; the server checks its tokens "
    "against LEAVERGUARD_GMAIL_SERVICE_ACCOUNT and LEAVERGUARD_GMAIL_OAUTH_CLIENT_ID.",
)
@click.option("--base-url", help="The https:// origin Google calls (default: LEAVERGUARD_BASE_URL).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
def gmail_manifest_command(base_url: str | None, out: Path) -> None:
    site = _site(base_url, gmail.origin)
    try:
        written = package.write(package.gmail_files(site), out)
    except OSError as exc:
        raise click.ClickException(f"cannot write the deployment to {out}: {exc.strerror or exc}") from None
    click.echo("\n".join(f"wrote {path}" for path in written))
    click.echo("Google calls: " + ", ".join(gmail.endpoint_urls(site)))
    config = current_app.config
    if not (config.get("GMAIL_SERVICE_ACCOUNT") and config.get("GMAIL_OAUTH_CLIENT_ID")):
        click.echo(
            "warning: set LEAVERGUARD_GMAIL_SERVICE_ACCOUNT and LEAVERGUARD_GMAIL_OAUTH_CLIENT_ID (`gcloud"
            " workspace-add-ons get-authorization` shows both) or the server answers the add-on with 503",
            err=True,
        )


def init_app(app: Flask) -> None:
    from .retention_cli import erase_command, retention_cli  # they use this module's helpers

    departures_cli.add_command(erase_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(approvals_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(departures_cli)
    app.cli.add_command(clients_cli)
    app.cli.add_command(manifest_cli)
    app.cli.add_command(sync_cli)
