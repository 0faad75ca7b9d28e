"""Operational endpoints and the front page: /healthz, /readyz, /, /api/v1/ping.

No authentication: these reveal nothing about people or clients.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import db

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up (liveness). Never touches the database: a hung database must not get a live
    process restarted, and this must answer while every database call waits out its timeout."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is current; 503 otherwise, within the check's own time bounds."""
    try:
        with db.check_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        current = db.is_current(db.check_engine())
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", reason=f"database unreachable: {type(exc).__name__}"), 503
    if not current:
        return jsonify(status="unavailable", reason="database schema is not migrated (run `flask db upgrade`)"), 503
    return jsonify(status="ok")


@bp.get("/api/v1/ping")
def ping():
    """A trivial JSON endpoint: the benchmark's yardstick for the check's throughput."""
    return jsonify(status="ok")


@bp.get("/")
def index():
    return render_template("index.html")
