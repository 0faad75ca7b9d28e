"""Salesforce's REST API with the OAuth 2.0 client credentials flow: SOQL queries, page after page.

`SalesforceClient(url, client_id, client_secret).query(soql)` yields every
record, following `nextRecordsUrl`. The token comes from
`<My Domain>/services/oauth2/token` (grant_type=client_credentials) with the
instance URL to query; a 401 gets one fresh token and one retry. Throttling and
5xx are retried with backoff. Failures are SalesforceError.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import requests

from . import AdapterError
from .http import DEFAULT_POLICY, RetryPolicy, Sleep, json_of, safe_url, send

API_VERSION = "v62.0"


class SalesforceError(AdapterError):
    system = "Salesforce"


class SalesforceClient:
    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
    ):
        if not (url and client_id and client_secret):
            raise SalesforceError("a My Domain URL, a client id and a client secret are all needed")
        self.url, self.client_id, self._secret = url.rstrip("/"), client_id, client_secret
        self.policy, self.sleep = policy, sleep
        self.session = session or requests.Session()
        self._token: tuple[str, str] | None = None  # (access token, instance URL)

    def token(self, *, fresh: bool = False) -> tuple[str, str]:
        """(access token, instance URL) from the client credentials flow."""
        if self._token and not fresh:
            return self._token
        data = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret}
        response = self._send("POST", f"{self.url}/services/oauth2/token", data=data)
        body = json_of(response, SalesforceError)
        if response.status_code >= 400 or "access_token" not in body:
            problem = f"{body.get('error', '')}: {str(body.get('error_description', ''))[:200]}".strip(": ")
            raise SalesforceError(f"no token for client {self.client_id[:12]}…: {problem}", status=response.status_code)
        self._token = (body["access_token"], body.get("instance_url", self.url).rstrip("/"))
        return self._token

    def query(self, soql: str) -> Iterator[dict]:
        page = self._get(f"/services/data/{API_VERSION}/query", {"q": soql})
        while True:
            yield from page.get("records", [])
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._get(next_url, None)

    def _get(self, path: str, params: dict | None) -> dict:
        response = self._authorized(path, params, fresh=False)
        if response.status_code == 401:
            response = self._authorized(path, params, fresh=True)
        if response.status_code >= 400:
            raise SalesforceError(
                f"GET {safe_url(response.url)} answered {response.status_code} {_message(response)}".rstrip(),
                status=response.status_code,
            )
        return json_of(response, SalesforceError)

    def _authorized(self, path: str, params: dict | None, *, fresh: bool) -> requests.Response:
        token, instance = self.token(fresh=fresh)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return self._send("GET", f"{instance}{path}", params=params, headers=headers)

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        return send(self.session, method, url, error=SalesforceError, policy=self.policy, sleep=self.sleep, **kwargs)


def _message(response: requests.Response) -> str:
    """Salesforce answers errors as a list of {message, errorCode}."""
    try:
        body = response.json()
        first = body[0] if isinstance(body, list) and body else body
        return f"{first.get('errorCode', '')} {str(first.get('message', ''))[:200]}".strip()
    except (ValueError, AttributeError, IndexError):
        return ""
