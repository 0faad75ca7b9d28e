"""The audit log's use cases: filtered pages, one event, the CSV export, and one leaver's evidence.

Both exports are themselves audit events (kind `audit.exported`, with who, what, which filter
and how many rows), written before the first byte goes out. The CSV export holds the matching
events up to the newest one when it starts (so the count it records is the rows it writes,
whatever is audited meanwhile) and streams them a batch at a time (keyset, newest first),
each batch on its own short-lived connection, so a large export holds no transaction open.

Must not import Flask.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from .. import store
from ..approvals import effective_status
from ..console import audit_store, evidence
from ..console.audit_query import AuditFilter, query_args
from ..console.csv_out import csv_lines
from ..model import ApprovalStatus, normalise_address
from .console import Page

AUDIT_PAGE = 50
EXPORT_BATCH = 500
AUDIT_COLUMNS = ("id", "at", "kind", "actor", "verdict", "finding_codes", "fingerprint", "approval_id", "details")


def audit_page(engine: Engine, audit_filter: AuditFilter, before: int | None) -> Page:
    """A page of matching events, newest first."""
    with engine.connect() as conn:
        rows = audit_store.audit_page(conn, audit_filter, before, AUDIT_PAGE)
    items = rows[:AUDIT_PAGE]
    return Page(items, items[-1]["id"] if len(rows) > AUDIT_PAGE else None)


def audit_event(engine: Engine, event_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return audit_store.audit_event(conn, event_id)


def export_audit_csv(engine: Engine, audit_filter: AuditFilter, *, actor: str, now: datetime) -> Iterator[str]:
    """Record the export with its row count, then the CSV lines of every matching event, newest first (a generator)."""
    with engine.connect() as conn:
        before = audit_store.newest_id(conn) + 1  # events audited from now on are not in this export
        count = audit_store.count_events(conn, audit_filter, before)
    details = {"export": "audit.csv", "filter": query_args(audit_filter), "rows": count}
    with engine.begin() as conn:
        store.record_audit(conn, at=now, kind="audit.exported", actor=actor, details=details)
    return csv_lines(AUDIT_COLUMNS, (_audit_row(event) for event in _every_event(engine, audit_filter, before)))


def _every_event(engine: Engine, audit_filter: AuditFilter, before: int) -> Iterator[dict[str, Any]]:
    while True:
        with engine.connect() as conn:
            batch = audit_store.audit_page(conn, audit_filter, before, EXPORT_BATCH)[:EXPORT_BATCH]
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        before = batch[-1]["id"]


def _audit_row(event: dict[str, Any]) -> dict[str, Any]:
    details = event["details"] or {}
    return {
        **{name: event[name] for name in ("id", "kind", "actor", "verdict", "fingerprint", "approval_id")},
        "at": event["at"].astimezone(UTC).isoformat(),
        "finding_codes": " ".join(f.get("code", "") for f in details.get("findings") or []),
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
    }


def leaver_evidence(engine: Engine, leaver: str, *, actor: str, export: str, now: datetime) -> evidence.Evidence:
    """Everything held, warned or approved of one person (their aliases included), recorded as an export.

    Raises InvalidAddress for a `leaver` that is not an address.
    """
    address = normalise_address(leaver)
    with engine.connect() as conn:
        departure = store.find_departure(conn, address.key)
        addresses = (departure.email, *departure.aliases) if departure else (address.email,)
        events = audit_store.checks_by(conn, addresses)
        requests = audit_store.requests_by(conn, [normalise_address(a).key for a in addresses])
    for request in requests:
        request["shown_status"] = effective_status(ApprovalStatus(request["status"]), request["expires_at"], now).value
    found = evidence.build(addresses[0], addresses, events, requests)
    details = {"export": export, "leaver": addresses[0], "rows": len(evidence.rows(found))}
    with engine.begin() as conn:
        store.record_audit(conn, at=now, kind="audit.exported", actor=actor, details=details)
    return found
