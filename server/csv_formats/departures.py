"""The departures format: its columns, a row as a model.Departure, the checks across rows, and writing a row.

The Microsoft Purview HR connector columns `EmailAddress, ResignationDate,
LastWorkingDate` plus `GardenLeaveDate, SuccessorEmail, PersonalEmails,
Aliases, Status` (lists separated by `;`).

A row whose EmailAddress or Aliases are no employee's (outside the company's
domains, or a client's contact: server.directory's rule) has a problem per address.

Pure: stdlib, server.model and server.directory only. Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from ..directory import employee_address_problem
from ..model import Departure, DepartureStatus, normalise_address
from .cells import LIST_SEPARATOR, SOURCE, Parsed, RowParser
from .reading import CsvFormat, LineError, Record, listed

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


def parse_departure(record: Record) -> Parsed[Departure]:
    """One row of a departures file as a model.Departure (source `csv`)."""
    row = RowParser(record)
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


def _status(row: RowParser) -> DepartureStatus:
    value = row.text("Status").lower()
    if not value:
        return DepartureStatus.ACTIVE
    try:
        return DepartureStatus(value)
    except ValueError:
        row.fail("Status", f"must be one of {listed(DepartureStatus)}")
        return DepartureStatus.ACTIVE


def _check_dates(row: RowParser, notice: date | None, last: date | None, garden: date | None) -> None:
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
        primary = normalise_address(departure.email).key
        if primary in self._owner and self._owner[primary][0] == primary:
            return [LineError(line, "EmailAddress", departure.email, f"is already on line {self._owner[primary][1]}")]
        problems = []
        for column, email in [("EmailAddress", departure.email)] + [("Aliases", a) for a in departure.aliases]:
            key = normalise_address(email).key
            owner, first = self._owner.setdefault(key, (primary, line))
            if owner != primary:
                problems.append(LineError(line, column, email, f"is also an address of {owner} (line {first})"))
        return problems


def work_addresses(departure: Departure) -> list[tuple[str, str]]:
    """(column, address) of every address a departure sends as: its EmailAddress, then its Aliases."""
    return [("EmailAddress", departure.email)] + [("Aliases", alias) for alias in departure.aliases]


def no_employee_problems(
    line: int, departure: Departure, internal_domains: frozenset[str], contacts: Mapping[str, str]
) -> list[LineError]:
    """The problems of a row whose work addresses are no employee's (`contacts`: key -> a client account's name)."""
    problems = []
    for column, email in work_addresses(departure):
        if problem := employee_address_problem(normalise_address(email), internal_domains, contacts):
            problems.append(LineError(line, column, email, problem))
    return problems


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
