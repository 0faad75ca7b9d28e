"""The application factory: wires configuration, database, auth, CLI and blueprints into a Flask app."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import auth, cli, config, db, logs, services
from .web import addin_api, errors, meta


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from LEAVERGUARD_* environment variables, overridden by `test_config`."""
    app = Flask(__name__, instance_relative_config=True)
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
    problems = config.production_problems(app.config, auth.verifiers_of(app).real_schemes)
    if problems:
        raise RuntimeError("refusing to start in production: " + "; ".join(problems))
    return app


def _derive(app: Flask) -> None:
    """Settings computed from others: database URL default, request size limit, secret key."""
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'leaverguard.db'}"
    # JSON escapes can triple a body's size on the wire; the body's own limit is checked after parsing.
    app.config["MAX_CONTENT_LENGTH"] = 3 * app.config["MAX_BODY_BYTES"] + 256 * 1024
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or "development-only-not-secret"
    development = app.config["ENV"] == "development"
    app.config["LOG_FORMAT"] = app.config["LOG_FORMAT"] or ("text" if development else "json")
    app.json.sort_keys = False
