"""The Gmail add-on's endpoints under /gmail/: homepage, compose trigger, and the cards' buttons.

Google calls them (HTTP runtime) with a JSON event. Auth, for every request before
anything else: the system ID token in `Authorization` must be Google's, for one of our
endpoint URLs and the add-on's service account; the user is only the verified
`userIdToken` of the event (auth/google.py). A failure is a 401 JSON error; without the
Gmail settings every request is a 503 saying which are missing. No cookies: no CSRF.

Views parse the event (gmail_event), ask the check or the sign-off service as that user
(mode preview: nothing is audited as a send), and answer with a card (gmail_cards).
Every draft gets a verdict: what is not an address, recipients past the limit, and an event
too large or too broken to decode (its user found in its raw bytes) are judged as the check
API judges them, never answered with an error or a card that skips the decision.
The logo Google shows is public, at /addin/gmail/logo.png.

Holds no SQL and no policy (services, gmail_cards and gmail_event do that).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from .. import auth, db, gmail_cards, services
from ..approvals import Refusal
from ..auth.google import CertsUnavailable
from ..gmail_texts import text
from ..identities import Identity
from ..manifests import gmail as manifest
from ..manifests import icons, outlook_json
from ..model import (
    LEAVING_PHASES,
    ApprovalStatus,
    Field,
    InvalidAddress,
    OutgoingMessage,
    normalise_address,
)
from ..services import signoff
from . import gmail_event
from .addin_api import json_body, limit_message, unread_body
from .check_payload import MAX_JUSTIFICATION_CHARS
from .errors import ApiError

log = logging.getLogger(__name__)
bp = Blueprint("gmail", __name__, url_prefix="/gmail")
logo_bp = Blueprint("gmail_logo", __name__)
_PATHS = {name: path.removeprefix("/gmail") for name, path in manifest.ENDPOINTS.items()}
_REFUSALS = {
    Refusal.NOT_NEEDED: "errorNotNeeded",
    Refusal.BLOCKED: "errorCannotLift",
    Refusal.NO_APPROVERS: "errorNoApprovers",
}


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified request: who, in which language, the event, and where the card's buttons point.

    `readable` is False for an event that could not be decoded: `event` then holds only what was found raw.
    """

    user: Identity
    locale: str
    event: Mapping[str, Any]
    urls: dict[str, str]
    readable: bool = True


@bp.before_request
def verify() -> None:
    """Every /gmail/ request: Google's system token first, then the event's user token (401/503 otherwise)."""
    verifier = auth.gmail_verifier()
    if verifier is None:
        names = "LEAVERGUARD_GMAIL_SERVICE_ACCOUNT and LEAVERGUARD_GMAIL_OAUTH_CLIENT_ID"
        raise ApiError(503, "gmail_not_configured", f"the Gmail add-on is not set up on this server: set {names}")
    try:
        audience = verifier.verify_system(request.headers.get("Authorization"))
        event, readable = _event()
        user = verifier.verify_user(gmail_event.user_id_token(event))
    except auth.AuthError as exc:
        raise ApiError(401, "unauthorized", exc.reason) from None
    except CertsUnavailable:
        raise ApiError(503, "unavailable", "Google's certificates cannot be fetched: try again shortly") from None
    g.gmail = Caller(user, gmail_event.locale(event), event, _urls(audience), readable)


@bp.post(_PATHS["homepage"])
def homepage():
    caller: Caller = g.gmail
    leaving = _check(caller, OutgoingMessage(())).decision.phase in LEAVING_PHASES
    return jsonify(gmail_cards.show(gmail_cards.homepage_card(caller.locale, leaving)))


@bp.post(_PATHS["compose"])
def compose():
    return jsonify(gmail_cards.show(_compose_card(g.gmail)))


@bp.post(_PATHS["recheck"])
def recheck():
    return jsonify(gmail_cards.replace(_compose_card(g.gmail)))


@bp.post(_PATHS["signoff_form"])
def signoff_form():
    caller: Caller = g.gmail
    return jsonify(gmail_cards.push(gmail_cards.signoff_form_card(caller.locale, caller.urls)))


@bp.post(_PATHS["signoff_submit"])
def signoff_submit():
    """Ask HR to sign off mail to the draft's recipients: the same request the Outlook task pane makes."""
    caller: Caller = g.gmail
    justification = " ".join(gmail_event.form_values(caller.event, gmail_cards.JUSTIFICATION_FIELD)).strip()
    problem = _form_problem(caller, justification)
    if problem:
        return _form_again(caller, problem, justification)
    attested = gmail_cards.ATTESTED in gmail_event.form_values(caller.event, gmail_cards.ATTESTATION_FIELD)
    try:
        created = _request_signoff(caller, justification, attested)
    except signoff.SignoffRefused as exc:
        return _form_again(caller, text(caller.locale, _REFUSALS[exc.refusal]), justification)
    except signoff.SignoffLimited as exc:  # the hourly limits: the card says when to ask again
        return _form_again(caller, limit_message(exc.reached, caller.locale), justification)
    if created:
        current_app.extensions["leaverguard.housekeeper"].kick()  # send HR the mail now
    main = _compose_card(caller)
    return jsonify(gmail_cards.back_to_main(main, text(caller.locale, "requestSent")))


@bp.post(_PATHS["add_successor"])
def add_successor():
    """Put the sender's successor (from the register, never from the event) in the draft's Cc."""
    caller: Caller = g.gmail
    if not caller.readable:  # the Cc is unknown, and Gmail replaces the whole Cc: nothing can be added safely
        return jsonify(gmail_cards.notify(text(caller.locale, "draftUnread")))
    draft = _draft(caller)
    successor = _successor_to_offer(_check(caller, draft.message), draft)
    if successor is None:
        return jsonify(gmail_cards.notify(text(caller.locale, "noSuccessor")))
    log.info("gmail add-on: successor added in Cc")
    return jsonify(gmail_cards.set_cc([*draft.cc_as_given, successor]))


@logo_bp.get(manifest.LOGO_PATH)
def logo():
    response = current_app.response_class(_logo_png(), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# --- helpers ----------------------------------------------------------------


def _urls(audience: str) -> dict[str, str]:
    """Buttons call back where Google reached us: the verified audience's origin with each endpoint's path."""
    parts = urlsplit(audience)
    return {name: f"{parts.scheme}://{parts.netloc}{path}" for name, path in manifest.ENDPOINTS.items()}


def _event() -> tuple[Mapping[str, Any], bool]:
    """Google's event and whether it could be decoded. One that cannot (too large, not JSON, not an object) is
    searched raw for its user's token and language, so that its user still gets a verdict; without a token,
    the request is refused as before (the 401 of a token that does not verify comes after)."""
    try:
        return gmail_event.event_of(json_body(lone_surrogates=True)), True
    except RequestEntityTooLarge as exc:
        refusal, raw = exc, unread_body()
    except ApiError as exc:
        refusal, raw = exc, iter([request.get_data()])
    event = gmail_event.event_in_raw(raw)
    if event is None:
        raise refusal
    return event, False


def _draft(caller: Caller) -> gmail_event.Draft:
    if not caller.readable:
        return gmail_event.UNREAD
    return gmail_event.draft(caller.event, current_app.config["MAX_RECIPIENTS"])


def _check(caller: Caller, message: OutgoingMessage) -> services.CheckResult:
    check_request = _check_request(caller, message)
    cache_ = current_app.extensions["leaverguard.settings_cache"]
    return services.check_message(db.check_engine(), check_request, now=datetime.now(UTC), settings_cache=cache_)


def _check_request(caller: Caller, message: OutgoingMessage) -> services.CheckRequest:
    """The check Gmail can ask: the recipients only (add-ons are not shown the subject or the text)."""
    return services.CheckRequest(
        caller.user.address,
        message,
        services.CheckMode.PREVIEW,
        locale=caller.locale,
        client_app="gmail",
        client_platform=gmail_event.platform(caller.event),
        identity=caller.user,
    )


def _compose_card(caller: Caller) -> dict[str, Any]:
    draft = _draft(caller)
    result = _check(caller, draft.message)
    status = result.approval.status if result.approval else None
    state = gmail_cards.ComposeState(
        decision=result.decision,
        finding_messages=result.rendered.finding_messages,
        recipient_count=draft.message.recipient_count,
        approval=status,
        hr_comment=_hr_comment(caller, result),
        successor=_successor_to_offer(result, draft),
        draft_read=draft.read,
    )
    log.info("gmail add-on checked", extra={"verdict": result.decision.verdict.value, "phase": result.decision.phase})
    return gmail_cards.compose_card(state, caller.locale, caller.urls)


def _hr_comment(caller: Caller, result: services.CheckResult) -> str | None:
    if result.approval is None or result.approval.status not in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        return None
    request_ = signoff.sender_request(db.engine(), result.approval.id, result.sender_address.key)
    return request_["comment"] if request_ else None


def _successor_to_offer(result: services.CheckResult, draft: gmail_event.Draft) -> str | None:
    """The leaver's successor on record, unless already in To or Cc (or the sender must not notice: monitor-only),
    and never for a draft that could not be read (its Cc, which Gmail replaces whole, is unknown)."""
    sender, decision = result.sender, result.decision
    if sender is None or not sender.successor or decision.phase not in LEAVING_PHASES or decision.monitor_only:
        return None
    if not draft.read:
        return None
    try:
        successor = normalise_address(sender.successor)
    except InvalidAddress:
        return None
    visible = {r.address.key for r in draft.message.recipients if r.field in (Field.TO, Field.CC)}
    return None if successor.key in visible else successor.email


def _form_problem(caller: Caller, justification: str) -> str | None:
    """What keeps the sign-off form from being sent, in the user's words; None when nothing does."""
    lang = caller.locale
    if not caller.readable:  # neither the justification nor the recipients are known
        return text(lang, "formUnread")
    if not justification:
        return text(lang, "errorJustification")
    return text(lang, "errorTooLong") if len(justification) > MAX_JUSTIFICATION_CHARS else None


def _form_again(caller: Caller, problem: str, justification: str) -> Response:
    card = gmail_cards.signoff_form_card(caller.locale, caller.urls, error=problem, justification=justification)
    return jsonify(gmail_cards.replace(card))


def _request_signoff(caller: Caller, justification: str, attested: bool) -> bool:
    """True when a new request was made; False when one for the same recipients was already live."""
    _request, created = signoff.request_signoff(
        db.engine(),
        _check_request(caller, _draft(caller).message),
        justification=justification,
        attestation=attested,
        settings=signoff.SignoffSettings.from_config(current_app.config),
        now=datetime.now(UTC),
        settings_cache=current_app.extensions["leaverguard.settings_cache"],
    )
    return created


@cache
def _logo_png() -> bytes:
    """The add-in's icon (a white envelope on the accent colour), drawn once per process."""
    return icons.color_icon(outlook_json.ACCENT_COLOR)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(logo_bp)
