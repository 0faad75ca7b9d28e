"""The audit log's filters, read from query arguments and checked; and the arguments that reproduce them.

Filters: `who` (the actor: an address, or a system actor such as `sync`), `from` and `to`
(dates, both included, in UTC), `verdict`, `kind` (exact, or a family such as `approval.*`),
`code` (a finding code, looked for in the event's details). Pages are keyset-paginated with
`before` (an event id): newest first, never an OFFSET.

Pure: stdlib and model only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from ..model import InvalidAddress, Verdict, normalise_address
from ..row_ids import parse_row_id

_SYSTEM_ACTOR = re.compile(r"^[a-z0-9][a-z0-9_.:\-]{0,63}$")  # `sync`, `leaverguard`, `cli:<OS user>`
_KIND = re.compile(r"^[a-z0-9_\-]+(\.[a-z0-9_\-]+)*(\.\*)?$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    since: date | None = None
    until: date | None = None  # included
    verdict: Verdict | None = None
    kind: str | None = None  # `approval.*` is every kind starting with `approval.`
    code: str | None = None

    def is_empty(self) -> bool:
        return self == AuditFilter()


@dataclass(frozen=True, slots=True)
class ParsedFilter:
    filter: AuditFilter
    before: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def parse_audit_filter(args: Mapping[str, str]) -> ParsedFilter:
    """The filters in `args`; a bad one is named in `errors` (and left out of the filter)."""
    errors: dict[str, str] = {}
    values = {
        "actor": _actor(args.get("who", "").strip(), errors),
        "since": _date(args.get("from", "").strip(), "from", errors),
        "until": _date(args.get("to", "").strip(), "to", errors),
        "verdict": _verdict(args.get("verdict", "").strip(), errors),
        "kind": _matching(_KIND, args.get("kind", "").strip().lower(), "kind", errors, "like check or approval.*"),
        "code": _matching(_CODE, args.get("code", "").strip().lower(), "code", errors, "like client_recipient…"),
    }
    if values["since"] and values["until"] and values["since"] > values["until"]:
        errors["to"] = "the end date is before the start date"
    before = _before(args.get("before", "").strip(), errors)
    return ParsedFilter(AuditFilter(**values), before, errors)


def query_args(audit_filter: AuditFilter) -> dict[str, str]:
    """The query arguments that select `audit_filter` (for links to the next page and the CSV export)."""
    values = {
        "who": audit_filter.actor,
        "from": audit_filter.since.isoformat() if audit_filter.since else None,
        "to": audit_filter.until.isoformat() if audit_filter.until else None,
        "verdict": audit_filter.verdict.value if audit_filter.verdict else None,
        "kind": audit_filter.kind,
        "code": audit_filter.code,
    }
    return {name: value for name, value in values.items() if value}


def _actor(raw: str, errors: dict[str, str]) -> str | None:
    if not raw:
        return None
    if "@" not in raw:
        if _SYSTEM_ACTOR.match(raw.lower()):
            return raw.lower()
        errors["who"] = f"{raw}: neither an e-mail address nor a system actor such as sync"
        return None
    try:
        return normalise_address(raw).email
    except InvalidAddress as exc:
        errors["who"] = f"{raw}: {exc.reason}"
        return None


def _date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{raw}: not a date (YYYY-MM-DD)"
        return None


def _verdict(raw: str, errors: dict[str, str]) -> Verdict | None:
    if not raw:
        return None
    try:
        return Verdict(raw)
    except ValueError:
        errors["verdict"] = f"{raw}: not one of {', '.join(v.value for v in Verdict)}"
        return None


def _matching(pattern: re.Pattern, raw: str, name: str, errors: dict[str, str], example: str) -> str | None:
    if not raw:
        return None
    if not pattern.match(raw):
        errors[name] = f"{raw}: not a {name} ({example})"
        return None
    return raw


def _before(raw: str, errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    try:
        return parse_row_id(raw)
    except ValueError as exc:
        errors["before"] = f"{raw}: not a page position ({exc})"
        return None
