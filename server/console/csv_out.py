"""CSV for people's spreadsheets: one line at a time (for streaming), and no cell a spreadsheet would run.

Every cell goes through csv_formats.formulas.safe_cell, the one escape every export uses:
subjects, justifications and comments are written by the people being audited.

Pure: stdlib only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..csv_formats.formulas import safe_cell


def csv_lines(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The header line, then one line per row (CRLF-terminated, as RFC 4180 has it)."""
    yield _line(columns)
    for row in rows:
        yield _line([safe_cell(row.get(name)) for name in columns])


def _line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()
