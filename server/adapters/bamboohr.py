"""BambooHR's REST API: a custom report of employees (one answer, BambooHR does not page it).

`BambooHRClient(company, api_key).report(fields)` posts a custom report
(`/v1/reports/custom?format=JSON&onlyCurrent=false`, so future terminations
are seen) with HTTP Basic auth (the API key as user name). A 401 is final: an
API key does not expire, it is revoked. Failures are BambooHRError.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time

import requests

from . import AdapterError
from .http import DEFAULT_POLICY, RetryPolicy, Sleep, json_of, safe_url, send

API = "https://api.bamboohr.com/api/gateway.php"


class BambooHRError(AdapterError):
    system = "BambooHR"


class BambooHRClient:
    def __init__(
        self,
        company: str,
        api_key: str,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
    ):
        if not (company and api_key):
            raise BambooHRError("a company subdomain and an API key are both needed")
        self.base = f"{API}/{company}/v1"
        self._key = api_key
        self.policy, self.sleep = policy, sleep
        self.session = session or requests.Session()

    def report(self, fields: list[str]) -> list[dict]:
        """The `employees` of a custom report with `fields` (every employee, current or not)."""
        url = f"{self.base}/reports/custom"
        response = send(
            self.session,
            "POST",
            url,
            error=BambooHRError,
            policy=self.policy,
            sleep=self.sleep,
            params={"format": "JSON", "onlyCurrent": "false"},
            json={"title": "LeaverGuard leavers", "fields": fields},
            headers={"Accept": "application/json"},
            auth=(self._key, "x"),
        )
        if response.status_code == 401:
            raise BambooHRError("the API key was refused (401): check LEAVERGUARD_BAMBOOHR_API_KEY", status=401)
        if response.status_code >= 400:
            reason = response.headers.get("X-BambooHR-Error-Message", "")[:200]
            raise BambooHRError(
                f"POST {safe_url(url)} answered {response.status_code} {reason}".rstrip(), status=response.status_code
            )
        employees = json_of(response, BambooHRError).get("employees")
        if not isinstance(employees, list):
            raise BambooHRError("the report has no list of employees")
        return employees
