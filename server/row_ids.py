"""Row ids as clients send them: the range every id column holds, and the one parser of ids typed into URLs.

Every table's id is an INTEGER (tables.py): 32-bit on PostgreSQL, which refuses a larger value
in a comparison ("integer out of range"), and SQLite refuses anything beyond 64 bits. An id
outside 1..MAX_ROW_ID therefore names no row, and is answered as one that does not exist
before it reaches the database. The URL converter (web/ids.py) and every `?before=` page
position use parse_row_id.

Pure: stdlib only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

MAX_ROW_ID = 2**31 - 1
_DIGITS = frozenset("0123456789")
_MAX_DIGITS = len(str(MAX_ROW_ID))


def parse_row_id(raw: str) -> int:
    """The id `raw` spells in ASCII digits; ValueError (saying what an id is) for anything outside 1..MAX_ROW_ID."""
    # ASCII digits only: str.isdigit() and int() also accept other scripts' digits, and int() signs and spaces.
    if raw and len(raw) <= _MAX_DIGITS + 20 and set(raw) <= _DIGITS and 1 <= int(raw) <= MAX_ROW_ID:
        return int(raw)
    raise ValueError(f"a row id is a whole number from 1 to {MAX_ROW_ID}")
