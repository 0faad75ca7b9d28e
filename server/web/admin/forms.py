"""What the register pages' views share: the actor, the clock, versions and page keys of a request, CSV downloads.

Holds no SQL and no rules (they are in server/services); only reading the
request and building responses.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from flask import Response, render_template, request, send_file

from ...services.editing import NoSuchRecord, parse_version
from ..signin import current_user
from . import bp

#: Exports larger than this go to a temporary file instead of memory.
SPOOL_BYTES = 16 * 2**20


def who() -> dict:
    """The `actor` and `now` every change of a service takes."""
    return {"actor": current_user(), "now": datetime.now(UTC)}


def form_version() -> datetime | None:
    """The version of the record the form was opened with (hidden field `version`)."""
    return parse_version(request.form.get("version"))


def page_keys() -> dict[str, str | None]:
    """`after` and `before`: the keys a keyset page starts after or ends before."""
    return {"after": request.args.get("after") or None, "before": request.args.get("before") or None}


def typed_fields() -> dict[str, str]:
    """The posted form as plain strings (what the person typed), the CSRF token and version left out."""
    return {name: value for name, value in request.form.items() if name not in ("csrf_token", "version")}


def csv_download(write: Callable[[TextIO], int], name: str) -> Response:
    """A CSV file download of what `write` writes, with a byte-order mark so spreadsheets read it as UTF-8."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (send_file closes it once sent)
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    write(text)
    text.flush()
    text.detach()
    spool.seek(0)
    filename = f"{name}-{datetime.now(UTC).date().isoformat()}.csv"
    return send_file(spool, mimetype="text/csv", as_attachment=True, download_name=filename, max_age=0)


@bp.errorhandler(NoSuchRecord)
def no_such_record(_exc: NoSuchRecord):
    """404 for a record that is not (or no longer) there: deleted, or removed by a sync meanwhile."""
    description = "There is no such record (any more): someone may have deleted it, or a sync removed it."
    return render_template("error.html", code=404, name="Not Found", description=description), 404
