"""The one escape of CSV cells LeaverGuard writes, so no spreadsheet runs them, and its inverse for imports.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel and
LibreOffice read as a formula ("CSV injection"): names, subjects and comments are written by
people (a leaver, a client, a CRM), so such a cell gets a leading `'`, as OWASP advises.
Every export goes through `safe_cell` (console/csv_out.py for the audit and evidence
exports, imports.py for the client and departure exports, the console's and the CLI's).

Imports undo it (`unescaped`, applied by reading.py to every cell), so an exported file
imports back to the same data. To keep that exact, a cell that starts with `'` followed by
what would be escaped gets one more `'`: `'=x` is written `''=x` and read back as `'=x`.
A `'` before anything else (`'Tis Ltd`) is left alone both ways, so a file written by hand
keeps its apostrophes.

Pure: stdlib only. Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_RISKY_FIRST = frozenset((*FORMULA_START, ESCAPE))  # a cheap first test: exports write millions of cells


def needs_escape(text: str) -> bool:
    """True for text a spreadsheet would run, or that reading it back would take for an escaped cell."""
    while text.startswith(ESCAPE):
        text = text[1:]
    return text.startswith(FORMULA_START)


def safe_cell(value: Any) -> str:
    """A cell's text as LeaverGuard writes it: empty for None, and never the start of a formula."""
    text = "" if value is None else str(value)
    return ESCAPE + text if text[:1] in _RISKY_FIRST and needs_escape(text) else text


def unescaped(cell: str) -> str:
    """The text `safe_cell` was given: one leading `'` taken off a cell that was escaped; others unchanged."""
    if cell.startswith(ESCAPE) and needs_escape(cell[1:]):
        return cell[1:]
    return cell
