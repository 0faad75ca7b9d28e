"""LeaverGuard server. `create_app()` builds the Flask app (see server/app.py).

The factory is imported lazily so that the pure modules (model, directory,
signals, policy, messages) can be imported without loading Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from LEAVERGUARD_* environment variables, overridden by `test_config`."""
    from .app import create_app as factory

    return factory(test_config)
