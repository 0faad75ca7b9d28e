"""Who is signed in to the pages (HR, admins), and CSRF protection for every form.

A signed, HTTP-only, SameSite=Lax session cookie holds the signed-in address
and a CSRF token. It lasts PERMANENT_SESSION_LIFETIME (8 h) after the last visit
(Flask re-signs it on each request) and never more than that after the sign-in
itself, so roles a provider vouched for are fetched again at least once a day.
/signin offers one button per configured provider (signin_microsoft, signin_google:
they register in `app.extensions["leaverguard.signin"]`) and, in development only,
the "sign in as any address" form. Without either, /signin is a clear 403.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for

from ..approval_texts import text
from ..messages import negotiate_locale
from ..model import InvalidAddress, normalise_address

bp = Blueprint("signin", __name__)
SESSION_LIFETIME = timedelta(hours=8)
SIGNED_IN_AT = "signed_in_at"  # epoch seconds of the sign-in, for the absolute limit


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
    """The signed-in address, or None; a sign-in older than the session lifetime ends here."""
    signed_in_at = session.get(SIGNED_IN_AT)
    if isinstance(signed_in_at, int | float) and time.time() - signed_in_at > _lifetime_seconds():
        session.clear()
    return session.get("user")


def _lifetime_seconds() -> float:
    return current_app.permanent_session_lifetime.total_seconds()


def start_session(address: str, **values: Any) -> None:
    """Sign `address` in: a fresh session (nothing of the one before is kept), permanent, with `values`."""
    session.clear()
    session.permanent = True
    session.update({"user": address, SIGNED_IN_AT: int(time.time()), **values})


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


def safe_next(value: str | None) -> str:
    """A local path to return to after sign-in; anything pointing elsewhere becomes the front page.

    Browsers read `/\\host` as `//host` and drop tabs and newlines, so backslashes and control
    characters are refused too.
    """
    parts = urlsplit(value or "")
    if not value or parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return url_for("meta.index")
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return url_for("meta.index")
    return value


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    lang, target = page_locale(), safe_next(request.values.get("next"))
    if not sign_in_available():
        return render_template("signin.html", t=_t(lang), lang=lang, unavailable=True), 403
    if request.method == "POST":
        return _dev_sign_in(lang, target)
    return _page(lang, target)


def _dev_sign_in(lang: str, target: str):
    """The development form: sign in as any address. It does not exist in production."""
    if current_app.config["ENV"] != "development":
        abort(403, description=text(lang, "sign_in_dev_only"))
    verify_csrf()
    email = request.form.get("email", "").strip()
    try:
        address = normalise_address(email)
    except InvalidAddress as exc:
        error = f"{email!r}: {exc.reason}" if email else text(lang, "sign_in_email")
        return _page(lang, target, error=error, email=email), 400
    start_session(address.email)
    return redirect(target)


def _page(lang: str, target: str, *, error: str | None = None, email: str = "") -> str:
    """The sign-in page: a button per provider, and the development form in development."""
    return render_template(
        "signin.html",
        t=_t(lang),
        lang=lang,
        next=target,
        error=error,
        email=email,
        providers=current_app.extensions["leaverguard.signin"],
        dev_form=current_app.config["ENV"] == "development",
    )


@bp.post("/signout")
def signout():
    verify_csrf()
    session.clear()
    return redirect(url_for("meta.index"))


def _t(lang: str):
    return lambda key, **params: text(lang, key, **params)
