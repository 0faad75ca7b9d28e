"""Rows of the console's queries as plain dicts with aware datetimes. Must not import Flask."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from ..store import _aware


def plain(row: Row, *datetimes: str) -> dict[str, Any]:
    """`row` as a dict, its columns `datetimes` made aware (SQLite hands back naive ones for stored UTC)."""
    values = dict(row._mapping)
    return values | {name: _aware(values[name]) for name in datetimes}
