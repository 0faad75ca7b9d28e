"""`/dev/outbox`: every e-mail LeaverGuard queued, readable in the browser. Development only.

With the `outbox` mail transport nothing leaves the machine, so this page is
how a newcomer reads the HR mail and follows its link. create_app registers
this blueprint only when LEAVERGUARD_ENV=development.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template
from markupsafe import Markup, escape

from .. import db, mail_content, signoff_store

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev/outbox")
_URL = re.compile(r"https?://[^\s<>\"]+")


@bp.get("/")
def index():
    with db.engine().connect() as conn:
        mails = signoff_store.mails(conn, limit=200)
    rows = [mail | {"created": mail_content.when(mail["created_at"])} for mail in mails]
    return render_template("outbox.html", mails=rows, lang="en")


@bp.get("/<int:mail_id>")
def show(mail_id: int):
    with db.engine().connect() as conn:
        mail = signoff_store.get_mail(conn, mail_id)
    if mail is None:
        abort(404, description=f"there is no mail number {mail_id} in the outbox")
    mail["created"] = mail_content.when(mail["created_at"])
    return render_template("outbox_mail.html", mail=mail, body=linkify(mail["text_body"]), lang="en")


def linkify(text: str) -> Markup:
    """Escape `text` and make each http(s) URL in it a link."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))
