"""The cells of one row as model values: RowParser reads them and collects what is wrong, Parsed is the outcome.

Shared by the departures and the clients formats. Addresses and domains are
parsed by server.model's normalise_address and normalise_domain; only their
problems are worded here, as a report names them.

Pure: stdlib and server.model only. Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Generic, TypeVar

from ..model import Address, InvalidAddress, normalise_address, normalise_domain
from .reading import LineError, Record

LIST_SEPARATOR = ";"
#: What imported rows record as their source.
SOURCE = "csv"
#: Column widths of server/tables.py that a cell must fit in.
MAX_NAME_LENGTH = 200

T = TypeVar("T")

# An account's owner, a leaver's successor: the same few addresses on many rows.
_normalise_repeated_address = lru_cache(maxsize=4096)(normalise_address)


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """What one row became: a value, or the problems that stop it being one."""

    line: int
    value: T | None
    errors: tuple[LineError, ...] = ()


def parse_date(value: str) -> date:
    """An ISO-8601 date, or the date part of an ISO-8601 date and time (`2026-11-30T00:00:00Z`)."""
    if len(value) <= 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).date()


class RowParser:
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
            return _normalise_repeated_address(value) if repeated else normalise_address(value)
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
            return normalise_domain(value)
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
