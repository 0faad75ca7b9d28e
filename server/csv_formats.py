"""The CSV formats of the departures register and of the client directory.

Holds the columns of each format, the header check, and the parsing of one row
into model values with precise problems: the line (numbered as a spreadsheet
numbers its rows, the header being line 1), the column, the value, what is
wrong. Files are read as UTF-8, with or without a byte-order mark.

Departures: the Microsoft Purview HR connector columns `EmailAddress,
ResignationDate, LastWorkingDate` plus `GardenLeaveDate, SuccessorEmail,
PersonalEmails, Aliases, Status` (lists separated by `;`).
Clients: `Account, Domain, ContactEmail, ContactName, OwnerEmail`, one row a
domain or a contact (or both).

Pure: stdlib and server.model only. Must not import Flask, SQLAlchemy or the
store; the import service does the I/O around it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import BinaryIO, Generic, TypeVar

from .model import Address, Departure, DepartureStatus, InvalidAddress, normalise_address, normalise_domain

#: How many problems a report lists; the rest are only counted.
MAX_SHOWN_ERRORS = 1000
LIST_SEPARATOR = ";"
SOURCE = "csv"
#: Column widths of server/tables.py that a cell must fit in.
MAX_NAME_LENGTH = 200

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """The columns of one format, in the order exports write them."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    #: At least one of these columns must be in the header.
    one_of: tuple[str, ...] = ()

    @property
    def optional(self) -> frozenset[str]:
        return frozenset(self.columns) - frozenset(self.required)


DEPARTURES = CsvFormat(
    "departures",
    columns=(
        "EmailAddress",
        "ResignationDate",
        "LastWorkingDate",
        "GardenLeaveDate",
        "SuccessorEmail",
        "PersonalEmails",
        "Aliases",
        "Status",
    ),
    required=("EmailAddress", "ResignationDate", "LastWorkingDate"),
)
CLIENTS = CsvFormat(
    "clients",
    columns=("Account", "Domain", "ContactEmail", "ContactName", "OwnerEmail"),
    required=("Account",),
    one_of=("Domain", "ContactEmail"),
)


@dataclass(frozen=True, slots=True, order=True)
class LineError:
    """One problem in a file: `column` and `value` are empty for problems of a whole line or file."""

    line: int
    column: str
    value: str
    problem: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        if self.value:
            where += f" {_shown(self.value)!r}"
        return f"{where}: {self.problem}"


def _shown(value: str, limit: int = 80) -> str:
    """A cell as a report shows it: undecodable bytes as U+FFFD, long values cut."""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ErrorLog:
    """The `cap` earliest problems by line, and how many there were in all.

    Problems may arrive out of line order (row checks first, then checks across
    rows); keeping a sorted, trimmed list keeps memory bounded either way.
    """

    def __init__(self, cap: int = MAX_SHOWN_ERRORS):
        self.cap = cap
        self.total = 0
        self._kept: list[LineError] = []

    def add(self, errors: Iterable[LineError]) -> None:
        for error in errors:
            self.total += 1
            self._kept.append(error)
            if len(self._kept) >= 2 * self.cap:
                self._trim()

    def _trim(self) -> None:
        self._kept = sorted(self._kept, key=lambda e: e.line)[: self.cap]  # stable: a line keeps its column order

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def shown(self) -> tuple[LineError, ...]:
        self._trim()
        return tuple(self._kept)

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


# --- reading a file ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One data row: its line number and its cells (stripped) by canonical column name."""

    line: int
    cells: dict[str, str]


def read_records(stream: BinaryIO, fmt: CsvFormat) -> Iterator[Record | LineError]:
    """The data rows of a UTF-8 CSV file, or the problems that stop it being read.

    Header problems end the file (nothing below a wrong header can be trusted);
    a ragged row or undecodable bytes are problems of that row only. Rows with
    nothing but empty cells are skipped but still counted, as a spreadsheet does.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from _records(csv.reader(text, strict=True), fmt)
    finally:
        text.detach()  # the caller's stream stays open (departures are read twice)


def _records(reader, fmt: CsvFormat) -> Iterator[Record | LineError]:
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield LineError(1, "", "", f"not valid CSV ({exc}); check the quotes on this line")
        return
    if header is None or not any(cell.strip() for cell in header):
        yield LineError(1, "", "", f"the file is empty; line 1 must be the header: {','.join(fmt.columns)}")
        return
    columns, problems = match_header(header, fmt)
    if problems:
        yield from problems
        return
    yield from _data_rows(reader, columns, fmt)


def _data_rows(reader, columns: list[str], fmt: CsvFormat) -> Iterator[Record | LineError]:
    line, rows = 1, 0
    try:
        for raw in reader:
            line += 1
            cells = list(map(str.strip, raw))
            if not any(cells):
                continue
            rows += 1
            yield _record(line, cells, columns)
    except csv.Error as exc:
        yield LineError(line + 1, "", "", f"not valid CSV ({exc}); check the quotes on this line")
        return
    if rows == 0:
        yield LineError(1, "", "", f"the file has a header but no data rows ({fmt.name} expected)")


def _record(line: int, cells: list[str], columns: list[str]) -> Record | LineError:
    """A row of stripped cells as a Record, unless it is ragged or holds bytes that were not UTF-8."""
    if len(cells) != len(columns):
        problem = f"has {len(cells)} cells but the header has {len(columns)} columns"
        return LineError(line, "", "", problem)
    if not all(map(str.isascii, cells)):  # the common case costs one C-level pass
        for column, cell in zip(columns, cells, strict=True):
            if _undecodable(cell):
                return LineError(line, column, cell, "is not UTF-8 text; save the file as 'CSV UTF-8'")
    return Record(line, dict(zip(columns, cells, strict=True)))


def _undecodable(cell: str) -> bool:
    """True when the cell holds bytes that were not UTF-8 (decoded as lone surrogates)."""
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def match_header(header: list[str], fmt: CsvFormat) -> tuple[list[str], list[LineError]]:
    """The canonical column names of `header` (matched ignoring case and spaces), or its problems."""
    if len(header) == 1 and ";" in header[0]:  # a spreadsheet set to a European locale
        return header, [LineError(1, "", header[0], "columns are separated by ';'; save the file as CSV (commas)")]
    by_lower = {c.lower(): c for c in fmt.columns}
    columns: list[str] = []
    problems: list[LineError] = []
    for cell in header:
        name = by_lower.get(cell.strip().lower())
        if name is None:
            problems.append(LineError(1, "", cell, f"unknown column; {fmt.name} columns are {_listed(fmt.columns)}"))
        elif name in columns:
            problems.append(LineError(1, name, "", "column appears twice in the header"))
        columns.append(name or cell)
    missing = [c for c in fmt.required if c not in columns]
    problems += [LineError(1, c, "", "required column is missing from the header") for c in missing]
    if fmt.one_of and not set(fmt.one_of) & set(columns):
        problems.append(LineError(1, "", "", f"the header needs at least one of {_listed(fmt.one_of)}"))
    return columns, problems


def _listed(columns: Iterable[str]) -> str:
    return ", ".join(columns)


# --- cells -----------------------------------------------------------------

# A plain `local@domain` that email.utils.getaddresses returns unchanged: for
# these, parsing the address again per row is the slow part of a big import.
_PLAIN_ADDRESS = re.compile(r"([A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")


def parse_address(value: str) -> Address:
    """model.normalise_address, with a fast path for plain addresses; the result is the same."""
    plain = _PLAIN_ADDRESS.fullmatch(value)
    if plain is None or len(plain.group(1)) > 64:
        return normalise_address(value)
    try:
        domain = parse_domain(plain.group(2))
    except ValueError as exc:
        raise InvalidAddress(value, str(exc)) from None
    return Address(local=plain.group(1).lower(), domain=domain)


_LDH_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LDH_DOMAIN = re.compile(rf"{_LDH_LABEL}(?:\.{_LDH_LABEL})+")


# An account's owner, a leaver's successor: the same few addresses on many rows.
_parse_repeated_address = lru_cache(maxsize=4096)(parse_address)


@lru_cache(maxsize=16384)
def parse_domain(value: str) -> str:
    """model.normalise_domain, remembered, with a fast path; the result is the same.

    IDNA leaves a lowercase letters-digits-hyphens name unchanged, unless a
    label has hyphens in its 3rd and 4th places (an `xn--` label, which it
    decodes and checks): those, and everything non-ASCII, take the slow path.
    """
    text = value.strip().rstrip(".").lower()
    if len(text) <= 253 and _LDH_DOMAIN.fullmatch(text) and "--" not in {label[2:4] for label in text.split(".")}:
        return text
    return normalise_domain(value)


def parse_date(value: str) -> date:
    """An ISO-8601 date, or the date part of an ISO-8601 date and time (`2026-11-30T00:00:00Z`)."""
    if len(value) <= 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).date()


class _Row:
    """One record being parsed: reads its cells and collects what is wrong with them."""

    def __init__(self, record: Record):
        self.line = record.line
        self.cells = record.cells
        self.errors: list[LineError] = []

    def text(self, column: str) -> str:
        return self.cells.get(column, "")

    def fail(self, column: str, problem: str, value: str | None = None) -> None:
        shown = self.text(column) if value is None else value
        self.errors.append(LineError(self.line, column, shown, problem))

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            self.fail(column, "is required")
        return value

    def name(self, column: str, *, required: bool = False) -> str:
        value = self.required(column) if required else self.text(column)
        if len(value) > MAX_NAME_LENGTH:
            self.fail(column, f"is longer than {MAX_NAME_LENGTH} characters")
        return value

    def address(self, column: str, *, required: bool = False, repeated: bool = False) -> Address | None:
        """The cell as an Address; `repeated` for a column whose few values recur on many rows."""
        value = self.required(column) if required else self.text(column)
        return self._address(column, value, repeated) if value else None

    def _address(self, column: str, value: str, repeated: bool = False) -> Address | None:
        try:
            return _parse_repeated_address(value) if repeated else parse_address(value)
        except InvalidAddress as exc:
            self.fail(column, f"is not an e-mail address: {exc.reason}", value)
            return None

    def addresses(self, column: str) -> tuple[Address, ...]:
        values = [v.strip() for v in self.text(column).split(LIST_SEPARATOR)]
        parsed = [self._address(column, v) for v in values if v]
        return tuple(a for a in parsed if a is not None)

    def domain(self, column: str) -> str | None:
        value = self.text(column)
        if not value:
            return None
        try:
            return parse_domain(value)
        except ValueError as exc:
            self.fail(column, f"is not a domain name: {exc}")
            return None

    def date(self, column: str, *, required: bool = False) -> date | None:
        value = self.required(column) if required else self.text(column)
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError:
            self.fail(column, "is not an ISO-8601 date (YYYY-MM-DD)")
            return None


# --- departures --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """What one row became: a value, or the problems that stop it being one."""

    line: int
    value: T | None
    errors: tuple[LineError, ...] = ()


def parse_departure(record: Record) -> Parsed[Departure]:
    """One row of a departures file as a model.Departure (source `csv`)."""
    row = _Row(record)
    email = row.address("EmailAddress", required=True)
    notice = row.date("ResignationDate", required=True)
    last = row.date("LastWorkingDate", required=True)
    garden = row.date("GardenLeaveDate")
    successor = row.address("SuccessorEmail", repeated=True)
    personal, aliases = row.addresses("PersonalEmails"), row.addresses("Aliases")
    status = _status(row)
    _check_dates(row, notice, last, garden)
    if email and successor and email.key == successor.key:
        row.fail("SuccessorEmail", "is the leaver themselves")
    if row.errors:
        return Parsed(row.line, None, tuple(row.errors))
    departure = Departure(
        email=email.email,
        notice_date=notice,
        last_working_date=last,
        garden_leave_date=garden,
        successor=successor.email if successor else None,
        aliases=tuple(a.email for a in aliases),
        personal_addresses=tuple(a.email for a in personal),
        status=status,
        source=SOURCE,
    )
    return Parsed(row.line, departure)


def _status(row: _Row) -> DepartureStatus:
    value = row.text("Status").lower()
    if not value:
        return DepartureStatus.ACTIVE
    try:
        return DepartureStatus(value)
    except ValueError:
        row.fail("Status", f"must be one of {_listed(DepartureStatus)}")
        return DepartureStatus.ACTIVE


def _check_dates(row: _Row, notice: date | None, last: date | None, garden: date | None) -> None:
    if notice and last and last < notice:
        row.fail("LastWorkingDate", f"is before ResignationDate ({notice.isoformat()})")
    if garden and notice and garden < notice:
        row.fail("GardenLeaveDate", f"is before ResignationDate ({notice.isoformat()})")
    if garden and last and garden > last:
        row.fail("GardenLeaveDate", f"is after LastWorkingDate ({last.isoformat()})")


#: Optional departures columns and the Departure fields they fill.
_OPTIONAL_DEPARTURE_FIELDS = {
    "GardenLeaveDate": "garden_leave_date",
    "SuccessorEmail": "successor",
    "PersonalEmails": "personal_addresses",
    "Aliases": "aliases",
    "Status": "status",
}


def keep_unstated(departure: Departure, stored: Departure | None, columns: Iterable[str]) -> Departure:
    """`departure` with `stored`'s values for the optional columns the file does not have.

    A file with only the Purview columns must not wipe a successor or aliases
    recorded some other way; an empty cell in a column the file has does clear.
    """
    if stored is None:
        return departure
    given = set(columns)
    kept = {
        field: getattr(stored, field) for column, field in _OPTIONAL_DEPARTURE_FIELDS.items() if column not in given
    }
    return replace(departure, **kept)


class DepartureClaims:
    """Who in a departures file sends as which address, to catch a person or an address given twice.

    Holds one entry per primary address and alias of the file: departures files
    are the size of a company's list of leavers, so this stays small.
    """

    def __init__(self) -> None:
        self._owner: dict[str, tuple[str, int]] = {}  # address key -> (primary key, line)

    def claim(self, line: int, departure: Departure) -> list[LineError]:
        """The problems of `departure` (on `line`) with the rows before it; records its addresses."""
        primary = parse_address(departure.email).key
        if primary in self._owner and self._owner[primary][0] == primary:
            return [LineError(line, "EmailAddress", departure.email, f"is already on line {self._owner[primary][1]}")]
        problems = []
        for column, email in [("EmailAddress", departure.email)] + [("Aliases", a) for a in departure.aliases]:
            key = parse_address(email).key
            owner, first = self._owner.setdefault(key, (primary, line))
            if owner != primary:
                problems.append(LineError(line, column, email, f"is also an address of {owner} (line {first})"))
        return problems


# --- clients -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientRow:
    """One row of a clients file: a domain or a contact (or both) of an account."""

    account: str
    domain: str | None
    contact: Address | None
    contact_name: str
    owner: str | None


def parse_client(record: Record) -> Parsed[ClientRow]:
    """One row of a clients file as a ClientRow; whether two rows disagree is checked across the file."""
    row = _Row(record)
    account = row.name("Account", required=True)
    domain = row.domain("Domain")
    contact = row.address("ContactEmail")
    name = row.name("ContactName")
    owner = row.address("OwnerEmail", repeated=True)
    if not row.text("Domain") and not row.text("ContactEmail"):
        row.fail("", "needs a Domain or a ContactEmail (or both)", "")
    elif name and not row.text("ContactEmail"):
        row.fail("ContactName", "is given without a ContactEmail")
    if row.errors:
        return Parsed(row.line, None, tuple(row.errors))
    return Parsed(row.line, ClientRow(account, domain, contact, name, owner.email if owner else None))


def claimed_twice(line: int, column: str, value: str, first_line: int, first: str) -> LineError:
    """The problem of a later row that gives `value` to another account (or an account another owner)."""
    if column == "OwnerEmail":
        return LineError(line, column, value, f"differs from the account's owner on line {first_line} ({first})")
    return LineError(line, column, value, f"already belongs to account {first!r} on line {first_line}")


# --- writing -----------------------------------------------------------------


def departure_cells(departure: Departure) -> list[str]:
    """One row of a departures file, in DEPARTURES.columns order."""
    return [
        departure.email,
        departure.notice_date.isoformat(),
        departure.last_working_date.isoformat(),
        departure.garden_leave_date.isoformat() if departure.garden_leave_date else "",
        departure.successor or "",
        LIST_SEPARATOR.join(departure.personal_addresses),
        LIST_SEPARATOR.join(departure.aliases),
        departure.status.value,
    ]
