"""The report of a CSV import (what it did, or would have done, and every problem by line), and its JSON form.

The JSON form is what an import job keeps in its row (import_jobs.report), so the job page shows the
same report as an import run in the request. Pure: must not import Flask or SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .csv_formats import ErrorLog, LineError


@dataclass(frozen=True, slots=True)
class Tally:
    """Keys of one kind in a file: how many are new, how many were already stored."""

    added: int = 0
    updated: int = 0


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, on a dry run or with errors, would have done)."""

    kind: str
    rows: int
    tallies: dict[str, Tally] = field(default_factory=dict)
    errors: tuple[LineError, ...] = ()
    more_errors: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> int:
        return len(self.errors) + self.more_errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> str:
        """One line for people: rows read and what was added and updated."""
        counts = "; ".join(f"{name} {t.added} added, {t.updated} updated" for name, t in self.tallies.items())
        if not self.ok:
            return f"{self.kind}: {self.rows} rows read, {self.problems} problems; nothing written"
        if self.dry_run:
            return f"{self.kind} (dry run, nothing written): {self.rows} rows checked; {counts}"
        return f"{self.kind}: {self.rows} rows imported; {counts}"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "tallies": {name: [t.added, t.updated] for name, t in self.tallies.items()},
            "errors": [[e.line, e.column, e.value, e.problem] for e in self.errors],
            "more_errors": self.more_errors,
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportReport:
        return cls(
            data["kind"],
            data["rows"],
            {name: Tally(*counts) for name, counts in data["tallies"].items()},
            tuple(LineError(*error) for error in data["errors"]),
            data["more_errors"],
            data["dry_run"],
        )


def failed_report(kind: str, rows: int, errors: ErrorLog) -> ImportReport:
    return ImportReport(kind, rows, errors=errors.shown, more_errors=errors.more)
