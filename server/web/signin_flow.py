"""What the sign-in providers share: their registration, the flow kept between start and callback,
the failure page, and signing the person in.

A provider (signin_microsoft, signin_google) registers a `Provider` so /signin shows its button,
keeps its flow (state, nonce, PKCE verifier) in the session with `remember` when it sends the
browser away, and takes it back, once, with `take` on the callback. A failed callback gets
`failed`: a page with one sentence and a "try again" link (400, 401, 403 or 502, never a 500),
the reason in the log, and no one signed in. A good one ends in `complete`: an audit row, a fresh
permanent session holding the address and the roles the provider's claims granted, and a
redirect to where the person was going.

Must not hold SQL or protocol details: those are in services and adapters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, redirect, render_template, session, url_for

from .. import db
from ..approval_texts import text
from ..services.signins import record_signin
from .access import SESSION_CLAIM_ROLES
from .signin import page_locale, safe_next, start_session

log = logging.getLogger(__name__)
PENDING = "signin_pending"  # session key of the flow under way

# Each failure's HTTP status: our side or the person's (4xx), or the provider's (502).
STATUS = {
    "state": 400,
    "denied": 401,
    "refused": 401,
    "invalid": 401,
    "no_email": 401,
    "domain": 403,
    "unreachable": 502,
    "misconfigured": 502,
}


@dataclass(frozen=True, slots=True)
class Provider:
    name: str  # in the audit log and the session: `microsoft`, `google`
    label: str  # on the button: "Sign in with <label>"
    endpoint: str  # the view that starts the sign-in


def register(app: Flask, provider: Provider) -> None:
    app.extensions.setdefault("leaverguard.signin", []).append(provider)


def remember(provider: Provider, flow: dict[str, Any], target: str | None) -> None:
    """Keep the flow under way until the browser comes back (one at a time: a newer start replaces it)."""
    session[PENDING] = {"provider": provider.name, "flow": flow, "next": safe_next(target)}


def take(provider: Provider) -> tuple[dict[str, Any], str]:
    """The flow started here for `provider` and where to go afterwards; removed, so an answer works once."""
    pending = session.pop(PENDING, None)
    if not isinstance(pending, dict) or pending.get("provider") != provider.name:
        return {}, safe_next(None)
    return dict(pending.get("flow") or {}), safe_next(pending.get("next"))


def failed(provider: Provider, kind: str, reason: str, target: str):
    """The failure page for `kind` (a key of STATUS); the detailed reason goes to the log only."""
    log.warning("sign-in with %s failed (%s): %s", provider.name, kind, reason)
    lang = page_locale()
    page = render_template(
        "signin_failed.html",
        t=lambda key, **params: text(lang, key, **params),
        lang=lang,
        sentence=text(lang, f"signin_failed_{kind}", provider=provider.label),
        retry=url_for("signin.signin", next=safe_next(target)),
    )
    return page, STATUS[kind]


def complete(provider: Provider, address: str, claim_roles: Iterable[str], target: str):
    """Sign `address` in (audited), with the roles the provider's claims granted, and go on to `target`."""
    roles = sorted(claim_roles)
    record_signin(db.engine(), address=address, provider=provider.name, claim_roles=roles, now=datetime.now(UTC))
    start_session(address, **{SESSION_CLAIM_ROLES: roles})
    log.info("%s signed in with %s (roles from claims: %s)", address, provider.name, ", ".join(roles) or "none")
    return redirect(target)
