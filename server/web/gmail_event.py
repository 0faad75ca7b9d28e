"""The event object Google POSTs to the Gmail add-on's endpoints, read into plain values.

Google's add-on event: `commonEventObject` (userLocale, formInputs, parameters),
`authorizationEventObject` (userIdToken, and userOAuthToken / userOauthToken, which
LeaverGuard never needs, never reads and never logs), and `gmail` with the draft's
`toRecipients`, `ccRecipients` and `bccRecipients` (draftAccess METADATA). Nothing
here says who the user is: that is only the verified userIdToken (auth/google.py).

A draft is read as the check API reads a message (limits.read_recipients): every value Google lists is a recipient,
judged, never left out. Lone UTF-16 surrogates are replaced by U+FFFD in every string read here, as the Outlook
add-in replaces them before it asks. An event too large or too broken to decode is searched, raw, for its user's
token and language only (`event_in_raw`), so that its user still gets a verdict.

Must not import the services, the store or the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import limits
from ..messages import negotiate_locale
from ..model import Field, OutgoingMessage
from .errors import ApiError

_FIELDS = {Field.TO: "toRecipients", Field.CC: "ccRecipients", Field.BCC: "bccRecipients"}
_SURROGATE = re.compile("[\ud800-\udfff]")
# In raw JSON, a key in quotes can only be a key: quotes inside the strings a user wrote arrive escaped (\").
_RAW_FIELDS = {
    ("authorizationEventObject", "userIdToken"): re.compile(
        rb'"userIdToken"\s{0,16}:\s{0,16}"([A-Za-z0-9._=-]{1,8192})"'
    ),
    ("commonEventObject", "userLocale"): re.compile(rb'"userLocale"\s{0,16}:\s{0,16}"([A-Za-z0-9_-]{1,35})"'),
}
_OVERLAP = 8300  # bytes kept between chunks: longer than any match above, so none is missed at a chunk's edge


@dataclass(frozen=True, slots=True)
class Draft:
    """The message being written, as far as Gmail shows it (its recipients), and its Cc as Google gave it."""

    message: OutgoingMessage
    cc_as_given: tuple[str, ...] = ()  # sent back as they were when a Cc is added
    read: bool = True  # False: the event could not be read, nothing of the draft is known


#: The draft of an event too large or too broken to read (judged as the check API judges such a request).
UNREAD = Draft(limits.UNREAD, read=False)


def event_of(data: Any) -> Mapping[str, Any]:
    """The decoded event, or a 400 when the body is not a JSON object."""
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "the body must be a Google Workspace add-on event (a JSON object)")
    return data


def event_in_raw(chunks: Iterable[bytes]) -> Mapping[str, Any] | None:
    """The user's ID token and language of an event that cannot be decoded, as a minimal event; None without a
    token. Reads every chunk, so the caller has drained the request whatever is found."""
    found: dict[tuple[str, str], str] = {}
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        for name, pattern in _RAW_FIELDS.items():
            if name not in found and (match := pattern.search(window)):
                found[name] = match.group(1).decode("ascii")
        tail = window[-_OVERLAP:]
    if ("authorizationEventObject", "userIdToken") not in found:
        return None
    event: dict[str, dict[str, str]] = {}
    for (outer, key), value in found.items():
        event.setdefault(outer, {})[key] = value
    return event


def user_id_token(event: Mapping[str, Any]) -> Any:
    token = _object(event, "authorizationEventObject").get("userIdToken")
    return _text(token) if isinstance(token, str) else token


def locale(event: Mapping[str, Any]) -> str:
    """en, es or ru, from the user's Gmail language (`commonEventObject.userLocale`, e.g. es-419)."""
    value = _object(event, "commonEventObject").get("userLocale")
    return negotiate_locale(_text(value) if isinstance(value, str) else None)


def platform(event: Mapping[str, Any]) -> str:
    """Where Gmail runs (`commonEventObject.platform`: WEB, ANDROID, IOS), at most 100 characters."""
    value = _object(event, "commonEventObject").get("platform")
    return _text(value)[:100] if isinstance(value, str) else ""


def draft(event: Mapping[str, Any], limit: int) -> Draft:
    """The draft's recipients, read by limits.read_recipients: what is not one readable address is kept as given,
    to be judged; a value that is no string (which Google does not send) is judged as its JSON text."""
    gmail = _object(event, "gmail")
    values = {field: _values(gmail.get(key)) for field, key in _FIELDS.items()}
    cc = gmail.get(_FIELDS[Field.CC])
    cc_as_given = tuple(_text(v) for v in (cc if isinstance(cc, list) else [cc]) if isinstance(v, str) and v.strip())
    return Draft(limits.read_recipients(values, limit), cc_as_given)


def form_values(event: Mapping[str, Any], name: str) -> list[str]:
    """What the user entered in the card's input `name` (empty when nothing, e.g. an unticked box)."""
    inputs = _object(event, "commonEventObject").get("formInputs")
    entry = inputs.get(name) if isinstance(inputs, dict) else None
    values = (entry or {}).get("stringInputs", {}).get("value") if isinstance(entry, dict) else None
    return [_text(value) for value in values if isinstance(value, str)] if isinstance(values, list) else []


def _object(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def _values(given: Any) -> list[str]:
    """One field's recipients: a list's items, a lone string, or nothing when the field is absent."""
    if given is None:
        return []
    items = given if isinstance(given, list) else [given]
    return [_text(item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)) for item in items]


def _text(value: str) -> str:
    """`value` with each lone UTF-16 surrogate (which is not text: it cannot be stored or hashed) as U+FFFD."""
    if value.isascii() or not _SURROGATE.search(value):
        return value
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
