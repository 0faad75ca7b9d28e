"""The signing keys of each allowed Entra ID tenant, cached, refreshed when a token names a new one.

`SigningKeys.key(tenant, kid)` answers from the cache. It fetches (through a `fetch`
function, in production adapters.entra_discovery) when the tenant has no keys yet,
when its keys are older than a day, or when a token names a key id the cache does
not hold (Entra ID rotates keys). That last refetch happens at most once a minute
per tenant, so a flood of tokens with invented key ids costs Microsoft one request a
minute; a failed fetch is retried after a few seconds at the earliest.

Outcomes: the key; AuthError when the tenant's current keys do not include that key
id (a 401: the token is not one of theirs); KeysUnavailable when the keys cannot be
fetched and none that would do are cached (a 503: the token may well be good).

Knows werkzeug's 503 exception (so the API's error handler answers it), not the network.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jwt import PyJWK
from werkzeug.exceptions import ServiceUnavailable

from ..adapters import AdapterError
from .identity import AuthError

log = logging.getLogger(__name__)

MIN_REFETCH_SECONDS = 60.0  # between refetches for unknown key ids, per tenant
RETRY_FAILED_SECONDS = 5.0  # between attempts while Microsoft cannot be reached
MAX_AGE_SECONDS = 24 * 3600.0  # Microsoft's advice: check the keys at least daily

Fetch = Callable[[str], dict[str, PyJWK]]
Clock = Callable[[], float]


class KeysUnavailable(ServiceUnavailable):
    """Entra ID's signing keys cannot be fetched right now: no token can be checked (503, not 401)."""

    def __init__(self) -> None:
        super().__init__(
            "sign-in tokens cannot be verified right now: Microsoft Entra ID's signing keys are unreachable;"
            " try again in a minute"
        )


@dataclass(slots=True)
class _Tenant:
    keys: dict[str, PyJWK] = field(default_factory=dict)
    fetched_at: float | None = None  # last successful fetch
    tried_at: float = float("-inf")  # last attempt, successful or not
    failed: bool = False  # the last attempt failed


class SigningKeys:
    """Per tenant key cache with bounded refetching; thread-safe."""

    def __init__(self, fetch: Fetch, clock: Clock = time.monotonic):
        self._fetch, self._clock = fetch, clock
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.Lock()

    def key(self, tenant: str, kid: str) -> PyJWK:
        """The tenant's key `kid`, or AuthError (not a key of theirs) or KeysUnavailable."""
        with self._lock:
            state = self._tenants.setdefault(tenant, _Tenant())
            if self._should_fetch(state, kid):
                self._refresh(tenant, state)
            if kid in state.keys:
                return state.keys[kid]
            if state.failed:
                raise KeysUnavailable()
            raise AuthError("the token is signed with a key its tenant does not publish")

    def _should_fetch(self, state: _Tenant, kid: str) -> bool:
        now = self._clock()
        if state.failed:
            return now - state.tried_at >= RETRY_FAILED_SECONDS
        if state.fetched_at is None or now - state.fetched_at >= MAX_AGE_SECONDS:
            return True
        return kid not in state.keys and now - state.tried_at >= MIN_REFETCH_SECONDS

    def _refresh(self, tenant: str, state: _Tenant) -> None:
        """Fetch the tenant's keys; on failure keep the old ones (Microsoft publishes keys well before use)."""
        state.tried_at = self._clock()
        try:
            state.keys = self._fetch(tenant)
        except AdapterError as exc:
            log.warning("cannot fetch the signing keys of tenant %s: %s", tenant, exc)
            state.failed = True
            return
        state.fetched_at, state.failed = state.tried_at, False
