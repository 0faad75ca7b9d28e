"""Parse and validate the JSON bodies of `POST /api/v1/check` and `POST /api/v1/approvals`.

A message a mail client can send is never refused: a recipient that is not one readable address is kept as
given (model.RawRecipient), recipients past the limit are kept unread (both by limits.read_recipients, which the
Gmail add-on reads its drafts with too), and a text over its limit is cut with
the SHA-256 of the whole (model.Cut); the policy turns each into a finding. Only what no mail client produces
(a number for an address, an unknown field) is a 400, and every problem is collected (field, problem, value)
so the answer names all of them at once; nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .. import limits
from ..messages import negotiate_locale
from ..model import Address, Attachment, Cut, Field, InvalidAddress, OutgoingMessage, normalise_address
from ..services import CheckMode, CheckRequest
from .errors import ApiError

_KNOWN_KEYS = {
    "mode", "from", "to", "cc", "bcc", "subject", "body", "body_truncated", "body_sha256", "attachments", "client",
}  # fmt: skip
_APPROVAL_KEYS = (_KNOWN_KEYS - {"mode"}) | {"justification", "attestation"}
MAX_SUBJECT_CHARS = 2000
MAX_JUSTIFICATION_CHARS = 2000
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, field: str, problem: str, value: Any = None) -> None:
        item = {"field": field, "problem": problem}
        if value is not None:
            # inf and nan (from 1e999 in the request) have no JSON spelling: they are returned as text.
            plain = isinstance(value, (str, int, bool)) or (isinstance(value, float) and math.isfinite(value))
            text = value if plain else repr(value)
            # Echo enough to find the bad value, not a 200 KB string back.
            item["value"] = text[:200] + "…" if isinstance(text, str) and len(text) > 200 else text
        self.items.append(item)


def parse_check(data: Any, sender: Address, config: Mapping[str, int], accept_language: str | None) -> CheckRequest:
    """A CheckRequest from decoded JSON, or ApiError(400) listing every problem (`config`: the limits' settings)."""
    return _parse(data, _KNOWN_KEYS, _Problems(), sender, config, accept_language)


def unread_check(sender: Address, accept_language: str | None) -> CheckRequest:
    """The check of a request too large to read at all: a send of a message nothing is known of (Cut.whole)."""
    return CheckRequest(sender=sender, message=limits.UNREAD, locale=negotiate_locale(accept_language))


def is_preview(data: Any) -> bool:
    """Whether a body, valid or not, asks for a preview (not audited) rather than a send."""
    return isinstance(data, dict) and data.get("mode") == CheckMode.PREVIEW.value


def parse_approval(
    data: Any, sender: Address, config: Mapping[str, int], accept_language: str | None
) -> tuple[CheckRequest, str, bool]:
    """(message, justification, attestation) from the JSON of `POST /api/v1/approvals`, or ApiError(400).

    The message fields are the check's, without `mode`; the problems of all
    fields are reported together.
    """
    problems = _Problems()
    justification, attestation = "", False
    if isinstance(data, dict):
        justification = _text(data.get("justification", ""), "justification", problems, MAX_JUSTIFICATION_CHARS)
        if not justification.strip() and isinstance(data.get("justification", ""), str):
            problems.add("justification", "required: say why this message should go")
        attestation = data.get("attestation")
        if not isinstance(attestation, bool):
            problems.add("attestation", "required: true or false", attestation)
    request = _parse(data, _APPROVAL_KEYS, problems, sender, config, accept_language)
    return request, justification.strip(), attestation


def _parse(
    data: Any,
    known_keys: set[str],
    problems: _Problems,
    sender: Address,
    config: Mapping[str, int],
    accept_language: str | None,
) -> CheckRequest:
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    for key in sorted(set(data) - known_keys):
        problems.add(key, "unknown field")
    if "to" not in data:
        problems.add("to", "required (a list of addresses, may be empty)")
    mode = _mode(data.get("mode", "send"), problems)
    addressed = _recipients(data, problems, config["MAX_RECIPIENTS"])
    from_address = _address(data.get("from"), "from", problems) if data.get("from") is not None else None
    subject, subject_cut = _subject(data.get("subject", ""), problems)
    body, body_cut = _body(data, problems, config["MAX_BODY_BYTES"])
    attachments = _attachments(data.get("attachments", []), problems)
    client = _client(data.get("client", {}), problems)
    if problems.items:
        raise ApiError(400, "invalid_request", f"{len(problems.items)} problem(s) in the request", problems.items)
    over = max(len(attachments) - config["MAX_ATTACHMENTS"], 0)
    cut = Cut(
        body=body_cut is not None, body_sha256=body_cut or None, subject=subject_cut is not None,
        subject_sha256=subject_cut, attachments=over,
    )  # fmt: skip
    message = replace(addressed, subject=subject, body=body, attachments=tuple(attachments), cut=cut)
    return CheckRequest(
        sender=sender,
        message=message,
        mode=mode,
        from_address=from_address,
        locale=negotiate_locale(client.get("locale"), accept_language),
        client_app=client.get("app", ""),
        client_platform=client.get("platform", ""),
    )


def _mode(value: Any, problems: _Problems) -> CheckMode:
    try:
        return CheckMode(value)
    except ValueError:
        problems.add("mode", "must be 'send' or 'preview'", value)
        return CheckMode.SEND


def _recipients(data: dict, problems: _Problems, limit: int) -> OutgoingMessage:
    """The message's recipients (limits.read_recipients); a value that is not a string is a problem."""
    values: dict[Field, list[str]] = {}
    for field in Field:
        given = data.get(field.value, [])
        if not isinstance(given, list):
            problems.add(field.value, "must be a list of addresses", given)
            continue
        for i, value in enumerate(given):
            if not isinstance(value, str):
                problems.add(f"{field.value}[{i}]", "must be a string", value)
        values[field] = [value for value in given if isinstance(value, str)]
    return limits.read_recipients(values, limit)


def _address(value: Any, field: str, problems: _Problems) -> Address | None:
    if not isinstance(value, str):
        problems.add(field, "must be a string", value)
        return None
    try:
        return normalise_address(value)
    except InvalidAddress as exc:
        problems.add(field, f"invalid address: {exc.reason}", value)
        return None


def _text(value: Any, field: str, problems: _Problems, max_chars: int) -> str:
    if not isinstance(value, str):
        problems.add(field, "must be a string", value)
        return ""
    if len(value) > max_chars:
        problems.add(field, f"at most {max_chars} characters, got {len(value)}")
    return value


def _subject(value: Any, problems: _Problems) -> tuple[str, str | None]:
    """(subject, None), or its first MAX_SUBJECT_CHARS characters and the SHA-256 of the whole when longer."""
    if not isinstance(value, str):
        problems.add("subject", "must be a string", value)
        return "", None
    if len(value) <= MAX_SUBJECT_CHARS:
        return value, None
    return value[:MAX_SUBJECT_CHARS], _sha256(value)


def _body(data: dict, problems: _Problems, max_bytes: int) -> tuple[str, str | None]:
    """(body, None) when whole; when cut, by the add-in (`body_truncated`) or here, the first `max_bytes` bytes
    and the SHA-256 of the whole body ("" when the add-in could not take it)."""
    value, truncated, digest = data.get("body", ""), data.get("body_truncated", False), data.get("body_sha256")
    if not isinstance(value, str):
        problems.add("body", "must be a string (plain text)", value)
        return "", None
    if not isinstance(truncated, bool):
        problems.add("body_truncated", "must be true or false", truncated)
    if digest is not None and not (isinstance(digest, str) and _SHA256.match(digest) and truncated is True):
        problems.add("body_sha256", "a SHA-256 in hex, and only with body_truncated: true", digest)
    whole = value.encode("utf-8")
    if len(whole) > max_bytes:  # what is past the limit is not read, but bound through its hash
        cut = whole[:max_bytes].decode("utf-8", errors="ignore")  # drops a character cut in two
        return cut, digest.lower() if truncated is True and isinstance(digest, str) else _sha256(value)
    if truncated is True:
        return value, digest.lower() if isinstance(digest, str) else ""
    return value, None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _attachments(value: Any, problems: _Problems) -> list[Attachment]:
    """Every attachment listed, with its content's SHA-256 where the add-in took one (the limit is the policy's)."""
    if not isinstance(value, list):
        problems.add("attachments", "must be a list of {name, size, sha256}", value)
        return []
    result = []
    for i, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        digest = item.get("sha256") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or len(name) > 1000:
            problems.add(f"attachments[{i}].name", "must be a non-empty string of at most 1000 characters", name)
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            problems.add(f"attachments[{i}].size", "must be a whole number of bytes, 0 or more", size)
        elif digest is not None and not (isinstance(digest, str) and _SHA256.match(digest)):
            problems.add(f"attachments[{i}].sha256", "must be the content's SHA-256 in hex (64 characters)", digest)
        else:
            result.append(Attachment(name, size, digest.lower() if digest else None))
    return result


def _client(value: Any, problems: _Problems) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.add("client", "must be an object with app, platform and locale", value)
        return {}
    result = {}
    for key in ("app", "platform", "locale"):
        item = value.get(key, "")
        if not isinstance(item, str) or len(item) > 100:
            problems.add(f"client.{key}", "must be a string of at most 100 characters", item)
        else:
            result[key] = item
    return result
