"""The signing-key cache: fetched once, refetched for a new key id at most once a minute, kept through outages."""

from __future__ import annotations

import pytest

from server.adapters.entra_discovery import EntraDiscoveryError
from server.auth.entra_keys import (
    MAX_AGE_SECONDS,
    MIN_REFETCH_SECONDS,
    RETRY_FAILED_SECONDS,
    KeysUnavailable,
    SigningKeys,
)
from server.auth.identity import AuthError

TENANT, OTHER = "tenant-a", "tenant-b"


class FakeEntra:
    """Answers like Entra ID's key endpoint: the key ids it currently publishes per tenant, or an outage."""

    def __init__(self):
        self.published = {TENANT: ["k1"]}
        self.down = False
        self.fetches: list[str] = []

    def __call__(self, tenant: str) -> dict[str, str]:
        self.fetches.append(tenant)
        if self.down:
            raise EntraDiscoveryError("connection refused")
        return {kid: f"key {kid} of {tenant}" for kid in self.published[tenant]}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def entra():
    return FakeEntra()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def keys(entra, clock):
    return SigningKeys(entra, clock)


def test_the_first_token_of_a_tenant_fetches_its_keys_and_later_ones_use_the_cache(keys, entra):
    assert keys.key(TENANT, "k1") == "key k1 of tenant-a"
    assert keys.key(TENANT, "k1") == "key k1 of tenant-a"

    assert entra.fetches == [TENANT]


def test_each_tenant_has_its_own_keys(entra, keys):
    entra.published[OTHER] = ["k9"]

    assert keys.key(OTHER, "k9") == "key k9 of tenant-b"
    with pytest.raises(AuthError):
        keys.key(TENANT, "k9")


def test_a_rotated_key_is_fetched_when_a_token_first_names_it(keys, entra, clock):
    keys.key(TENANT, "k1")
    entra.published[TENANT] = ["k1", "k2"]
    clock.now += MIN_REFETCH_SECONDS

    assert keys.key(TENANT, "k2") == "key k2 of tenant-a"
    assert entra.fetches == [TENANT, TENANT]


def test_a_key_id_still_unknown_after_refetching_is_a_401(keys, entra, clock):
    keys.key(TENANT, "k1")
    clock.now += MIN_REFETCH_SECONDS

    with pytest.raises(AuthError, match="does not publish"):
        keys.key(TENANT, "forged-kid")
    assert entra.fetches == [TENANT, TENANT]


def test_a_flood_of_unknown_key_ids_refetches_at_most_once_a_minute(keys, entra, clock):
    keys.key(TENANT, "k1")
    clock.now += MIN_REFETCH_SECONDS
    for n in range(50):
        clock.now += 1
        with pytest.raises(AuthError):
            keys.key(TENANT, f"invented-{n}")

    assert len(entra.fetches) == 2  # the first fetch and one refetch; the next one is due a minute later
    clock.now += MIN_REFETCH_SECONDS
    with pytest.raises(AuthError):
        keys.key(TENANT, "invented-again")
    assert len(entra.fetches) == 3


def test_an_unknown_key_id_right_after_a_fetch_waits_for_the_next_refetch_window(keys, entra, clock):
    keys.key(TENANT, "k1")
    entra.published[TENANT] = ["k1", "k2"]
    clock.now += MIN_REFETCH_SECONDS - 1

    with pytest.raises(AuthError):
        keys.key(TENANT, "k2")
    clock.now += 1
    assert keys.key(TENANT, "k2") == "key k2 of tenant-a"


def test_keys_older_than_a_day_are_refreshed_on_the_next_token(keys, entra, clock):
    keys.key(TENANT, "k1")
    clock.now += MAX_AGE_SECONDS

    keys.key(TENANT, "k1")

    assert entra.fetches == [TENANT, TENANT]


def test_without_any_key_a_microsoft_outage_is_a_503_not_a_401(keys, entra):
    entra.down = True

    with pytest.raises(KeysUnavailable) as unavailable:
        keys.key(TENANT, "k1")

    assert unavailable.value.code == 503
    assert "cannot be verified right now" in unavailable.value.description


def test_during_an_outage_the_keys_already_known_keep_working(keys, entra, clock):
    keys.key(TENANT, "k1")
    entra.down = True
    clock.now += MAX_AGE_SECONDS  # due for its daily refresh, which fails

    assert keys.key(TENANT, "k1") == "key k1 of tenant-a"
    with pytest.raises(KeysUnavailable):
        keys.key(TENANT, "k2")  # it may be a new key Microsoft started using: we cannot tell


def test_a_failed_fetch_is_retried_after_a_few_seconds_not_on_every_request(keys, entra, clock):
    entra.down = True
    for _ in range(10):
        with pytest.raises(KeysUnavailable):
            keys.key(TENANT, "k1")
    assert len(entra.fetches) == 1

    entra.down = False
    clock.now += RETRY_FAILED_SECONDS
    assert keys.key(TENANT, "k1") == "key k1 of tenant-a"
    assert len(entra.fetches) == 2
