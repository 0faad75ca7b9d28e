"""Where an add-in is served from: the base URL an admin gives, checked and reduced to its https origin.

Shared by the Outlook manifests and the Gmail deployment resource. Must not import Flask.
"""

from __future__ import annotations

from urllib.parse import urlsplit


class BadBaseUrl(ValueError):
    """The base URL cannot host the add-in; the message says why."""


def origin(base_url: str, *, https_because: str, origin_because: str = "") -> str:
    """`https://host[:port]` from a base URL, or BadBaseUrl saying what is wrong with it.

    `https_because` and `origin_because` finish the sentences that say why the mail client needs that.
    """
    raw = base_url.strip()
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise BadBaseUrl(f"{raw!r} is not a URL") from None
    if parts.scheme != "https":
        raise BadBaseUrl(f"{raw!r} must start with https:// ({https_because})")
    if not parts.hostname or parts.username or parts.password:
        raise BadBaseUrl(f"{raw!r} must name a host, with no user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        why = f": {origin_because}" if origin_because else ""
        raise BadBaseUrl(f"{raw!r} must be the server's origin only (like https://leaverguard.example.com){why}")
    return f"https://{parts.netloc.lower()}"
