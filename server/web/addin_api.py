"""The API the mail add-ins call: the check, HR sign-off requests, and the OpenAPI document.

Auth: a verified Authorization header on every call (auth.Verifiers); no
cookies, so no CSRF; CORS is answered for the add-in origins later.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from .. import db, services
from ..approval_texts import text
from ..approvals import Refusal
from ..auth import AuthError, Identity, verifiers
from ..services import signoff
from .addin_files import REQUEST_TIMEOUT_MS
from .check_payload import is_preview, parse_approval, parse_check, unread_check
from .errors import ApiError, error_response

log = logging.getLogger(__name__)
bp = Blueprint("addin_api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).resolve().parent.parent / "openapi.json"


#: How much of a body too large to parse is read and dropped, so that the client gets the answer rather than a
#: connection reset (a server that closes with unread input makes TCP send a reset); past it the connection closes.
DISCARD_LIMIT = 64 * 1024 * 1024


def authenticated() -> Identity:
    """The verified caller, or a 401 ApiError with the reason (logged: it is tied to nobody, so not audited)."""
    try:
        return verifiers().authenticate(request.headers.get("Authorization"))
    except AuthError as exc:
        log.warning("caller not identified", extra={"path": request.path, "reason": exc.reason})
        raise ApiError(401, "unauthorized", exc.reason) from None


def json_body(*, lone_surrogates: bool = False):
    """The decoded JSON body (any JSON value, `null` included), or a 400/415 ApiError.

    A string holding a lone UTF-16 surrogate escape is refused, unless `lone_surrogates` (the Gmail add-on's
    events: it replaces them itself, as the Outlook add-in does before sending).
    """
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        data = request.get_json()
    except BadRequest:
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
    except RecursionError:  # json.loads gives up on very deep nesting with this, not ValueError
        raise ApiError(400, "invalid_json", "the body is nested too deeply") from None
    if not lone_surrogates and _has_lone_surrogate(data):
        raise ApiError(400, "invalid_json", "the body holds a lone UTF-16 surrogate escape, which is not text")
    if b"\\u0000" in request.get_data(cache=True):  # JSON spells NUL only so; most bodies skip the walk
        try:
            return _without_nul(data)
        except RecursionError:
            raise ApiError(400, "invalid_json", "the body is nested too deeply") from None
    return data


def _without_nul(data):
    """`data` with every NUL character in its strings replaced by U+FFFD, as undecodable text is.

    PostgreSQL's text cannot hold NUL (a sign-off request with one in its text or a recipient was a 500
    there), and a mail client never means one; the check and the sign-off request read the same message.
    """
    if isinstance(data, str):
        return data.replace("\x00", "\ufffd")
    if isinstance(data, list):
        return [_without_nul(item) for item in data]
    if isinstance(data, dict):
        return {_without_nul(key): _without_nul(value) for key, value in data.items()}
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(data) -> bool:
    """True when a string anywhere in `data` holds a lone surrogate (`"\\ud800"`): it cannot be UTF-8 encoded."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


@bp.post("/check")
def check():
    arrived = time.monotonic()  # the add-in's own timeout started a little earlier
    identity = authenticated()
    check_request = _check_request(identity)
    started = time.perf_counter()
    result = services.check_message(
        db.check_engine(),
        check_request,
        now=datetime.now(UTC),
        settings_cache=current_app.extensions["leaverguard.settings_cache"],
        answer_by=arrived + REQUEST_TIMEOUT_MS / 1000,  # the add-in stops waiting then
    )
    log.info(
        "check decided",
        extra={
            "mode": check_request.mode.value,
            "verdict": result.decision.verdict.value,
            "phase": result.decision.phase.value,
            "codes": [f.code for f in result.decision.findings],
            "ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    return jsonify(serialise_check(result))


def _check_request(identity: Identity) -> services.CheckRequest:
    """The check the caller asked for. A body too large to read is the check of a message nothing is known of;
    a check refused (4xx) is audited first, unless it asked for a preview: attempts are evidence too."""
    language = request.headers.get("Accept-Language")
    data = None
    try:
        data = json_body()
        return replace(parse_check(data, identity.address, current_app.config, language), identity=identity)
    except RequestEntityTooLarge:
        _discard_body()
        return replace(unread_check(identity.address, language), identity=identity)
    except ApiError as exc:
        if not is_preview(data):
            fields = [d["field"] for d in exc.details if "field" in d]
            refusal = {"status": exc.status, "code": exc.code, "fields": fields}
            services.record_refused_check(db.check_engine(), identity, **refusal, now=datetime.now(UTC))
        raise


def unread_body() -> Iterator[bytes]:
    """The body of a request too large to parse, in chunks, at most DISCARD_LIMIT bytes (the Content-Length bounds
    it): whoever iterates to the end has drained it, so the client reads the answer rather than a reset."""
    stream, left = get_input_stream(request.environ, max_content_length=None), DISCARD_LIMIT
    while left > 0 and (chunk := stream.read(min(left, 1 << 16))):
        left -= len(chunk)
        yield chunk


def _discard_body() -> None:
    """Read and drop the rest of the request body."""
    for _chunk in unread_body():
        pass


def serialise_check(result: services.CheckResult) -> dict:
    decision, rendered, approval = result.decision, result.rendered, result.approval
    body = {
        "verdict": decision.verdict.value,
        "fingerprint": result.fingerprint,
        "phase": decision.phase.value,
        "findings": [
            {"code": f.code, "verdict": f.verdict.value, "recipients": list(f.recipients), "message": text}
            | ({"signals": dict(f.params)["signals"].split(",")} if dict(f.params).get("signals") else {})
            for f, text in zip(decision.findings, rendered.finding_messages, strict=True)
        ],
        "banner": rendered.banner,
        "dialog": rendered.dialog,
        "approval": {"status": approval.status.value if approval else "none", "id": approval.id if approval else None},
        "monitor_only": decision.monitor_only,
    }
    if decision.monitor_only:
        body["would_be"] = decision.would_be.value
    return body


@bp.post("/approvals")
def request_approval():
    """Ask HR to sign off the caller's current message: 201 created, 200 when one is already live."""
    identity = authenticated()
    check_request, justification, attestation = parse_approval(
        json_body(), identity.address, current_app.config, request.headers.get("Accept-Language")
    )
    check_request = replace(check_request, identity=identity)
    now = datetime.now(UTC)
    try:
        approval, created = signoff.request_signoff(
            db.engine(),
            check_request,
            justification=justification,
            attestation=attestation,
            settings=signoff.SignoffSettings.from_config(current_app.config),
            now=now,
            settings_cache=current_app.extensions["leaverguard.settings_cache"],
        )
    except signoff.SignoffRefused as exc:
        raise ApiError(*_REFUSALS[exc.refusal]) from None
    except signoff.SignoffLimited as exc:
        return _limited(exc.reached, check_request.locale)
    if created:
        current_app.extensions["leaverguard.housekeeper"].kick()  # send HR the mail now
    return jsonify(approval=signoff.view(approval, now)), 201 if created else 200


_REFUSALS = {
    Refusal.NOT_NEEDED: (409, Refusal.NOT_NEEDED.value, "this message needs no HR sign-off: it may be sent as it is"),
    Refusal.BLOCKED: (409, Refusal.BLOCKED.value, "this message is blocked outright; HR sign-off cannot release it"),
    Refusal.NO_APPROVERS: (503, Refusal.NO_APPROVERS.value, "no HR approver is configured for this message"),
}


_LIMIT_CODES = {"sender": "too_many_signoff_requests", "approver": "approver_mailbox_full"}


def limit_message(reached: signoff.LimitReached, locale: str) -> str:
    """What the sender is told, in their language, when a sign-off request runs into an hourly limit."""
    return text(locale, f"limit_{reached.limit}", allowed=reached.allowed, minutes=reached.minutes)


def _limited(reached: signoff.LimitReached, locale: str):
    """429 with Retry-After (seconds until one more request fits) and the sentence the task pane shows."""
    response = error_response(ApiError(429, _LIMIT_CODES[reached.limit], limit_message(reached, locale)))
    response.headers["Retry-After"] = str(reached.retry_after)
    return response


@bp.get("/approvals/<int:approval_id>")
def approval_status(approval_id: int):
    """A sign-off request's state, to its own sender only (404 for anyone else, as if it did not exist)."""
    identity = authenticated()
    sender = services.resolve_sender(db.engine(), identity)  # a leaver's requests are kept under their record
    approval = signoff.sender_request(db.engine(), approval_id, sender.key) if sender else None
    if approval is None:
        raise ApiError(404, "not_found", f"you have no sign-off request {approval_id}")
    return jsonify(approval=signoff.view(approval, datetime.now(UTC)))


@bp.get("/openapi.json")
def openapi():
    return current_app.response_class(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


def openapi_document() -> dict:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))
