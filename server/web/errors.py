"""JSON errors for the API: one exception type and the handlers that turn everything into it.

Under /api/ and /gmail/ every error, including 404, 405, 413 and anything unexpected, is
`{"error": {"code", "message", "details"}}`; a client's mistake is never a 500.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answer: HTTP status, a stable code, a sentence, and per-field details."""

    def __init__(self, status: int, code: str, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def error_response(error: ApiError):
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    response = jsonify(body)
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="leaverguard"'
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)
    app.register_error_handler(HTTPException, _http_error)
    # Only the errors of a database that is down, locked or out of connections: an
    # IntegrityError or ProgrammingError is our bug and stays a logged 500.
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
    app.register_error_handler(PoolTimeout, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/gmail/")) or request.path in ("/healthz", "/readyz")


def _http_error(exc: HTTPException):
    if not _wants_json():
        if exc.code is None or exc.code < 400:  # redirects and the like pass through untouched
            return exc
        page = render_template("error.html", code=exc.code, name=exc.name, description=exc.description, lang="en")
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}  # keeps Allow on a 405
        return page, exc.code, headers
    code = _HTTP_CODES.get(exc.code or 500, "error")
    message = exc.description if exc.code != 404 else f"no such endpoint: {request.method} {request.path}"
    response = error_response(ApiError(exc.code or 500, code, message))
    if getattr(exc, "valid_methods", None):  # a 405 must say what is allowed (RFC 9110, 15.5.6)
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _database_unavailable(exc: Exception):
    """The database is down or overloaded: a 503 the add-in's fail mode handles, not a 500."""
    log.error("database error on %s %s: %s", request.method, request.path, type(exc).__name__)
    if not _wants_json():
        return "The service is temporarily unavailable", 503
    response = error_response(ApiError(503, "unavailable", "the decision service cannot reach its database"))
    response.headers["Retry-After"] = "5"
    return response


def _unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    if not _wants_json():
        return "Internal server error", 500
    return error_response(ApiError(500, "internal_error", "something went wrong on our side; it has been logged"))
