"""Exports of the departures register and the client directory as CSV files, in the formats imports read.

Every cell goes through csv_formats.formulas.safe_cell, so no spreadsheet runs
one as a formula, and reading a file (server/imports.py) undoes the escape, so
importing an export changes nothing. Every export is audited (`audit.exported`:
who, which export, how many rows) once written and before the caller hands the
file on; the console and the CLI (`flask … clients|departures export`) both
come through here. Rows are streamed: the client directory may hold millions.

Must not import Flask.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TextIO

from sqlalchemy import Engine

from . import bulk_clients, bulk_departures, store
from .csv_formats import CLIENTS, DEPARTURES, CsvFormat, departure_cells
from .csv_formats.formulas import safe_cell


def export_departures(engine: Engine, stream: TextIO, *, actor: str, now: datetime) -> int:
    """Write the register as a departures file, audited; the number of rows written."""
    with engine.connect() as conn:
        rows = (departure_cells(d) for batch in bulk_departures.departure_batches(conn) for d in batch)
        count = _write_csv(stream, DEPARTURES.columns, rows)
    _audit_export(engine, DEPARTURES, count, actor, now)
    return count


def export_clients(engine: Engine, stream: TextIO, *, actor: str, now: datetime) -> int:
    """Write the client directory as a clients file, streamed, audited; the number of rows written."""
    with engine.connect() as conn:
        count = _write_csv(stream, CLIENTS.columns, bulk_clients.client_export_rows(conn))
    _audit_export(engine, CLIENTS, count, actor, now)
    return count


def _write_csv(stream: TextIO, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write a header and `rows` (streamed), no cell a formula; the number of rows written."""
    writer = csv.writer(stream)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def _audit_export(engine: Engine, fmt: CsvFormat, rows: int, actor: str, now: datetime) -> None:
    """The audit event of an export: the kind every export has (the audit and evidence exports' too)."""
    details = {"export": f"{fmt.name}.csv", "rows": rows}
    with engine.begin() as conn:  # its own transaction: SQLite cannot turn the export's reading one into a writer
        store.record_audit(conn, at=now, kind="audit.exported", actor=actor, details=details)
