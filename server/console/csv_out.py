"""CSV for people's spreadsheets: one line at a time (for streaming), and no cell a spreadsheet would run.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel and
LibreOffice read as a formula ("CSV injection"); subjects, justifications and comments are
written by the people being audited, so such a cell gets a leading `'`, as OWASP advises.

Pure: stdlib only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_lines(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The header line, then one line per row (CRLF-terminated, as RFC 4180 has it)."""
    yield _line(columns)
    for row in rows:
        yield _line([safe_cell(row.get(name)) for name in columns])


def safe_cell(value: Any) -> str:
    """A cell's text: empty for None, and never the start of a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()
