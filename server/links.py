"""Signed links for HR: the token in an approval e-mail, and reading it back.

A token is the signed, timestamped pair (request id, link id) and nothing
else: no addresses, no decision. Reading it checks the signature and the age;
what the link may still do (a request decided, a link used) is the service's
business. Must not import Flask.
"""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_SALT = "leaverguard.approval-link.v1"


class LinkError(Exception):
    """A token that cannot be used; `reason` is `invalid` (forged, tampered, garbled) or `expired`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sign(secret: str, approval_id: int, link_id: int) -> str:
    """The URL-safe token for link `link_id` of request `approval_id`."""
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps([approval_id, link_id])


def read(secret: str, token: str, max_age: timedelta) -> tuple[int, int]:
    """(request id, link id) from a token signed with `secret` no longer than `max_age` ago, else LinkError."""
    serializer = URLSafeTimedSerializer(secret, salt=_SALT)
    try:
        value = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise LinkError("expired") from None
    except (BadSignature, ValueError, TypeError):
        raise LinkError("invalid") from None
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        raise LinkError("invalid")  # signed by us, but not a link token: refuse rather than guess
    return value[0], value[1]
