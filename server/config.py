"""Configuration: every setting LeaverGuard reads from the environment, with its default.

`load(environ)` returns a dict for `app.config`; `check(config)` lists what stops
a production start. Read inside create_app, never at import time. Each entry
here has a row in the README's configuration table.

Must not import Flask.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

PREFIX = "LEAVERGUARD_"


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


# name (without prefix) -> (default, parser, description for humans)
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "ENV": ("production", str, "`development` or `production`"),
    "SECRET_KEY": ("", str, "signs sessions and links; required in production"),
    "BASE_URL": ("", str, "public URL of this server; required in production"),
    "LOG_FORMAT": ("", str, "`json` or `text`; default json in production, text in development"),
    "LOG_LEVEL": ("INFO", str, "Python logging level"),
    "MAX_RECIPIENTS": (500, _positive_int, "most recipients (To+Cc+Bcc) one check may carry"),
    "MAX_BODY_BYTES": (1_000_000, _positive_int, "largest message body (UTF-8 bytes) one check may carry"),
    "MAX_ATTACHMENTS": (250, _positive_int, "most attachments one check may list"),
}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from `environ` (default: os.environ), parsed, with defaults filled in."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for name, (default, parse, _doc) in SETTINGS.items():
        raw = environ.get(PREFIX + name)
        try:
            config[name] = default if raw in (None, "") else parse(raw)
        except ValueError:
            raise SystemExit(f"{PREFIX}{name}={raw!r} is not valid: {SETTINGS[name][2]}") from None
    if config["ENV"] not in ("development", "production"):
        raise SystemExit(f"{PREFIX}ENV must be development or production, not {config['ENV']!r}")
    config["DATABASE_URL"] = environ.get("DATABASE_URL", "")
    return config


def production_problems(config: Mapping[str, Any], real_verifiers: list[str]) -> list[str]:
    """What is missing for a production start (empty when it may start)."""
    if config["ENV"] != "production":
        return []
    problems = []
    if len(config.get("SECRET_KEY") or "") < 32:
        problems.append(f"{PREFIX}SECRET_KEY must be set to at least 32 random characters")
    if not config.get("BASE_URL", "").startswith("https://"):
        problems.append(f"{PREFIX}BASE_URL must be set to the server's https:// address")
    if not real_verifiers:
        problems.append("no token verifier is configured (the development scheme is refused in production)")
    return problems
