"""The database connection of a Flask app: engine creation, migrations, and the `db` CLI.

`init_app(app)` creates two SQLAlchemy engines per app from `DATABASE_URL`
(default: SQLite under the instance folder), each with its time bounds
(db_timeouts): `check_engine()` for the add-in's send-time check and /readyz,
short; `engine()` for everything else. Migrations are Alembic's, run in-process.

Only this module, auth and web/* know Flask.
"""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, create_engine, event

from . import db_timeouts

MIGRATIONS = Path(__file__).parent / "migrations"


def init_app(app: Flask) -> None:
    """Two engines on DATABASE_URL with the configured time bounds, and one breaker for both (one server)."""
    url, config, breaker = app.config["DATABASE_URL"], app.config, db_timeouts.Breaker()
    common = {
        "connect_seconds": config["DB_CONNECT_TIMEOUT_SECONDS"],
        "pool_seconds": config["DB_POOL_TIMEOUT_SECONDS"],
    }
    general = db_timeouts.Bounds(statement_ms=config["DB_STATEMENT_TIMEOUT_MS"], **common)
    check = db_timeouts.Bounds(statement_ms=config["DB_CHECK_TIMEOUT_MS"], **common)
    app.extensions["leaverguard.engine"] = make_engine(url, bounds=general, breaker=breaker)
    app.extensions["leaverguard.check_engine"] = make_engine(url, autocommit=True, bounds=check, breaker=breaker)
    app.cli.add_command(db_cli)


def make_engine(
    url: str,
    *,
    autocommit: bool = False,
    bounds: db_timeouts.Bounds | None = None,
    breaker: db_timeouts.Breaker | None = None,
) -> Engine:
    """An engine for `url` with time `bounds` (db_timeouts); SQLite gets foreign keys and WAL.

    `autocommit` engines are for the send-time check: its reads need no
    transaction and its one write (the audit row) is a single INSERT, so it
    spares the BEGIN and COMMIT round trips (~0.6 ms on PostgreSQL).
    """
    bounds = bounds or db_timeouts.Bounds()
    options = db_timeouts.engine_arguments(url, bounds)
    if autocommit:
        options["isolation_level"] = "AUTOCOMMIT"
    if url.startswith("sqlite"):
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip on every check. A connection the server
    # dropped fails one request with a 503 (the add-in's fail mode handles it) and
    # the pool reconnects; pool_recycle retires connections before idle timeouts.
    engine = create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=10, **options)
    db_timeouts.install(engine, bounds, breaker or db_timeouts.Breaker())
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["leaverguard.engine"]


def check_engine() -> Engine:
    """The current app's autocommit engine, for the send-time check only."""
    return current_app.extensions["leaverguard.check_engine"]


def dispose(app: Flask) -> None:
    """Close every pooled connection of `app` (tests, and a worker shutting down).

    The housekeeping thread, if running, is stopped first: it would open new ones.
    """
    keeper = app.extensions.get("leaverguard.housekeeper")
    if keeper is not None:
        keeper.stop()
    for name in ("leaverguard.engine", "leaverguard.check_engine"):
        app.extensions[name].dispose()


def alembic_config(engine_: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine_
    return config


def upgrade(engine_: Engine) -> None:
    """Bring the schema to the newest migration."""
    command.upgrade(alembic_config(engine_), "head")


def is_current(engine_: Engine) -> bool:
    """True when the database is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(engine_)).get_current_head()
    with engine_.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


@click.group("db", cls=AppGroup, help="Database schema commands.")
def db_cli() -> None:
    pass


@db_cli.command("upgrade", help="Apply every pending migration.")
def upgrade_command() -> None:
    upgrade(engine())
    click.echo("database is up to date")
