"""Sign-in with Microsoft: MSAL's authorization-code flow for the admin console (the token exchange half).

`MicrosoftSignin.start(redirect_uri)` gives the address to send the browser to and the
flow to keep until it comes back (state, PKCE verifier, nonce); `finish(flow, answer)`
checks the answer's state, trades its code for tokens at the tenant's token endpoint and
returns the ID token, whose nonce MSAL has checked. Its signature, issuer and expiry are
NOT checked here (MSAL does not either): auth.microsoft_id_tokens does that.

Every failure is MicrosoftSigninError with a `kind`: `state` (not the answer to our
request), `denied` (Microsoft or the user refused: the answer's `error`), `refused` (the
token endpoint refused the code), `misconfigured` (it refused our client id or secret),
`invalid` (the ID token's nonce is not ours), `unreachable` (network, 5xx, a body that is
not JSON). Messages never carry the secret, a code or a token.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import hmac
import warnings
from typing import Any

import msal
import requests

from . import AdapterError

SCOPES = ["email"]  # MSAL adds openid and profile itself (and refuses them as input)
TIMEOUT = (3.05, 10.0)  # (connect, read) seconds; a person is waiting on the page
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client", "unsupported_grant_type"})


class MicrosoftSigninError(AdapterError):
    system = "Microsoft sign-in"

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class _TimeoutSession(requests.Session):
    """MSAL ignores its `timeout` argument when given an http_client: the session supplies one."""

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, **kwargs)


class _NoTokenCache(msal.TokenCache):
    """The tokens are used once, to sign in: keeping them would only grow the process's memory."""

    def add(self, event: dict, **kwargs: Any) -> None:
        return None


class MicrosoftSignin:
    """One Entra ID app registration's authorization-code flow."""

    def __init__(self, client_id: str, client_secret: str, authority: str, session: requests.Session | None = None):
        self.client_id, self.authority = client_id, authority
        self._secret = client_secret
        self._session = session or _TimeoutSession()
        self._app: msal.ConfidentialClientApplication | None = None

    def start(self, redirect_uri: str) -> tuple[str, dict[str, Any]]:
        """(the Microsoft sign-in address, the flow to keep in the session until the browser returns)."""
        app = self._msal()
        # MSAL advises response_mode=form_post, but that answer is a cross-site POST, which
        # does not carry our SameSite=Lax session cookie (and so the flow). The query answer
        # holds a one-time code bound to the PKCE verifier, and our pages send no Referer.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
            flow = app.initiate_auth_code_flow(
                SCOPES, redirect_uri=redirect_uri, prompt="select_account", response_mode="query"
            )
        flow = dict(flow)
        return flow.pop("auth_uri"), flow

    def finish(self, flow: dict[str, Any], answer: dict[str, str]) -> str:
        """The ID token of the sign-in `answer` (the callback's query) completes, or MicrosoftSigninError."""
        if not flow.get("state") or not hmac.compare_digest(str(answer.get("state", "")), str(flow["state"])):
            raise MicrosoftSigninError("state", "the answer's state is not that of a sign-in started here")
        if answer.get("error"):
            raise MicrosoftSigninError("denied", f"the sign-in was refused: {answer['error'][:80]}")
        if not answer.get("code"):
            raise MicrosoftSigninError("state", "the answer carries neither a code nor an error")
        result = self._redeem(flow, answer)
        if "error" in result:
            kind = "misconfigured" if result["error"] in CLIENT_ERRORS else "refused"
            raise MicrosoftSigninError(kind, f"the token endpoint answered {str(result['error'])[:80]}")
        if not isinstance(result.get("id_token"), str):
            raise MicrosoftSigninError("unreachable", "the token endpoint's answer holds no ID token")
        return result["id_token"]

    def _redeem(self, flow: dict[str, Any], answer: dict[str, str]) -> dict[str, Any]:
        """MSAL's code exchange (it checks the state again, and the nonce); its exceptions become ours."""
        try:
            return self._msal().acquire_token_by_auth_code_flow(dict(flow), answer, scopes=SCOPES)
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:  # the latter: a 5xx answer
            raise MicrosoftSigninError("unreachable", f"the token endpoint failed ({exc})") from None
        except RuntimeError:
            raise MicrosoftSigninError("invalid", "the ID token's nonce is not the one this sign-in sent") from None
        except ValueError:  # the state was checked above: a token endpoint answer that is not JSON
            raise MicrosoftSigninError("unreachable", "the token endpoint did not answer JSON") from None

    def _msal(self) -> msal.ConfidentialClientApplication:
        # Built on first use: constructing it reads the authority's OpenID configuration.
        if self._app is None:
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._secret,
                    authority=self.authority,
                    http_client=self._session,
                    token_cache=_NoTokenCache(),
                )
            except (ValueError, requests.RequestException, msal.exceptions.MsalServiceError) as exc:
                problem = type(exc).__name__ if isinstance(exc, requests.RequestException) else str(exc)[:200]
                message = f"cannot use the authority {self.authority}: {problem}"
                raise MicrosoftSigninError("unreachable", message) from None
        return self._app
