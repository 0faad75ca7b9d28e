"""Entra ID key discovery over HTTP (`responses`): the tenant's OpenID configuration, then its JWKS.

Every way the endpoints can fail or answer something unusable is one EntraDiscoveryError
naming what went wrong; keys of other kinds are skipped, not fatal.
"""

from __future__ import annotations

import pytest
import requests
import responses

from server.adapters import AdapterError
from server.adapters.entra_discovery import TIMEOUT, EntraDiscoveryError, fetch_signing_keys
from tests.entra_tokens import HOST, TENANT, configuration_url, jwks_url, make_key, mock_tenant


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def fetch() -> dict:
    return fetch_signing_keys(requests.Session(), HOST, TENANT)


def test_the_tenants_rsa_signing_keys_come_back_by_key_id(rsps):
    first, second = make_key("kid-1"), make_key("kid-2")
    mock_tenant(rsps, first, second)

    keys = fetch()

    assert set(keys) == {"kid-1", "kid-2"}
    assert keys["kid-1"].key.public_numbers() == first.private.public_key().public_numbers()
    assert [call.request.url for call in rsps.calls] == [configuration_url(), jwks_url()]


def test_both_requests_carry_explicit_timeouts(rsps):
    mock_tenant(rsps, make_key("kid-1"))
    seen = []
    original = requests.Session.get

    def spy(self, url, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, url, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.Session, "get", spy)
        fetch()

    assert seen == [TIMEOUT, TIMEOUT]


def test_keys_of_other_kinds_or_uses_and_unreadable_keys_are_skipped(rsps):
    good = make_key("good")
    mock_tenant(rsps)
    rsps.upsert(
        responses.GET,
        jwks_url(),
        json={
            "keys": [
                {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
                make_key("enc").jwk | {"use": "enc"},
                {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
                {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
                "not a key",
                good.jwk,
            ]
        },
    )

    assert set(fetch()) == {"good"}


FAILURES = [
    pytest.param({"status": 500}, None, "answered HTTP 500", id="configuration HTTP 500"),
    pytest.param({"status": 404}, None, "answered HTTP 404", id="configuration HTTP 404"),
    pytest.param({"body": "<html>maintenance</html>"}, None, "did not answer JSON", id="configuration not JSON"),
    pytest.param({"json": {"issuer": "x"}}, None, "no https jwks_uri", id="no jwks_uri"),
    pytest.param({"json": {"jwks_uri": "http://x/keys"}}, None, "no https jwks_uri", id="plain http jwks_uri"),
    pytest.param({"json": ["a list"]}, None, "no https jwks_uri", id="configuration not an object"),
    pytest.param({"body": requests.ConnectionError("refused")}, None, "ConnectionError", id="connection refused"),
    pytest.param({"body": requests.Timeout("slow")}, None, "Timeout", id="timeout"),
    pytest.param(None, {"status": 503}, "answered HTTP 503", id="keys HTTP 503"),
    pytest.param(None, {"json": {"nokeys": []}}, "not a JWKS document", id="keys without a keys list"),
    pytest.param(None, {"json": {"keys": []}}, "no usable RSA signing key", id="empty key list"),
    pytest.param(None, {"body": "{"}, "did not answer JSON", id="keys not JSON"),
]


@pytest.mark.parametrize(("configuration", "keys", "message"), FAILURES)
def test_every_failure_is_one_error_type_that_says_what_went_wrong(rsps, configuration, keys, message):
    mock_tenant(rsps, make_key("kid-1"))
    if configuration is not None:
        rsps.upsert(responses.GET, configuration_url(), **configuration)
    if keys is not None:
        rsps.upsert(responses.GET, jwks_url(), **keys)

    with pytest.raises(EntraDiscoveryError, match=message) as failed:
        fetch()

    assert isinstance(failed.value, AdapterError)
    assert str(failed.value).startswith("Entra ID key discovery: ")
