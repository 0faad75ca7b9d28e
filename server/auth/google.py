"""Google ID tokens on /gmail/: proof that Google sent the request, and who the user is.

Every request of the Gmail add-on carries two Google-signed ID tokens:
- the add-on's *system* token in `Authorization: Bearer …`: its audience is the endpoint
  URL Google called (one of GMAIL_ENDPOINT_URLS) and its `email` is the deployment's
  service account (GMAIL_SERVICE_ACCOUNT, compared whole, never as a pattern), with
  `email_verified` true. It proves Google made the call.
- the *user's* token in the event's `authorizationEventObject.userIdToken`: its
  audience is the deployment's OAuth client id (GMAIL_OAUTH_CLIENT_ID) and its
  verified `email` is the caller. Nothing else in the event names the user. Google
  puts the account's primary address there, never an alias: the account's aliases
  are the ones the Google Directory sync recorded on the departure (its primary address
  is added to a hand-entered record made under an alias), so the register finds the
  leaver by the primary address whichever of them a record was entered with.
Both are checked with google-auth (`id_token.verify_oauth2_token`: RS256 signature by a
current Google key, issuer accounts.google.com, `iat`/`exp` with a minute's leeway)
against certificates kept by google_certs. A failure is an AuthError with the reason
(a 401); Google's certificates being unreachable is CertsUnavailable (a 503).

Must not import Flask. Never logs or repeats a token: google-auth's own messages may
quote one, so they are mapped to our sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from google.auth import exceptions as google_errors
from google.oauth2 import id_token

from .. import config
from ..manifests import gmail as gmail_manifest
from ..model import InvalidAddress, normalise_address
from .google_certs import CachedCertsRequest
from .identity import AuthError, Identity

LEEWAY_SECONDS = 60


class CertsUnavailable(Exception):
    """Google's certificates cannot be fetched now, so no token can be checked (the token may be good)."""


@dataclass(frozen=True, slots=True)
class GmailSettings:
    service_account: str
    oauth_client_id: str
    audiences: tuple[str, ...]

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> GmailSettings | None:
        """The Gmail add-on's settings, validated; None when it is not configured.

        Values may be raw strings (a test_config) or parsed (config.load). One of the
        service account and the client id without the other stops the start (SystemExit).
        """
        account, client = settings.get("GMAIL_SERVICE_ACCOUNT") or "", settings.get("GMAIL_OAUTH_CLIENT_ID") or ""
        if not account and not client:
            return None
        if not account or not client:
            given, missing = (
                ("SERVICE_ACCOUNT", "OAUTH_CLIENT_ID") if account else ("OAUTH_CLIENT_ID", "SERVICE_ACCOUNT")
            )
            raise SystemExit(
                f"{config.PREFIX}GMAIL_{given} is set but {config.PREFIX}GMAIL_{missing} is not: the Gmail add-on"
                " needs both"
            )
        urls = settings.get("GMAIL_ENDPOINT_URLS") or ()
        if isinstance(urls, str):
            urls = config.parse_setting("GMAIL_ENDPOINT_URLS", urls)
        return cls(
            service_account=config.parse_setting("GMAIL_SERVICE_ACCOUNT", account),
            oauth_client_id=config.parse_setting("GMAIL_OAUTH_CLIENT_ID", client),
            audiences=tuple(urls) or gmail_manifest.endpoint_urls(settings.get("BASE_URL") or ""),
        )


class GmailVerifier:
    """Checks the two tokens of a Gmail add-on request."""

    def __init__(self, settings: GmailSettings, request: CachedCertsRequest | None = None):
        self.settings = settings
        self._request = request or CachedCertsRequest()

    def verify_system(self, authorization: str | None) -> str:
        """The endpoint URL Google called (the token's audience), if the header proves Google called; else AuthError."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if not scheme:
            raise AuthError("missing Authorization header: Google signs every add-on request")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be `Bearer <Google ID token>`")
        claims = self._claims(token.strip(), list(self.settings.audiences), "the add-on's request token")
        email = claims.get("email")
        if not isinstance(email, str) or email.lower() != self.settings.service_account:
            raise AuthError("the add-on's request token is not from this add-on's service account")
        if claims.get("email_verified") is not True:
            raise AuthError("the add-on's request token does not carry a verified service account")
        return str(claims["aud"])

    def verify_user(self, token: Any) -> Identity:
        """The user the event's `userIdToken` proves (scheme `gmail`), or AuthError."""
        if not isinstance(token, str) or not token.strip():
            raise AuthError("the event carries no user ID token (authorizationEventObject.userIdToken)")
        claims = self._claims(token.strip(), self.settings.oauth_client_id, "the user's ID token")
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is not True:
            raise AuthError("the user's ID token names no verified e-mail address (is userinfo.email granted?)")
        try:
            return Identity(normalise_address(email), "gmail")
        except InvalidAddress:
            raise AuthError("the user's ID token's e-mail is not an address") from None

    def _claims(self, token: str, audience: str | list[str], what: str) -> Mapping[str, Any]:
        _check_header(token, what)
        try:
            return self._verified(token, audience)
        except google_errors.TransportError:
            raise CertsUnavailable("Google's certificates cannot be fetched") from None
        except (ValueError, KeyError, jwt.PyJWTError, google_errors.GoogleAuthError) as exc:  # KeyError: no `iss`
            raise AuthError(f"{what} {_reason(exc)}") from None

    def _verified(self, token: str, audience: str | list[str]) -> Mapping[str, Any]:
        """google-auth's verification, once more with fresh certificates when the token names a key not yet seen."""
        try:
            return id_token.verify_oauth2_token(token, self._request, audience, clock_skew_in_seconds=LEEWAY_SECONDS)
        except ValueError as exc:
            if not str(exc).startswith("Certificate for key id") or not self._request.refresh():
                raise
        return id_token.verify_oauth2_token(token, self._request, audience, clock_skew_in_seconds=LEEWAY_SECONDS)


def _check_header(token: str, what: str) -> None:
    """Only RS256 with a key id goes further (so `none` and HS256 tokens are refused before any fetch)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError(f"{what} is not a well-formed JWT") from None
    if header.get("alg") != "RS256":
        raise AuthError(f"{what} is refused: only RS256 signatures are accepted, not {str(header.get('alg'))[:20]!r}")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise AuthError(f"{what} names no signing key (kid)")


_REASONS = (
    ("Token expired", "has expired"),
    ("Token used too early", "is not valid yet (issued in the future)"),
    ("Token has wrong audience", "is meant for another endpoint or application (wrong audience)"),
    ("Could not verify token signature", "has a signature that does not verify"),
    ("Certificate for key id", "is signed with a key Google does not publish"),
    ("Wrong issuer", "was not issued by Google (wrong issuer)"),
    ("Token does not contain required claim", "lacks its iat or exp claim"),
)


def _reason(exc: Exception) -> str:
    """Our sentence for google-auth's complaint (its own text may quote the token, so it is never shown)."""
    text = str(exc)
    return next((reason for prefix, reason in _REASONS if text.startswith(prefix)), "is not a valid Google ID token")
