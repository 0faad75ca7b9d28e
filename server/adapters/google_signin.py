"""Sign-in with Google: the OpenID Connect authorization-code flow for the admin console, by hand with requests.

`GoogleSignin.start(redirect_uri, hosted_domains)` gives Google's sign-in address (state,
nonce and a PKCE challenge in it) and the flow to keep until the browser comes back;
`finish(flow, answer)` checks the answer's state and trades its code for tokens at Google's
token endpoint, returning the ID token. Verifying that token (signature, issuer, audience,
expiry, nonce) is auth.google_id_tokens' job, deciding who it names signin_claims'.

Every failure is GoogleSigninError with a `kind`: `state` (not the answer to our request),
`denied` (Google or the person refused), `refused` (the token endpoint refused the code),
`misconfigured` (it refused our client id or secret), `unreachable` (network, 5xx, a body
that is not JSON). Messages never carry the secret, a code or a token.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import requests

from . import AdapterError

AUTHORIZATION_ENDPOINT = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token"
SCOPES = "openid email profile"
TIMEOUT = (3.05, 10.0)  # (connect, read) seconds; a person is waiting on the page
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client", "unsupported_grant_type"})


class GoogleSigninError(AdapterError):
    system = "Google sign-in"

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _challenge(verifier: str) -> str:
    """PKCE S256: the base64url SHA-256 of the verifier, unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class GoogleSignin:
    """One Google OAuth client's authorization-code flow."""

    def __init__(self, client_id: str, client_secret: str, session: requests.Session | None = None):
        self.client_id, self._secret = client_id, client_secret
        self._session = session or requests.Session()

    def start(self, redirect_uri: str, hosted_domains: Sequence[str] = ()) -> tuple[str, dict[str, str]]:
        """(Google's sign-in address, the flow to keep in the session until the browser returns)."""
        flow = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24)}
        flow |= {"code_verifier": secrets.token_urlsafe(48), "redirect_uri": redirect_uri}
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPES,
            "state": flow["state"],
            "nonce": flow["nonce"],
            "code_challenge": _challenge(flow["code_verifier"]),
            "code_challenge_method": "S256",
            "prompt": "select_account",
        }
        if len(hosted_domains) == 1:  # only a hint for Google's account chooser: the `hd` claim is what counts
            params["hd"] = hosted_domains[0]
        return f"{AUTHORIZATION_ENDPOINT}?{urlencode(params)}", flow

    def finish(self, flow: dict[str, str], answer: dict[str, str]) -> str:
        """The ID token (not verified yet) of the sign-in `answer` (the callback's query), or GoogleSigninError."""
        if not flow.get("state") or not hmac.compare_digest(str(answer.get("state", "")), str(flow["state"])):
            raise GoogleSigninError("state", "the answer's state is not that of a sign-in started here")
        if answer.get("error"):
            raise GoogleSigninError("denied", f"the sign-in was refused: {answer['error'][:80]}")
        if not answer.get("code"):
            raise GoogleSigninError("state", "the answer carries neither a code nor an error")
        return self._exchange(answer["code"], flow)

    def _exchange(self, code: str, flow: dict[str, str]) -> str:
        """The ID token Google's token endpoint gives for `code` (no retry: a code is good for one try)."""
        data = {"code": code, "client_id": self.client_id, "client_secret": self._secret}
        data |= {"redirect_uri": flow["redirect_uri"], "grant_type": "authorization_code"}
        data["code_verifier"] = flow["code_verifier"]
        try:
            response = self._session.post(TOKEN_ENDPOINT, data=data, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise GoogleSigninError("unreachable", f"the token endpoint failed ({type(exc).__name__})") from None
        body = _json(response)
        if response.status_code >= 500 or (response.status_code != 200 and "error" not in body):
            raise GoogleSigninError("unreachable", f"the token endpoint answered HTTP {response.status_code}")
        if response.status_code != 200:
            kind = "misconfigured" if body["error"] in CLIENT_ERRORS else "refused"
            raise GoogleSigninError(kind, f"the token endpoint answered {str(body['error'])[:80]}")
        if not isinstance(body.get("id_token"), str):
            raise GoogleSigninError("unreachable", "the token endpoint's answer holds no ID token")
        return body["id_token"]


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
