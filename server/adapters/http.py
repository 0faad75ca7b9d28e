"""One outbound HTTP request with an explicit timeout, retried with backoff on throttling and server errors.

`send()` retries 429 and 5xx answers and connection failures, waiting what
Retry-After asks (capped) or an exponential backoff; other answers, good or
bad, go back to the caller. `safe_url()` is how a URL may appear in a message:
scheme, host and path, never the query string (it may carry a signature).

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

from . import AdapterError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry: `attempts` in all, waits doubling from `backoff`, none over `max_wait`."""

    attempts: int = 4
    backoff: float = 1.0
    max_wait: float = 120.0
    timeout: float = 30.0


DEFAULT_POLICY = RetryPolicy()


def safe_url(url: str) -> str:
    """The URL without query string or fragment, for messages and logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    error: type[AdapterError],
    policy: RetryPolicy,
    sleep: Sleep = time.sleep,
    **kwargs,
) -> requests.Response:
    """The response to `method url`, after retrying throttling, 5xx and connection failures."""
    for attempt in range(1, policy.attempts + 1):
        response, failure = _attempt(session, method, url, policy.timeout, kwargs)
        if response is not None and response.status_code not in RETRY_STATUSES:
            return response
        if attempt == policy.attempts:
            status = response.status_code if response is not None else None
            raise error(f"{failure} (gave up after {attempt} attempts)", status=status)
        sleep(wait_before_retry(response, attempt, policy))
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(session, method: str, url: str, timeout: float, kwargs: dict) -> tuple[requests.Response | None, str]:
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:  # the exception's text may quote the URL: only its kind is kept
        return None, f"{method} {safe_url(url)} failed ({type(exc).__name__})"
    return response, f"{method} {safe_url(url)} answered {response.status_code}"


def wait_before_retry(response: requests.Response | None, attempt: int, policy: RetryPolicy) -> float:
    """Seconds to wait before retry number `attempt`: Retry-After if the server said, else exponential backoff."""
    asked = retry_after(response.headers.get("Retry-After")) if response is not None else None
    wait = asked if asked is not None else policy.backoff * 2 ** (attempt - 1)
    return min(max(wait, 0.0), policy.max_wait)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (it may be a number of seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - (now or datetime.now(UTC))).total_seconds()


def json_of(response: requests.Response, error: type[AdapterError]) -> dict:
    """The JSON object of a response, or `error` naming the URL when it is not one."""
    try:
        body = response.json()
    except ValueError:
        raise error(f"{safe_url(response.url)} did not answer JSON", status=response.status_code) from None
    if not isinstance(body, dict):
        raise error(f"{safe_url(response.url)} answered JSON that is not an object", status=response.status_code)
    return body
