"""The event object Google POSTs to the Gmail add-on's endpoints, read into plain values.

Google's add-on event: `commonEventObject` (userLocale, formInputs, parameters),
`authorizationEventObject` (userIdToken, and userOAuthToken / userOauthToken, which
LeaverGuard never needs, never reads and never logs), and `gmail` with the draft's
`toRecipients`, `ccRecipients` and `bccRecipients` (draftAccess METADATA). Nothing
here says who the user is: that is only the verified userIdToken (auth/google.py).

Must not import the services, the store or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..messages import negotiate_locale
from ..model import Field, InvalidAddress, Recipient, normalise_address
from .errors import ApiError

_FIELDS = {Field.TO: "toRecipients", Field.CC: "ccRecipients", Field.BCC: "bccRecipients"}


@dataclass(frozen=True, slots=True)
class Draft:
    """The recipients of the message being written."""

    recipients: tuple[Recipient, ...] = ()
    cc_as_given: tuple[str, ...] = ()  # sent back as they were when a Cc is added
    not_addresses: tuple[str, ...] = ()
    count: int = 0


def event_of(data: Any) -> Mapping[str, Any]:
    """The decoded event, or a 400 when the body is not a JSON object."""
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "the body must be a Google Workspace add-on event (a JSON object)")
    return data


def user_id_token(event: Mapping[str, Any]) -> Any:
    return _object(event, "authorizationEventObject").get("userIdToken")


def locale(event: Mapping[str, Any]) -> str:
    """en, es or ru, from the user's Gmail language (`commonEventObject.userLocale`, e.g. es-419)."""
    value = _object(event, "commonEventObject").get("userLocale")
    return negotiate_locale(value if isinstance(value, str) else None)


def draft(event: Mapping[str, Any]) -> Draft:
    """The draft's recipients; values that are not addresses are set aside to be named, not checked."""
    gmail = _object(event, "gmail")
    recipients, not_addresses, count = [], [], 0
    for field, key in _FIELDS.items():
        for value in _strings(gmail.get(key)):
            count += 1
            try:
                recipients.append(Recipient(normalise_address(value), field))
            except InvalidAddress:
                not_addresses.append(value[:100])
    cc = tuple(_strings(gmail.get(_FIELDS[Field.CC])))
    return Draft(tuple(recipients), cc, tuple(not_addresses), count)


def form_values(event: Mapping[str, Any], name: str) -> list[str]:
    """What the user entered in the card's input `name` (empty when nothing, e.g. an unticked box)."""
    inputs = _object(event, "commonEventObject").get("formInputs")
    entry = inputs.get(name) if isinstance(inputs, dict) else None
    values = (entry or {}).get("stringInputs", {}).get("value") if isinstance(entry, dict) else None
    return [value for value in values if isinstance(value, str)] if isinstance(values, list) else []


def _object(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]
