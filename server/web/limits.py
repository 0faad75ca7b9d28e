"""Request limits on the pages anyone can reach without signing in: the sign-in pages and /approvals/<token>.

Flask-Limiter counts requests per client address in LEAVERGUARD_RATELIMIT_STORAGE_URI. The default,
memory://, counts in each worker process on its own (with N workers a client gets up to N times the
limit); redis:// or memcached:// give every worker and replica one count. Over a limit: 429 with
Retry-After and the app's error page, in the reader's language. If the storage is down, counting
falls back to memory (logged) rather than locking HR out of the approval page.

Only the blueprints below are limited; every other request, the check API's above all, is passed
over by a request filter before any counting. Sign-off requests have their own limits, per sender and
per approver, counted in the database (services.signoff_requests).

One Limiter per app, kept in app.extensions, so apps built side by side (tests) never share counts.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter

from ..approval_texts import text
from . import approvals, signin, signin_google, signin_microsoft
from .signin import page_locale

#: Blueprint name -> (setting with its limits, scope of the one count the blueprint's pages share).
LIMITED = {
    signin.bp.name: ("RATELIMIT_SIGNIN", "signin"),
    signin_microsoft.bp.name: ("RATELIMIT_SIGNIN", "signin"),
    signin_google.bp.name: ("RATELIMIT_SIGNIN", "signin"),
    approvals.bp.name: ("RATELIMIT_APPROVAL_LINKS", "approval-links"),
}
_BLUEPRINTS = (signin.bp, signin_microsoft.bp, signin_google.bp, approvals.bp)


def init_app(app: Flask) -> None:
    limiter = Limiter(
        key_func=client_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,  # a broken count must not become a 500 on the sign-in page
    )
    limiter.request_filter(_not_limited)
    for blueprint in _BLUEPRINTS:
        setting, scope = LIMITED[blueprint.name]
        limiter.shared_limit(_limits_of(setting), scope=scope, error_message=_message)(blueprint)
    hooks = _app_wide_hooks(app)
    limiter.init_app(app)
    _only_for_limited_blueprints(app, hooks)
    app.extensions["leaverguard.limiter"] = limiter


def _app_wide_hooks(app: Flask) -> dict[str, list]:
    return {name: list(getattr(app, name).get(None, [])) for name in ("before_request_funcs", "after_request_funcs")}


def _only_for_limited_blueprints(app: Flask, before: dict[str, list]) -> None:
    """Move the hooks Flask-Limiter registered for every request to the limited blueprints' own.

    Its app-wide before_request costs ~25 µs even for a request it then passes over (measured on the
    check API); a blueprint's hooks run only for that blueprint's requests, so the check pays nothing.
    The request filter stays, so nothing else is counted even if a later version hooks in elsewhere.
    """
    for name, existing in before.items():
        hooks = getattr(app, name)
        added = [hook for hook in hooks.get(None, []) if hook not in existing]
        hooks[None] = existing
        for blueprint in LIMITED:
            hooks.setdefault(blueprint, []).extend(added)


def client_address() -> str:
    """Who is counted: the peer's address, or the one the trusted proxies in front of us saw.

    Each trusted proxy appends the address it was reached from to X-Forwarded-For, so with n of them
    the client is the n-th entry from the end; anything further left was written by the client and
    is not believed. Without trusted proxies the header is ignored.
    """
    hops = current_app.config["RATELIMIT_TRUSTED_PROXIES"]
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr or "unknown"


def _not_limited() -> bool:
    """True for every request outside the limited blueprints: nothing is counted or looked up for them."""
    return request.blueprint not in LIMITED


def _limits_of(setting: str):
    """The limits as configured when the request comes (read each time, so a test or reload may change them)."""
    return lambda: current_app.config[setting]


def _message() -> str:
    return text(page_locale(), "too_many_requests")
