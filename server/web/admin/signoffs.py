"""The sign-off queue (/admin/signoffs) and one request (/admin/signoffs/<id>), decided from the console.

The queue is readable by everyone on the console; a request's page shows the message itself, so it needs
READ_AUDIT (admin, hr), like audit details. Deciding follows the mailed link's rule: a signed-in user with
DECIDE_SIGNOFFS who is one of the request's approvers and not its sender (services.signoff.check_decider);
others see it read-only, with who may decide, and the sender is told why they cannot. The decision itself
is services.signoff's, shared with the link: the first one wins.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, render_template, request

from ... import approvals, db, mail_content
from ...approval_texts import text
from ...console.queue_store import QUEUE_VIEWS
from ...services import console, signoff
from ..access import Permission, can, requires
from ..approvals import form_error, page_context
from ..ids import query_row_id
from ..signin import current_user, page_locale, verify_csrf
from . import NAV, bp

NAV.append(("admin.signoffs", "Sign-offs"))

VIEW_LABELS = {
    "pending": "Pending",
    "decided": "Decided",
    "expired": "Expired",
    "consumed": "Sent",
    "all": "All",
}


@bp.get("/signoffs")
@requires(Permission.READ)
def signoffs():
    view = request.args.get("view", "pending")
    if view not in QUEUE_VIEWS:
        abort(400, description=f"Unknown filter: choose one of {', '.join(QUEUE_VIEWS)}.")
    page = console.signoff_queue(db.engine(), view, query_row_id("before"), datetime.now(UTC))
    return render_template("admin/signoffs.html", page=page, view=view, views=VIEW_LABELS, when=mail_content.when)


@bp.get("/signoffs/<int:approval_id>")
@requires(Permission.READ_AUDIT)
def signoff_request(approval_id: int):
    return _page(_open(approval_id))


@bp.post("/signoffs/<int:approval_id>")
@requires(Permission.DECIDE_SIGNOFFS)
def decide(approval_id: int):
    verify_csrf()
    opened, lang, user = _open(approval_id), page_locale(), current_user()
    choice, comment = request.form.get("decision", ""), request.form.get("comment", "").strip()
    try:
        signoff.check_decider(opened.request, opened.sender_keys, user)
        error = form_error(choice, comment, lang)
        if error:
            return _page(opened, error=error, comment=comment), 400
        won, _ = signoff.decide_request(
            db.engine(),
            approval_id,
            approve=choice == "approve",
            comment=comment,
            user=user,
            settings=signoff.SignoffSettings.from_config(current_app.config),
            now=datetime.now(UTC),
        )
    except signoff.OwnRequest:
        abort(403, description=text(lang, "own_request", user=user))
    except signoff.NotAnApprover:
        abort(403, description=f"{user} is not one of this request's approvers.")
    current_app.extensions["leaverguard.housekeeper"].kick()  # tell the sender now, not at the next tick
    opened = _open(approval_id)
    saved = text(lang, "decision_saved", status=text(lang, f"status_{opened.status.value}")) if won else None
    return _page(opened, saved=saved), 200 if won else 409


def _open(approval_id: int) -> signoff.OpenedLink:
    try:
        return signoff.open_request(db.engine(), approval_id, datetime.now(UTC))
    except signoff.RequestNotFound:
        abort(404, description=f"There is no sign-off request {approval_id}.")


def _page(opened: signoff.OpenedLink, *, error=None, comment="", saved=None):
    context = page_context(opened, page_locale(), error=error, comment=comment, saved=saved)
    may_decide = can(Permission.DECIDE_SIGNOFFS) and signoff.may_decide(opened, current_user())
    own = approvals.is_own_request(current_user() or "", opened.sender_keys)
    return render_template("admin/signoff.html", **context, may_decide=may_decide, own_request=own)
