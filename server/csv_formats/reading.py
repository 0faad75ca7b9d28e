"""Reading a CSV file of either format: the columns, the header check, rows as Records, problems as LineErrors.

Cells that an export escaped against spreadsheet formulas are read back as they
were (formulas.unescaped), so an exported file imports to the same data.

A problem names its line (numbered as a spreadsheet numbers its rows, the
header being line 1), its column, its value and what is wrong. Files are read
as UTF-8, with or without a byte-order mark.

Pure: stdlib only. Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .formulas import ESCAPE, unescaped

#: How many problems a report lists; the rest are only counted.
MAX_SHOWN_ERRORS = 1000


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


@dataclass(frozen=True, slots=True, order=True)
class LineError:
    """One problem in a file: `column` and `value` are empty for problems of a whole line or file."""

    line: int
    column: str
    value: str
    problem: str

    @property
    def shown_value(self) -> str:
        """The value fit to show (undecodable bytes as U+FFFD, long values cut), for reports and pages."""
        return _shown(self.value)

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
    """A row of stripped cells as a Record, unless it is ragged or holds a NUL or bytes that were not UTF-8."""
    if len(cells) != len(columns):
        problem = f"has {len(cells)} cells but the header has {len(columns)} columns"
        return LineError(line, "", "", problem)
    joined = "".join(cells)
    if "\x00" in joined:  # PostgreSQL's text cannot hold it, and no spreadsheet writes one
        column, cell = next((c, v) for c, v in zip(columns, cells, strict=True) if "\x00" in v)
        return LineError(line, column, cell, "holds a NUL character, which is not text")
    if ESCAPE in joined:  # one C-level scan; most rows have no apostrophe at all
        cells = [unescaped(cell) for cell in cells]  # exports escape formulas (formulas.py): undo it
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
            problems.append(LineError(1, "", cell, f"unknown column; {fmt.name} columns are {listed(fmt.columns)}"))
        elif name in columns:
            problems.append(LineError(1, name, "", "column appears twice in the header"))
        columns.append(name or cell)
    missing = [c for c in fmt.required if c not in columns]
    problems += [LineError(1, c, "", "required column is missing from the header") for c in missing]
    if fmt.one_of and not set(fmt.one_of) & set(columns):
        problems.append(LineError(1, "", "", f"the header needs at least one of {listed(fmt.one_of)}"))
    return columns, problems


def listed(values: Iterable[str]) -> str:
    """Values as a problem lists them: `a, b, c`."""
    return ", ".join(values)
