"""What a URL and a form may carry before a view sees it: row ids in range, and no NUL character anywhere.

`<int:…>` in a route is a row id (every integer in our URLs is one): RowIdConverter, installed
as `int` by init_app before any blueprint adds a route, matches only ASCII digits naming an id
in 1..MAX_ROW_ID (row_ids.py), so a larger one is a plain 404 (SQLite raised OverflowError past
2**63 and PostgreSQL "integer out of range" past 2**31 - 1: both were 500s). A NUL character
in the path or in a query argument is refused before routing: PostgreSQL cannot hold one in
text ("text fields cannot contain NUL"), so a search or page key carrying it was a 500.

Must not import services, the store or the database.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.exceptions import NotFound
from werkzeug.routing.converters import IntegerConverter

from ..row_ids import parse_row_id


class RowIdConverter(IntegerConverter):
    """A path segment that is a row id: ASCII digits, 1..MAX_ROW_ID; other digits are a 404."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        try:
            return parse_row_id(value)
        except ValueError as exc:
            # NotFound, not werkzeug's ValidationError: Werkzeug converts after it has picked the rule, and a
            # ValidationError then reads as 405 when the same path has a rule for another method.
            raise NotFound(f"There is no record {value[:20]}: {exc}.") from None


def init_app(app: Flask) -> None:
    """Call before any route is added: a rule picks its converters when it is added."""
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    """404 for a NUL in the path (no route names one), 400 for a NUL in a query argument or a form field.

    Only plain forms are read here: an upload (multipart) is read by its own view under its own size
    limit, and a CSV line with a NUL is a bad line of the file.
    """
    if "\x00" in request.path:
        abort(404)
    if _has_nul(request.args):
        abort(400, description="A query argument contains a NUL character.")
    if request.mimetype == "application/x-www-form-urlencoded" and _has_nul(request.form):
        abort(400, description="A form field contains a NUL character.")


def _has_nul(fields) -> bool:
    return any("\x00" in name or "\x00" in value for name, value in fields.items(multi=True))


def query_row_id(name: str) -> int | None:
    """The row id in query argument `name` (a `?before=` page position); None when absent; 400 when not an id."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    try:
        return parse_row_id(raw)
    except ValueError as exc:
        abort(400, description=f"{name}={raw} is not a page position: {exc}.")
