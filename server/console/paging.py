"""Keyset pagination and prefix matching that stay fast on big tables.

A page is asked for by the key of the row it starts after (or ends before),
never by an OFFSET, so page 1,000 costs what page 1 does. Prefix matches are
range conditions on an index (`key >= 'kim' AND key < 'kim' + U+10FFFF`),
compared byte by byte: PostgreSQL's B-tree in the database's own collation
(en_US.UTF-8, C.UTF-8 …) cannot answer `LIKE 'kim%'` nor a range correctly,
so on PostgreSQL the key columns are compared `COLLATE "C"` and migration
0005 gives them indexes in that collation; SQLite compares bytes already.

Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, and_

T = TypeVar("T")
PAGE_SIZE = 50
#: The highest code point: every string that starts with a prefix sorts below prefix + this, byte-wise.
_TOP = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, and the keys that open the next and the previous page (None: no such page)."""

    items: tuple[T, ...]
    after: str | None = None
    before: str | None = None


def bytewise(conn: Connection, column: ColumnElement) -> ColumnElement:
    """`column` compared byte by byte (PostgreSQL: COLLATE "C", which migration 0005's indexes use)."""
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def starts_with(conn: Connection, column: ColumnElement, prefix: str) -> ColumnElement[bool]:
    """Rows whose `column` starts with `prefix`, as a range an index on bytewise(column) answers."""
    ordered = bytewise(conn, column)
    return and_(ordered >= prefix, ordered < prefix + _TOP)


def keyset_page(
    conn: Connection,
    query: Select,
    key: ColumnElement,
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
    build: Callable[[Sequence[Any]], Sequence[T]] = tuple,
) -> Page[T]:
    """The page of `query` (whose first column is `key`, unique) after `after` or before `before`.

    `build` turns the page's rows into items (one query for the whole page, not one a row).
    """
    if before is not None:
        return _page_before(conn, query, key, before, size, build)
    if after is not None:
        query = query.where(key > after)
    rows = conn.execute(query.order_by(key).limit(size + 1)).all()
    later, rows = len(rows) > size, rows[:size]
    page_after = _key(rows[-1]) if later else None
    return Page(tuple(build(rows)), after=page_after, before=_key(rows[0]) if after is not None and rows else None)


def _page_before(conn: Connection, query: Select, key: ColumnElement, before: str, size: int, build) -> Page:
    """The page that ends just before `before`: read backwards, shown forwards."""
    rows = conn.execute(query.where(key < before).order_by(key.desc()).limit(size + 1)).all()
    earlier, rows = len(rows) > size, list(reversed(rows[:size]))
    return Page(tuple(build(rows)), after=_key(rows[-1]) if rows else None, before=_key(rows[0]) if earlier else None)


def _key(row: Sequence[Any]) -> str:
    return str(row[0])
