"""HubSpot's CRM API v3 with a private app token: companies with their contacts, contacts, owners.

`HubSpotClient(token)`: `companies(properties)` pages `/crm/v3/objects/companies`
(with associated contact ids), `contacts(ids, properties)` reads them 100 at a
time (`batch/read`), `owners()` pages `/crm/v3/owners`; paging follows
`paging.next.after`. A private app token does not expire, so a 401 is final.
Throttling (429 with Retry-After) and 5xx are retried. Failures are HubSpotError.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import requests

from . import AdapterError
from .http import DEFAULT_POLICY, RetryPolicy, Sleep, json_of, safe_url, send

API = "https://api.hubapi.com"
BATCH = 100


class HubSpotError(AdapterError):
    system = "HubSpot"


class HubSpotClient:
    def __init__(
        self,
        token: str,
        *,
        base_url: str = API,
        policy: RetryPolicy = DEFAULT_POLICY,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
    ):
        if not token:
            raise HubSpotError("a private app token is needed")
        self._token, self.base = token, base_url.rstrip("/")
        self.policy, self.sleep = policy, sleep
        self.session = session or requests.Session()

    def companies(self, properties: Sequence[str]) -> Iterator[dict]:
        params = {"limit": BATCH, "properties": ",".join(properties), "associations": "contacts", "archived": "false"}
        return self._pages("/crm/v3/objects/companies", params)

    def owners(self) -> Iterator[dict]:
        return self._pages("/crm/v3/owners", {"limit": BATCH})

    def contacts(self, ids: Sequence[str], properties: Sequence[str]) -> Iterator[dict]:
        for start in range(0, len(ids), BATCH):
            body = {"properties": list(properties), "inputs": [{"id": i} for i in ids[start : start + BATCH]]}
            yield from self._request("POST", "/crm/v3/objects/contacts/batch/read", json=body).get("results", [])

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
        after = None
        while True:
            page = self._request("GET", path, params={**params, **({"after": after} if after else {})})
            yield from page.get("results", [])
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _request(self, method: str, path: str, **kwargs) -> dict:
        url = f"{self.base}{path}"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        response = send(
            self.session,
            method,
            url,
            error=HubSpotError,
            policy=self.policy,
            sleep=self.sleep,
            headers=headers,
            **kwargs,
        )
        if response.status_code == 401:
            raise HubSpotError("the private app token was refused (401): check LEAVERGUARD_HUBSPOT_TOKEN", status=401)
        if response.status_code >= 400:
            message = _message(response)
            raise HubSpotError(
                f"{method} {safe_url(url)} answered {response.status_code} {message}".rstrip(),
                status=response.status_code,
            )
        return json_of(response, HubSpotError)


def _message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return ""
