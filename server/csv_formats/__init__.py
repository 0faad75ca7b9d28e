"""The CSV formats of the departures register and of the client directory.

Holds, one module a subject, the columns of each format, the header check, and
the parsing of one row into model values with precise problems (line, column,
value, what is wrong); this package re-exports the names its users need.

- reading.py: CsvFormat, LineError, ErrorLog, Record, read_records (either format);
- cells.py: RowParser (one row's cells as model values), Parsed, parse_date;
- departures.py: DEPARTURES, parse_departure, keep_unstated, DepartureClaims, departure_cells,
  work_addresses, no_employee_problems;
- clients.py: CLIENTS, ClientRow, parse_client, claimed_twice.

Pure: stdlib and server.model only. Must not import Flask, SQLAlchemy or the
store; the import service (server/imports.py) does the I/O around it.
"""

from __future__ import annotations

from .cells import SOURCE, Parsed, parse_date
from .clients import CLIENTS, ClientRow, claimed_twice, parse_client
from .departures import (
    DEPARTURES,
    DepartureClaims,
    departure_cells,
    keep_unstated,
    no_employee_problems,
    parse_departure,
    work_addresses,
)
from .reading import MAX_SHOWN_ERRORS, CsvFormat, ErrorLog, LineError, Record, match_header, read_records

__all__ = [
    "CLIENTS",
    "DEPARTURES",
    "MAX_SHOWN_ERRORS",
    "SOURCE",
    "ClientRow",
    "CsvFormat",
    "DepartureClaims",
    "ErrorLog",
    "LineError",
    "Parsed",
    "Record",
    "claimed_twice",
    "departure_cells",
    "keep_unstated",
    "match_header",
    "no_employee_problems",
    "parse_client",
    "parse_date",
    "parse_departure",
    "read_records",
    "work_addresses",
]
