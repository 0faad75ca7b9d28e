"""Personio's API v1: employees, with a token from the client id and secret.

`PersonioClient(client_id, client_secret).employees()` pages
`/v1/company/employees` (limit/offset, 100 at most a page). The token comes
from `POST /v1/auth`; Personio may send a new one in each answer's
Authorization header, which replaces it; a 401 gets one fresh token and one
retry. Throttling and 5xx are retried with backoff. Failures are PersonioError.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import requests

from . import AdapterError
from .http import DEFAULT_POLICY, RetryPolicy, Sleep, json_of, safe_url, send

DEFAULT_URL = "https://api.personio.de"
PAGE = 100


class PersonioError(AdapterError):
    system = "Personio"


class PersonioClient:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = DEFAULT_URL,
        policy: RetryPolicy = DEFAULT_POLICY,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
    ):
        if not (client_id and client_secret):
            raise PersonioError("a client id and a client secret are both needed")
        self.client_id, self._secret = client_id, client_secret
        self.base = base_url.rstrip("/")
        self.policy, self.sleep = policy, sleep
        self.session = session or requests.Session()
        self._token: str | None = None

    def token(self, *, fresh: bool = False) -> str:
        if self._token and not fresh:
            return self._token
        body = {"client_id": self.client_id, "client_secret": self._secret}
        response = self._send("POST", f"{self.base}/v1/auth", json=body)
        if response.status_code >= 400:
            raise PersonioError(
                f"no token for client {self.client_id} ({response.status_code})", status=response.status_code
            )
        token = (json_of(response, PersonioError).get("data") or {}).get("token")
        if not token:
            raise PersonioError("the auth answer has no token")
        self._token = token
        return token

    def employees(self) -> Iterator[dict]:
        """Every employee, a page of PAGE at a time."""
        offset = 0
        while True:
            page = self._get("/v1/company/employees", {"limit": PAGE, "offset": offset})
            employees = page.get("data") or []
            yield from employees
            offset += len(employees)
            total = (page.get("metadata") or {}).get("total_elements")
            if len(employees) < PAGE or (isinstance(total, int) and offset >= total):
                return

    def _get(self, path: str, params: dict) -> dict:
        url = f"{self.base}{path}"
        response = self._send("GET", url, params=params, headers=self._auth(self.token()))
        if response.status_code == 401:
            response = self._send("GET", url, params=params, headers=self._auth(self.token(fresh=True)))
        if response.status_code >= 400:
            raise PersonioError(f"GET {safe_url(url)} answered {response.status_code}", status=response.status_code)
        rotated = response.headers.get("Authorization", "")
        if rotated.startswith("Bearer "):
            self._token = rotated.removeprefix("Bearer ")  # Personio hands out the next token with each answer
        return json_of(response, PersonioError)

    @staticmethod
    def _auth(token: str) -> dict:
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        return send(self.session, method, url, error=PersonioError, policy=self.policy, sleep=self.sleep, **kwargs)
