"""Google ID tokens from the admin console's sign-in: google-auth's checks, plus the nonce of our request.

`GoogleIdTokens.verify(token, nonce)` accepts a token only when all hold: RS256 with a key
id; a signature by one of Google's current certificates (kept by google_certs, shared with
the Gmail add-on, fetched anew at most once a minute for a key not seen yet); issuer
accounts.google.com; audience = our OAuth client id; `iat`/`exp` with a minute's leeway
(google-auth's `verify_oauth2_token`); and the `nonce` this sign-in sent.

Rejections are AuthError; Google's certificates being unreachable is CertsUnavailable.
Must not import Flask. Never repeats a token (google-auth's messages may quote one).
"""

from __future__ import annotations

import hmac
from typing import Any

import jwt
from google.auth import exceptions as google_errors
from google.oauth2 import id_token

from .google import LEEWAY_SECONDS, CertsUnavailable, _check_header, _reason
from .google_certs import CachedCertsRequest
from .identity import AuthError

WHAT = "the ID token"


class GoogleIdTokens:
    """Verifies the ID tokens Google issues to one OAuth client."""

    def __init__(self, client_id: str, request: CachedCertsRequest | None = None):
        self.client_id = client_id
        self._request = request or CachedCertsRequest()

    def verify(self, token: str, nonce: str) -> dict[str, Any]:
        """The token's claims, or AuthError saying what is wrong (CertsUnavailable when certificates cannot be had)."""
        _check_header(token, WHAT)
        try:
            claims = dict(self._verified(token))
        except google_errors.TransportError:
            raise CertsUnavailable("Google's certificates cannot be fetched") from None
        except (ValueError, KeyError, jwt.PyJWTError, google_errors.GoogleAuthError) as exc:  # KeyError: no `iss`
            raise AuthError(f"{WHAT} {_reason(exc)}") from None
        if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise AuthError(f"{WHAT}'s nonce is not the one this sign-in sent")
        return claims

    def _verified(self, token: str) -> Any:
        """google-auth's verification, once more with fresh certificates when the token names a key not yet seen."""
        try:
            return id_token.verify_oauth2_token(token, self._request, self.client_id, LEEWAY_SECONDS)
        except ValueError as exc:
            if not str(exc).startswith("Certificate for key id") or not self._request.refresh():
                raise
        return id_token.verify_oauth2_token(token, self._request, self.client_id, LEEWAY_SECONDS)
