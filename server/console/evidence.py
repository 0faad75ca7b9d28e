"""One leaver's evidence for HR and legal: every held, warned and approved send, and every sign-off request.

A send counts when its check answered warn, require_approval or block, when it went out on an
approval, when the server refused to decide it (an attempt: its refusal code stands as its finding),
or (monitor-only mode) when it would have been warned or held. Each sign-off request
comes with its justification, attestation, decision, decider, comment and times. `rows()` gives
both as one table, oldest first: the CSV export and the printable page show the same rows.

Pure: stdlib and model only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..model import REFUSED_CHECK, Verdict

COLUMNS = (
    "record",
    "at",
    "audit_id",
    "verdict",
    "findings",
    "recipients",
    "fingerprint",
    "approval_id",
    "approval_status",
    "requested_at",
    "subject",
    "justification",
    "attestation",
    "decided_by",
    "decided_at",
    "comment",
    "consumed_at",
)
_NOT_ALLOWED = {Verdict.WARN.value, Verdict.REQUIRE_APPROVAL.value, Verdict.BLOCK.value, REFUSED_CHECK}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the export holds: the leaver's addresses, their sends that matter, their requests by id."""

    leaver: str
    addresses: tuple[str, ...]
    sends: tuple[Mapping[str, Any], ...]
    requests: Mapping[int, Mapping[str, Any]]  # each with `shown_status`, the status people read


def counts(event: Mapping[str, Any]) -> bool:
    """Whether a check event belongs in the evidence: held, warned, approved, or so in monitor-only mode."""
    if event["verdict"] in _NOT_ALLOWED or event["approval_id"] is not None:
        return True
    return (event["details"] or {}).get("would_be") in _NOT_ALLOWED


def build(leaver: str, addresses: Iterable[str], events, requests) -> Evidence:
    """The evidence from the leaver's check events and sign-off requests (any order)."""
    sends = tuple(sorted((e for e in events if counts(e)), key=lambda e: (e["at"], e["id"])))
    return Evidence(leaver, tuple(addresses), sends, {r["id"]: r for r in requests})


def rows(evidence: Evidence) -> list[dict[str, str]]:
    """Sends and requests as one table, oldest first; a send made on an approval carries that request's facts."""
    table = [_send_row(send, evidence.requests.get(send["approval_id"])) for send in evidence.sends]
    table += [_request_row(request) for request in evidence.requests.values()]
    return sorted(table, key=lambda row: (row["at"], row["record"], int(row["audit_id"] or row["approval_id"])))


def _send_row(event: Mapping[str, Any], request: Mapping[str, Any] | None) -> dict[str, str]:
    refusal = (event["details"] or {}).get("refusal")
    findings = (event["details"] or {}).get("findings") or ([{"code": refusal["code"]}] if refusal else [])
    flagged = sorted({r for f in findings for r in f.get("recipients", [])})
    verdict = event["verdict"]
    would_be = (event["details"] or {}).get("would_be")
    if (event["details"] or {}).get("monitor_only") and would_be and would_be != verdict:
        verdict = f"{verdict} (monitor-only; would be {would_be})"
    row = dict.fromkeys(COLUMNS, "") | {
        "record": "send",
        "at": _when(event["at"]),
        "audit_id": str(event["id"]),
        "verdict": verdict,
        "findings": " ".join(f["code"] for f in findings),
        "recipients": " ".join(flagged),
        "fingerprint": event["fingerprint"] or "",
    }
    if event["approval_id"] is not None:
        row["approval_id"] = str(event["approval_id"])
    return row | (_request_facts(request) if request else {})


def _request_row(request: Mapping[str, Any]) -> dict[str, str]:
    return dict.fromkeys(COLUMNS, "") | {
        "record": "sign-off request",
        "at": _when(request["created_at"]),
        "recipients": " ".join(r["email"] for r in request["recipients"]),
        "fingerprint": request["fingerprint"],
        **_request_facts(request),
    }


def _request_facts(request: Mapping[str, Any]) -> dict[str, str]:
    removed = request.get("content_removed_at")
    gone = f"removed on {removed.date().isoformat()} under the retention policy" if removed else None
    return {
        "approval_id": str(request["id"]),
        "approval_status": request["shown_status"],
        "requested_at": _when(request["created_at"]),
        "subject": gone or request["subject"],
        "justification": gone or request["justification"],
        "attestation": "yes" if request["attestation"] else "no",
        "decided_by": request["decided_by"] or "",
        "decided_at": _when(request["decided_at"]),
        "comment": request["comment"] or "",
        "consumed_at": _when(request["consumed_at"]),
    }


def _when(value: datetime | None) -> str:
    """ISO 8601 in UTC with a Z, to the second: what spreadsheets and lawyers both read."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""
