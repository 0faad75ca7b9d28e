"""The audit log (/admin/audit): filtered pages, one event's details, the CSV export of the filtered view,
and one leaver's evidence (/admin/audit/evidence?leaver=…) as a printable page or CSV.

The list is readable by everyone on the console; details need READ_AUDIT and exports EXPORT (both admin
and hr), and every export is itself audited with the rows it holds (services.audit_log).
Must not hold SQL or policy logic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Response, abort, render_template, request

from ... import db
from ...console.audit_query import parse_audit_filter, query_args
from ...console.csv_out import csv_lines
from ...console.evidence import COLUMNS, rows
from ...mail_content import when
from ...model import LEAVING_PHASES, InvalidAddress, RecipientClass
from ...policy import APPROVED, SOLICITATION_SIGNAL, SUCCESSOR_IN_COPY, finding_code
from ...services import audit_log
from ..access import Permission, requires
from ..signin import current_user
from . import NAV, bp

NAV.append(("admin.audit", "Audit log"))

KNOWN_KINDS = (
    "check",
    "approval.*",
    "approval.requested",
    "approval.link_opened",
    "approval.decided",
    "approval.reminded",
    "approval.expired",
    "approval.consumed",
    "policy.changed",
    "audit.exported",
    "signin",
    "import.*",
    "sync.*",
)
KNOWN_CODES = tuple(
    dict.fromkeys(
        [finding_code(cls, phase) for phase in LEAVING_PHASES for cls in RecipientClass]
        + [SUCCESSOR_IN_COPY, SOLICITATION_SIGNAL, APPROVED]
    )
)


@bp.get("/audit")
@requires(Permission.READ)
def audit():
    parsed = parse_audit_filter(request.args)
    if parsed.errors:
        return _list_page(parsed, None), 400
    page = audit_log.audit_page(db.engine(), parsed.filter, parsed.before)
    return _list_page(parsed, page)


@bp.get("/audit/<int:event_id>")
@requires(Permission.READ_AUDIT)
def audit_event(event_id: int):
    event = audit_log.audit_event(db.engine(), event_id)
    if event is None:
        abort(404, description=f"There is no audit event {event_id}.")
    return render_template("admin/audit_event.html", event=event, when=when)


@bp.get("/audit/export.csv")
@requires(Permission.EXPORT)
def audit_csv():
    parsed = parse_audit_filter(request.args)
    if parsed.errors:
        return _list_page(parsed, None), 400
    lines = audit_log.export_audit_csv(db.engine(), parsed.filter, actor=current_user(), now=_now())
    return _csv(lines, f"leaverguard-audit-{_now():%Y%m%d-%H%M%S}.csv")


@bp.get("/audit/evidence")
@requires(Permission.EXPORT)
def evidence():
    leaver, as_csv = request.args.get("leaver", "").strip(), request.args.get("format") == "csv"
    if not leaver:
        return render_template("admin/evidence.html", leaver="", error=None, evidence=None)
    export = "evidence.csv" if as_csv else "evidence.html"
    try:
        found = audit_log.leaver_evidence(db.engine(), leaver, actor=current_user(), export=export, now=_now())
    except InvalidAddress as exc:
        page = render_template("admin/evidence.html", leaver=leaver, error=f"{leaver}: {exc.reason}", evidence=None)
        return page, 400
    table = rows(found)
    if as_csv:
        safe_name = re.sub(r"[^A-Za-z0-9@._-]", "_", found.leaver)
        return _csv(csv_lines(COLUMNS, table), f"leaverguard-evidence-{safe_name}.csv")
    return render_template(
        "admin/evidence.html", leaver=leaver, error=None, evidence=found, rows=table, printed_at=_now(), when=when
    )


def _list_page(parsed, page):
    return render_template(
        "admin/audit.html",
        parsed=parsed,
        values=request.args,
        page=page,
        args=query_args(parsed.filter),
        kinds=KNOWN_KINDS,
        codes=KNOWN_CODES,
        when=when,
    )


def _csv(lines, filename: str) -> Response:
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # what people did is not for shared caches
    return response


def _now() -> datetime:
    return datetime.now(UTC)
