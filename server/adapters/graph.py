"""Microsoft Graph with an application (client credentials) token from MSAL.

`GraphClient(tenant_id, client_id, client_secret)` gets and caches an app-only
token (`token()`), and sends `get`, `post` and `pages` (every item of a list,
following `@odata.nextLink`). A 401 gets one fresh token and one retry;
throttling (429 with Retry-After) and 5xx are retried with backoff (http.py).
Shared by the Entra ID sync and the mail transport, so its interface is kept
stable. Failures are GraphError; their messages never carry the secret or a token.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import msal
import requests

from . import AdapterError
from .http import DEFAULT_POLICY, RetryPolicy, Sleep, json_of, safe_url, send

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_ENDPOINT = "https://graph.microsoft.com"
#: App-only tokens ask for the permissions granted to the app registration.
DEFAULT_SCOPE = ".default"


class GraphError(AdapterError):
    system = "Microsoft Graph"


class GraphClient:
    """An application's session with Microsoft Graph in one tenant."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        endpoint: str = DEFAULT_ENDPOINT,
        policy: RetryPolicy = DEFAULT_POLICY,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
    ):
        if not (tenant_id and client_id and client_secret):
            raise GraphError("a tenant id, a client id and a client secret are all needed")
        self.tenant_id, self.client_id = tenant_id, client_id
        self._secret = client_secret
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self.endpoint = endpoint.rstrip("/")
        self.policy, self.sleep = policy, sleep
        self.session = session or requests.Session()
        self._app: msal.ConfidentialClientApplication | None = None

    # --- tokens ---------------------------------------------------------------

    def token(self, *, fresh: bool = False) -> str:
        """An app-only access token for Graph; `fresh` drops the cached one first (after a 401)."""
        app = self._msal()
        if fresh:
            app.remove_tokens_for_client()
        try:
            result = app.acquire_token_for_client(scopes=[f"{self.endpoint}/{DEFAULT_SCOPE}"])
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:  # the latter: a 5xx answer
            raise GraphError(f"the token endpoint of {self.authority} failed ({type(exc).__name__})") from None
        if "access_token" not in result:
            raise GraphError(f"no token for client {self.client_id}: {_token_problem(result)}", status=401)
        return result["access_token"]

    def _msal(self) -> msal.ConfidentialClientApplication:
        # Built on first use: constructing it fetches the authority's metadata over the network.
        if self._app is None:
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._secret,
                    authority=self.authority,
                    http_client=self.session,
                    timeout=self.policy.timeout,
                )
            except (ValueError, requests.RequestException, msal.exceptions.MsalServiceError) as exc:
                problem = str(exc)[:200] if isinstance(exc, ValueError) else type(exc).__name__
                raise GraphError(f"cannot use the authority {self.authority}: {problem}") from None
        return self._app

    # --- requests -------------------------------------------------------------

    def get(self, url: str, *, params: dict | None = None, headers: dict | None = None) -> dict[str, Any]:
        """GET a Graph path (`/v1.0/users`) or absolute URL; the JSON answer."""
        return self.request("GET", url, params=params, headers=headers)

    def post(self, url: str, *, json: Any = None, headers: dict | None = None) -> dict[str, Any]:
        """POST JSON; the JSON answer, or {} for an empty one (sendMail answers 202 with no body)."""
        return self.request("POST", url, json=json, headers=headers)

    def pages(self, url: str, *, params: dict | None = None, headers: dict | None = None) -> Iterator[dict]:
        """Every item of a list answer (`value`), page after page through `@odata.nextLink`."""
        page = self.get(url, params=params, headers=headers)
        while True:
            yield from page.get("value", [])
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            page = self.get(next_link, headers=headers)  # the link carries every query parameter

    def request(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> dict[str, Any]:
        """Send with a token; on 401 once more with a fresh token; errors become GraphError."""
        absolute = url if url.startswith("https://") else f"{self.endpoint}{url}"
        response = self._send(method, absolute, self.token(), headers, kwargs)
        if response.status_code == 401:
            response = self._send(method, absolute, self.token(fresh=True), headers, kwargs)
        if response.status_code >= 400:
            raise GraphError(
                f"{method} {safe_url(absolute)} answered {response.status_code}: {_graph_problem(response)}",
                status=response.status_code,
            )
        if not response.content:
            return {}
        return json_of(response, GraphError)

    def _send(self, method: str, url: str, token: str, headers: dict | None, kwargs: dict) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
        return send(
            self.session, method, url, error=GraphError, policy=self.policy, sleep=self.sleep, headers=headers, **kwargs
        )


def _token_problem(result: dict) -> str:
    """What MSAL's error answer says, first line only (Entra's descriptions add trace ids on later lines)."""
    description = str(result.get("error_description", "")).splitlines()
    return f"{result.get('error', 'unknown error')}: {description[0][:200] if description else ''}".rstrip(": ")


def _graph_problem(response: requests.Response) -> str:
    """Graph's error code and message, or the start of the body."""
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', '')} {str(error.get('message', ''))[:200]}".strip()
    except (ValueError, AttributeError):
        return response.text[:200]
