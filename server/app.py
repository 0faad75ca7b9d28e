"""The application factory: wires configuration, database, auth, CLI and blueprints into a Flask app."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from . import auth, cli, config, db, housekeeping, logs, services
from .adapters.mail import MailConfigError, make_transport
from .retention import RetentionSettings
from .services.signoff import SignoffSettings
from .web import (
    access,
    addin_api,
    addin_files,
    admin,
    approvals,
    cors,
    dev_outbox,
    errors,
    gmail,
    headers,
    ids,
    limits,
    meta,
    signin,
    signin_google,
    signin_microsoft,
    try_pages,
    well_known,
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from LEAVERGUARD_* environment variables, overridden by `test_config`."""
    app = Flask(__name__, instance_relative_config=True)
    ids.init_app(app)  # first: routes take their converters when added, and a NUL never reaches a view
    app.config.from_mapping(config.load())
    if test_config:
        app.config.from_mapping(test_config)
    _derive(app)
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    db.init_app(app)
    app.extensions["leaverguard.settings_cache"] = services.SettingsCache()  # one per process
    auth.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(meta.bp)
    app.register_blueprint(addin_api.bp)
    app.register_blueprint(well_known.bp)
    app.register_blueprint(addin_files.bp)
    app.register_blueprint(try_pages.bp)  # 404 outside development
    gmail.init_app(app)  # the Gmail add-on: 503 until its settings are there
    cors.init_app(app)
    signin.init_app(app)
    signin_microsoft.init_app(app)  # each sign-in provider is on when it is configured
    signin_google.init_app(app)
    headers.init_app(app)
    access.init_app(app)
    app.register_blueprint(approvals.bp)
    admin.init_app(app)
    limits.init_app(app)  # request limits on the sign-in and approval-link pages only
    if app.config["ENV"] == "development":
        app.register_blueprint(dev_outbox.bp)
    _housekeeping(app)
    problems = config.production_problems(app.config, auth.real_verifiers(app))
    if problems:
        raise RuntimeError("refusing to start in production: " + "; ".join(problems))
    return app


def _housekeeping(app: Flask) -> None:
    """The mail transport, and the thread that delivers mail, reminds HR, expires requests and purges old data."""
    try:
        transport = make_transport(app.config)
    except MailConfigError as exc:
        raise RuntimeError(f"refusing to start: {exc}") from None

    def work() -> housekeeping.Round:
        settings, retain = SignoffSettings.from_config(app.config), RetentionSettings.from_config(app.config)
        engine, now = app.extensions["leaverguard.engine"], datetime.now(UTC)
        mail_from = app.config["MAIL_FROM"]
        return housekeeping.run_once(engine, transport, settings=settings, retain=retain, mail_from=mail_from, now=now)

    interval = 0 if app.config.get("TESTING") else app.config["HOUSEKEEPING_INTERVAL"]
    keeper = housekeeping.Housekeeper(work, interval)
    app.extensions.update({"leaverguard.mail_transport": transport, "leaverguard.housekeeper": keeper})
    app.extensions["leaverguard.housekeeping_round"] = work
    # Started by the first request, so CLI commands and tools that only build the app start no thread.
    app.before_request(keeper.start)


def _derive(app: Flask) -> None:
    """Settings computed from others: database URL default, request size limit, secret key."""
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'leaverguard.db'}"
    # JSON escapes can triple a body's size on the wire; the body's own limit is checked after parsing.
    app.config["MAX_CONTENT_LENGTH"] = 3 * app.config["MAX_BODY_BYTES"] + 256 * 1024
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or "development-only-not-secret"
    development = app.config["ENV"] == "development"
    # Links in mail need an absolute address; in development the default `make run` one.
    app.config["BASE_URL"] = (app.config["BASE_URL"] or ("http://127.0.0.1:5000" if development else "")).rstrip("/")
    app.config["LOG_FORMAT"] = app.config["LOG_FORMAT"] or ("text" if development else "json")
    app.json.sort_keys = False
