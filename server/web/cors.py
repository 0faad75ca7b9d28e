"""CORS for the add-in API: which web origins may call /api/v1/* from a browser, and answers to preflights.

The add-in's pages come from this server's own origin, so most calls are same-origin; cross-origin calls come
from an add-in hosted on another origin and from Outlook's JavaScript-only runtime (classic Outlook on Windows,
which also needs /.well-known/microsoft-officeaddins-allowed.json). Allowed: LEAVERGUARD_CORS_ORIGINS, else the
origin of LEAVERGUARD_BASE_URL. The API takes bearer tokens, never cookies, so credentials are not allowed.
Paths outside /api/v1/ get no CORS headers at all. Must not import services or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from ..config import SettingError, web_origin

API_PREFIX = "/api/v1/"
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Accept-Language"
EXPOSED_HEADERS = "Retry-After, WWW-Authenticate"  # the add-in reads them on 503 and 401
PREFLIGHT_MAX_AGE = "600"  # seconds a browser may reuse a preflight answer


def init_app(app: Flask) -> None:
    app.before_request(_answer_preflight)
    app.after_request(_add_cors_headers)


def allowed_origins(config: Mapping[str, Any]) -> frozenset[str]:
    """CORS_ORIGINS when set, else BASE_URL's origin, else none (same-origin calls only)."""
    if config.get("CORS_ORIGINS"):
        return frozenset(config["CORS_ORIGINS"])
    if not config.get("BASE_URL"):
        return frozenset()
    base = urlsplit(config["BASE_URL"])._replace(path="", query="", fragment="").geturl()
    try:
        return frozenset([web_origin(base)])  # the server may live under a path; its origin has none
    except SettingError:
        return frozenset()


def _answer_preflight() -> Response | None:
    """A preflight (OPTIONS with Access-Control-Request-Method) under /api/v1/: 204 before routing and auth."""
    if request.method != "OPTIONS" or not request.path.startswith(API_PREFIX):
        return None
    if "Access-Control-Request-Method" not in request.headers:
        return None
    return current_app.response_class(status=204)


def _add_cors_headers(response: Response) -> Response:
    """The CORS headers of an /api/v1/ answer (errors included) to a request from an allowed origin."""
    origin = request.headers.get("Origin")
    if not origin or not request.path.startswith(API_PREFIX):
        return response
    response.vary.add("Origin")  # the answer differs by origin: caches must keep them apart
    try:
        normalised = web_origin(origin)
    except SettingError:
        return response  # `null` (sandboxed frames, files) or garbage: never allowed
    if normalised not in allowed_origins(current_app.config):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    else:
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
