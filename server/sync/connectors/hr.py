"""Leavers from HR systems: a Purview HR connector CSV (drop folder or URL), BambooHR and Personio.

- hr-csv: the newest `*.csv` of a drop folder, or the file at a URL, in the
  departures import format (the Microsoft Purview HR connector's
  `EmailAddress, ResignationDate, LastWorkingDate`, plus the optional columns).
  A file is applied once: its SHA-256 is the run's cursor, and the same file
  again is "unchanged". Bad rows are skipped and reported; the rest applies.
- bamboohr: employees with a termination date, from a custom report.
- personio: employees with a termination date or last working day.
Neither HR API has a notice date: the merge keeps the day the leave was first seen.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import requests

from ...adapters import AdapterError
from ...adapters.bamboohr import BambooHRClient
from ...adapters.http import DEFAULT_POLICY, RetryPolicy, send
from ...adapters.personio import PersonioClient
from ...csv_formats import DEPARTURES, LineError, Record, parse_departure, read_records
from ...model import DepartureStatus
from ..records import Fetched, Kind, Leaver, Problem
from ..service import SourceUnavailable
from .common import read_day


class HrCsvError(AdapterError):
    system = "HR CSV"


class HrCsvConnector:
    name = "hr-csv"
    kind = Kind.DEPARTURES

    def __init__(
        self,
        folder: str = "",
        url: str = "",
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        if bool(folder) == bool(url):
            raise SourceUnavailable("hr-csv needs either a drop folder or a URL (not both)")
        self.folder, self._url, self.policy = folder, url, policy
        self.session, self.sleep = session or requests.Session(), sleep

    def fetch(self, context) -> Fetched:
        content, where = self._read()
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        if digest == context.cursor:
            return Fetched(cursor=digest, unchanged=True)
        records, problems = leavers_from_csv(content, where)
        return Fetched(records, problems, cursor=digest)

    def _read(self) -> tuple[bytes, str]:
        if self.folder:
            return newest_csv(Path(self.folder))
        kwargs = {"sleep": self.sleep} if self.sleep else {}
        response = send(self.session, "GET", self._url, error=HrCsvError, policy=self.policy, **kwargs)
        if response.status_code >= 400:  # the URL may carry a signature: it is never shown
            raise HrCsvError(f"the configured URL answered {response.status_code}", status=response.status_code)
        return response.content, "the file at the configured URL"


def newest_csv(folder: Path) -> tuple[bytes, str]:
    """The content and name of the newest `*.csv` in `folder` (older ones were superseded by it)."""
    try:
        files = sorted((p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file()), key=_mtime)
    except OSError as exc:
        raise SourceUnavailable(f"hr-csv: cannot read the folder {folder}: {exc.strerror}") from None
    if not files:
        raise SourceUnavailable(f"hr-csv: no .csv file in {folder}")
    return files[-1].read_bytes(), files[-1].name


def _mtime(path: Path) -> tuple[float, str]:
    return path.stat().st_mtime, path.name


def leavers_from_csv(content: bytes, where: str) -> tuple[tuple[Leaver, ...], tuple[Problem, ...]]:
    """The active rows of a departures file as leavers; bad rows as leavers with problems (still listed)."""
    leavers, problems = [], []
    if len([line for line in content.splitlines() if line.strip()]) == 1:
        return (), ()  # a header and no rows: HR lists no leavers (the merge's empty-answer check applies)
    for item in read_records(io.BytesIO(content), DEPARTURES):
        if isinstance(item, LineError):
            if item.line == 1:  # a header problem: nothing in the file can be trusted
                raise SourceUnavailable(f"hr-csv: {where}: {item}")
            problems.append(Problem(where, str(item)))
            continue
        leaver = _leaver(item)
        if leaver is not None:
            leavers.append(leaver)
    return tuple(leavers), tuple(problems)


def _leaver(record: Record) -> Leaver | None:
    parsed = parse_departure(record)
    ref = f"line {record.line}"
    if parsed.errors:
        email = record.cells.get("EmailAddress", "").strip() or None
        return Leaver(ref, email, None, problems=tuple(f"{ref}: {e.column} {e.problem}" for e in parsed.errors))
    departure = parsed.value
    if departure.status == DepartureStatus.WITHDRAWN:
        return None  # a withdrawn resignation is not a leaver: a synced record of it is removed
    return Leaver(
        ref=ref,
        email=departure.email,
        last_working_date=departure.last_working_date,
        notice_date=departure.notice_date,
        garden_leave_date=departure.garden_leave_date,
        successor=departure.successor,
        aliases=departure.aliases,
        personal_addresses=departure.personal_addresses,
    )


BAMBOOHR_FIELDS = ["id", "workEmail", "homeEmail", "terminationDate", "supervisorEmail"]


class BambooHRConnector:
    name = "bamboohr"
    kind = Kind.DEPARTURES

    def __init__(self, client: BambooHRClient):
        self.client = client

    def fetch(self, context) -> Fetched:
        leavers = (self._leaver(e) for e in self.client.report(BAMBOOHR_FIELDS))
        return Fetched(tuple(leaver for leaver in leavers if leaver is not None))

    @staticmethod
    def _leaver(employee: dict) -> Leaver | None:
        problems: list[str] = []
        last = read_day(employee.get("terminationDate"), "terminationDate", problems)
        if last is None and not problems:
            return None  # not leaving
        home = str(employee.get("homeEmail") or "").strip()
        return Leaver(
            ref=f"employee {employee.get('id', '?')}",
            email=str(employee.get("workEmail") or "").strip() or None,
            last_working_date=last,
            successor=str(employee.get("supervisorEmail") or "").strip() or None,
            personal_addresses=(home,) if home else (),
            problems=tuple(problems),
        )


class PersonioConnector:
    name = "personio"
    kind = Kind.DEPARTURES

    def __init__(self, client: PersonioClient):
        self.client = client

    def fetch(self, context) -> Fetched:
        leavers = (self._leaver(e) for e in self.client.employees())
        return Fetched(tuple(leaver for leaver in leavers if leaver is not None))

    @staticmethod
    def _leaver(employee: dict) -> Leaver | None:
        attributes = employee.get("attributes") or {}
        problems: list[str] = []
        last_day = _value(attributes, "last_working_day") or _value(attributes, "termination_date")
        last = read_day(last_day, "last_working_day", problems)
        if last is None and not problems:
            return None
        supervisor = _value(attributes, "supervisor")
        successor = _value(supervisor.get("attributes") or {}, "email") if isinstance(supervisor, dict) else None
        return Leaver(
            ref=f"employee {_value(attributes, 'id') or '?'}",
            email=_value(attributes, "email") or None,
            last_working_date=last,
            successor=successor or None,
            problems=tuple(problems),
        )


def _value(attributes: dict, name: str):
    """Personio wraps each attribute as {label, value, type}."""
    attribute = attributes.get(name)
    return attribute.get("value") if isinstance(attribute, dict) else None
