"""The HR approval page: `/approvals/<token>` shows a request in full; a POST approves or rejects it.

GET never decides anything. Deciding needs a signed-in approver of the request who
is not its sender, and the form's CSRF token; the first decision wins and is final. A forged,
tampered, expired or foreign link gets a page that says so, never the message.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import db, mail_content
from ..approval_texts import text
from ..links import LinkError
from ..services import signoff
from .signin import current_user, page_locale, sign_in_available, verify_csrf

bp = Blueprint("approvals", __name__)
COMMENT_LIMIT = 2000


@bp.get("/approvals/<token>")
def show(token: str):
    user, lang = current_user(), page_locale()
    if user is None:
        return _sign_in_first(token, lang)
    try:
        opened = signoff.open_link(db.engine(), token, user=user, settings=_settings(), now=datetime.now(UTC))
    except LinkError as exc:
        return _link_error(exc, lang)
    except signoff.NotAnApprover as exc:
        return _not_an_approver(exc, user, lang)
    return _page(opened, lang)


@bp.post("/approvals/<token>")
def decide(token: str):
    verify_csrf()
    user, lang = current_user(), page_locale()
    if user is None:
        return _sign_in_first(token, lang)
    choice, comment = request.form.get("decision", ""), request.form.get("comment", "").strip()
    error = form_error(choice, comment, lang)
    settings, now = _settings(), datetime.now(UTC)
    try:
        if error:
            opened = signoff.open_link(db.engine(), token, user=user, settings=settings, now=now)
            return _page(opened, lang, error=error, comment=comment), 400
        won, _ = signoff.decide(
            db.engine(), token, approve=choice == "approve", comment=comment, user=user, settings=settings, now=now
        )
        opened = signoff.open_link(db.engine(), token, user=user, settings=settings, now=now)
    except LinkError as exc:
        return _link_error(exc, lang)
    except signoff.NotAnApprover as exc:
        return _not_an_approver(exc, user, lang)
    current_app.extensions["leaverguard.housekeeper"].kick()  # tell the sender now, not at the next tick
    saved = text(lang, "decision_saved", status=text(lang, f"status_{opened.status.value}")) if won else None
    return _page(opened, lang, saved=saved), 200 if won else 409


def form_error(choice: str, comment: str, lang: str) -> str | None:
    """What is wrong with a decision form (also the admin console's), or None."""
    if choice not in ("approve", "reject"):
        return text(lang, "decision_unknown")
    if choice == "reject" and not comment:
        return text(lang, "comment_required")
    if len(comment) > COMMENT_LIMIT:
        return text(lang, "comment_too_long", limit=COMMENT_LIMIT)
    return None


def _page(opened: signoff.OpenedLink, lang: str, *, error=None, comment="", saved=None):
    return render_template("approval.html", **page_context(opened, lang, error=error, comment=comment, saved=saved))


def page_context(opened: signoff.OpenedLink, lang: str, *, error=None, comment="", saved=None) -> dict:
    """What templates/approval_request.html shows (the link's page and the admin console's)."""
    req = opened.request
    decided = None
    if req["decided_by"] and not saved:
        at = mail_content.when(req["decided_at"])
        decided = text(lang, "decided_by", status=text(lang, f"status_{req['status']}"), by=req["decided_by"], at=at)
    history = [
        {**item, "created": mail_content.when(item["created_at"]), "status": signoff.status_of(item)}
        | ({"subject": text(lang, "content_removed_short")} if item.get("content_removed_at") else {})
        for item in opened.history
    ]
    return {
        "t": lambda key, **p: text(lang, key, **p),
        "lang": lang,
        "approval": req,
        "status": opened.status.value,
        "facts": mail_content.request_facts(req, lang),
        "history": history,
        "decided": decided,
        "saved": saved,
        "error": error,
        "comment": comment,
        "comment_limit": COMMENT_LIMIT,
    }


def _sign_in_first(token: str, lang: str):
    if not sign_in_available():
        page = render_template("link_error.html", t=_t(lang), lang=lang, message=text(lang, "sign_in_unavailable"))
        return page, 403
    return redirect(url_for("signin.signin", next=url_for("approvals.show", token=token)))


def _link_error(exc: LinkError, lang: str):
    key, status = ("link_expired", 410) if exc.reason == "expired" else ("link_invalid", 404)
    return render_template("link_error.html", t=_t(lang), lang=lang, message=text(lang, key)), status


def _not_an_approver(exc: signoff.NotAnApprover, user: str, lang: str):
    """403 that says why: not asked, the sender themself (nobody decides their own request), or leaving."""
    key = "not_an_approver"
    if isinstance(exc, signoff.OwnRequest):
        key = "own_request"
    elif isinstance(exc, signoff.LeavingApprover):
        key = "leaving_approver"
    message = text(lang, key, user=user)
    return render_template("link_error.html", t=_t(lang), lang=lang, message=message), 403


def _settings() -> signoff.SignoffSettings:
    return signoff.SignoffSettings.from_config(current_app.config)


def _t(lang: str):
    return lambda key, **params: text(lang, key, **params)
