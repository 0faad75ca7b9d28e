"""Who is signed in to the pages (HR, later admins), and CSRF protection for every form.

A signed, HTTP-only, SameSite=Lax session cookie holds the signed-in address
and a CSRF token. This module ships the development sign-in ("sign in as any
address", LEAVERGUARD_ENV=development only); real sign-in providers (Microsoft,
Google: the admin console issue) register in `app.extensions["leaverguard.signin"]`.
Without any, production pages that need a person refuse with a clear 403.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for

from ..approval_texts import text
from ..messages import negotiate_locale
from ..model import InvalidAddress, normalise_address

bp = Blueprint("signin", __name__)
SESSION_LIFETIME = timedelta(hours=8)


def init_app(app: Flask) -> None:
    production = app.config["ENV"] == "production"
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    app.extensions.setdefault("leaverguard.signin", [])
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user)
    app.register_blueprint(bp)


def page_locale() -> str:
    """The reader's language for pages: the browser's Accept-Language, else the HR language."""
    return negotiate_locale(request.headers.get("Accept-Language"), current_app.config.get("HR_LOCALE"))


def current_user() -> str | None:
    """The signed-in address, or None."""
    return session.get("user")


def sign_in_available() -> bool:
    """Whether anyone can sign in here: the development form, or a configured provider."""
    return current_app.config["ENV"] == "development" or bool(current_app.extensions["leaverguard.signin"])


def csrf_token() -> str:
    """This session's CSRF token (made on first use); every form posts it back as `csrf_token`."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def verify_csrf() -> None:
    """Refuse a POST whose form token does not match the session's (400, with a page that says why)."""
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description=text(page_locale(), "csrf_failed"))


def _safe_next(value: str | None) -> str:
    """A local path to return to after sign-in; anything pointing elsewhere becomes the front page."""
    parts = urlsplit(value or "")
    if not value or parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return url_for("meta.index")
    return value


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    lang, target = page_locale(), _safe_next(request.values.get("next"))
    if current_app.config["ENV"] != "development":
        return render_template("signin.html", t=_t(lang), lang=lang, unavailable=True), 403
    error, email = None, ""
    if request.method == "POST":
        verify_csrf()
        email = request.form.get("email", "").strip()
        try:
            address = normalise_address(email)
        except InvalidAddress as exc:
            error = f"{email!r}: {exc.reason}" if email else text(lang, "sign_in_email")
        else:
            session.clear()
            session.permanent = True
            session["user"] = address.email
            return redirect(target)
    page = render_template("signin.html", t=_t(lang), lang=lang, error=error, email=email, next=target)
    return page, 400 if error else 200


@bp.post("/signout")
def signout():
    verify_csrf()
    session.clear()
    return redirect(url_for("meta.index"))


def _t(lang: str):
    return lambda key, **params: text(lang, key, **params)
