"""Google's public certificates for ID tokens, fetched once and kept, as google-auth's transport wants them.

google-auth's `id_token.verify_token` asks its `request` for the certificates on
every call. `CachedCertsRequest` is that request: it answers a GET it answered
before from memory until the answer's `Cache-Control: max-age` runs out (Google
rotates its keys about daily), and `refresh()` forgets it at most once a minute, for
a token that names a key the kept answer lacks. Every fetch has a timeout.

Must not import Flask. Never logs a token (only URLs pass through here).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import google.auth.transport.requests
import requests
from google.auth import transport

FETCH_TIMEOUT = 5.0  # seconds; a request from Google waits on this
DEFAULT_MAX_AGE = 3600.0
MAX_AGE_BOUNDS = (60.0, 24 * 3600.0)
REFRESH_SPACING = 60.0  # a token naming an unknown key may refetch the certificates this often at most
_MAX_AGE = re.compile(r"max-age=(\d+)")


@dataclass(frozen=True, slots=True)
class _Answer:
    """An answer as google-auth reads one (status, headers, data), kept with when it was fetched."""

    status: int
    headers: Mapping[str, str]
    data: bytes
    fetched_at: float = field(default=0.0, compare=False)
    max_age: float = DEFAULT_MAX_AGE


class CachedCertsRequest(transport.Request):
    """A google-auth transport that keeps successful GET answers for as long as they say they may be kept."""

    def __init__(self, session: requests.Session | None = None, clock: Callable[[], float] = time.monotonic):
        self._inner = google.auth.transport.requests.Request(session=session or requests.Session())
        self._clock = clock
        self._answers: dict[str, _Answer] = {}
        self._refreshed_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        if method != "GET":
            return self._inner(url, method=method, body=body, headers=headers, timeout=FETCH_TIMEOUT, **kwargs)
        with self._lock:
            kept = self._answers.get(url)
            if kept is not None and self._clock() - kept.fetched_at < kept.max_age:
                return kept
        answer = self._fetch(url, headers)
        if answer.status == 200:
            with self._lock:
                self._answers[url] = answer
        return answer

    def refresh(self) -> bool:
        """Forget the kept answers so the next call fetches anew; False when that was done under a minute ago."""
        with self._lock:
            now = self._clock()
            if self._refreshed_at is not None and now - self._refreshed_at < REFRESH_SPACING:
                return False
            self._refreshed_at = now
            self._answers.clear()
            return True

    def _fetch(self, url: str, headers) -> _Answer:
        response = self._inner(url, method="GET", headers=headers, timeout=FETCH_TIMEOUT)
        answer_headers = dict(response.headers)
        return _Answer(response.status, answer_headers, response.data, self._clock(), _max_age(answer_headers))


def _max_age(headers: Mapping[str, str]) -> float:
    """Seconds the answer may be kept: its Cache-Control max-age, within sane bounds; an hour when it says none."""
    control = next((value for name, value in headers.items() if name.lower() == "cache-control"), "")
    match = _MAX_AGE.search(control)
    if not match:
        return DEFAULT_MAX_AGE
    low, high = MAX_AGE_BOUNDS
    return min(max(float(match.group(1)), low), high)
