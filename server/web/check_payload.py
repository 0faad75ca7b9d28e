"""Parse and validate the JSON bodies of `POST /api/v1/check` and `POST /api/v1/approvals`.

Every problem is collected (field, problem, value) so the 400 answer names all
of them at once; nothing is silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..messages import negotiate_locale
from ..model import Address, Attachment, Field, InvalidAddress, OutgoingMessage, Recipient, normalise_address
from ..services import CheckMode, CheckRequest
from .errors import ApiError

_KNOWN_KEYS = {"mode", "from", "to", "cc", "bcc", "subject", "body", "attachments", "client"}
_APPROVAL_KEYS = (_KNOWN_KEYS - {"mode"}) | {"justification", "attestation"}
MAX_SUBJECT_CHARS = 2000
MAX_JUSTIFICATION_CHARS = 2000


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.too_large = False

    def over_limit(self, field: str, problem: str) -> None:
        self.too_large = True
        self.add(field, problem)

    def add(self, field: str, problem: str, value: Any = None) -> None:
        item = {"field": field, "problem": problem}
        if value is not None:
            # inf and nan (from 1e999 in the request) have no JSON spelling: they are returned as text.
            plain = isinstance(value, (str, int, bool)) or (isinstance(value, float) and math.isfinite(value))
            text = value if plain else repr(value)
            # Echo enough to find the bad value, not a 200 KB string back.
            item["value"] = text[:200] + "…" if isinstance(text, str) and len(text) > 200 else text
        self.items.append(item)


def parse_check(data: Any, sender: Address, limits: Mapping[str, int], accept_language: str | None) -> CheckRequest:
    """A CheckRequest from decoded JSON, or ApiError(400) listing every problem."""
    return _parse(data, _KNOWN_KEYS, _Problems(), sender, limits, accept_language)


def parse_approval(
    data: Any, sender: Address, limits: Mapping[str, int], accept_language: str | None
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
    request = _parse(data, _APPROVAL_KEYS, problems, sender, limits, accept_language)
    return request, justification.strip(), attestation


def _parse(
    data: Any,
    known_keys: set[str],
    problems: _Problems,
    sender: Address,
    limits: Mapping[str, int],
    accept_language: str | None,
) -> CheckRequest:
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    for key in sorted(set(data) - known_keys):
        problems.add(key, "unknown field")
    if "to" not in data:
        problems.add("to", "required (a list of addresses, may be empty)")
    mode = _mode(data.get("mode", "send"), problems)
    recipients = _recipients(data, problems, limits["MAX_RECIPIENTS"])
    from_address = _address(data.get("from"), "from", problems) if data.get("from") is not None else None
    subject = _text(data.get("subject", ""), "subject", problems, MAX_SUBJECT_CHARS)
    body = _body(data.get("body", ""), problems, limits["MAX_BODY_BYTES"])
    attachments = _attachments(data.get("attachments", []), problems, limits["MAX_ATTACHMENTS"])
    client = _client(data.get("client", {}), problems)
    if problems.too_large:
        raise ApiError(413, "payload_too_large", "the message is over a size limit", problems.items)
    if problems.items:
        raise ApiError(400, "invalid_request", f"{len(problems.items)} problem(s) in the request", problems.items)
    return CheckRequest(
        sender=sender,
        message=OutgoingMessage(tuple(recipients), subject, body, tuple(attachments)),
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


def _recipients(data: dict, problems: _Problems, limit: int) -> list[Recipient]:
    recipients: list[Recipient] = []
    for field in Field:
        values = data.get(field.value, [])
        if not isinstance(values, list):
            problems.add(field.value, "must be a list of addresses", values)
            continue
        for i, value in enumerate(values):
            address = _address(value, f"{field.value}[{i}]", problems)
            if address is not None:
                recipients.append(Recipient(address, field))
    total = sum(len(data.get(f.value)) for f in Field if isinstance(data.get(f.value), list))
    if total > limit:
        problems.over_limit("to/cc/bcc", f"at most {limit} recipients in all, got {total}")
    return recipients


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
        problems.over_limit(field, f"at most {max_chars} characters, got {len(value)}")
    return value


def _body(value: Any, problems: _Problems, max_bytes: int) -> str:
    if not isinstance(value, str):
        problems.add("body", "must be a string (plain text)", value)
        return ""
    size = len(value.encode("utf-8"))
    if size > max_bytes:
        problems.over_limit("body", f"at most {max_bytes} bytes, got {size}")
    return value


def _attachments(value: Any, problems: _Problems, limit: int) -> list[Attachment]:
    if not isinstance(value, list):
        problems.add("attachments", "must be a list of {name, size}", value)
        return []
    if len(value) > limit:
        problems.over_limit("attachments", f"at most {limit} attachments, got {len(value)}")
    result = []
    for i, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or len(name) > 1000:
            problems.add(f"attachments[{i}].name", "must be a non-empty string of at most 1000 characters", name)
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            problems.add(f"attachments[{i}].size", "must be a whole number of bytes, 0 or more", size)
        else:
            result.append(Attachment(name, size))
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
