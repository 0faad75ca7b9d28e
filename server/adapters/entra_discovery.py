"""Microsoft Entra ID's OpenID discovery: the token signing keys (JWKS) of one tenant.

`fetch_signing_keys(session, authority_host, tenant)` reads the tenant's v2.0 OpenID
configuration, follows its `jwks_uri`, and returns the RSA signing keys by key id.
Every call has explicit timeouts; every failure (network, HTTP status, a body that is not
what Microsoft documents) is one error type, EntraDiscoveryError. There is no retry
here: a fetch happens inside a token verification, which a person's Send is waiting
on; the caller (auth.entra_keys) decides when to try again.

Knows requests and PyJWT's JWK type; nothing of Flask, the database or the policy.
"""

from __future__ import annotations

from typing import Any

import requests
from jwt import PyJWK, PyJWTError

from . import AdapterError

# (connect, read) seconds: a verification waits on this only when its tenant's keys are
# missing or a token names an unknown key, and the add-in gives a check about 3.5 s in all.
TIMEOUT = (2.0, 3.0)


class EntraDiscoveryError(AdapterError):
    """Entra ID's discovery endpoints could not be read, or did not answer as documented."""

    system = "Entra ID key discovery"


def configuration_url(authority_host: str, tenant: str) -> str:
    return f"https://{authority_host}/{tenant}/v2.0/.well-known/openid-configuration"


def fetch_signing_keys(
    session: requests.Session, authority_host: str, tenant: str, timeout: tuple[float, float] = TIMEOUT
) -> dict[str, PyJWK]:
    """The tenant's RSA signing keys by `kid` (at least one), or EntraDiscoveryError."""
    metadata = _get_json(session, configuration_url(authority_host, tenant), timeout)
    jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://"):
        raise EntraDiscoveryError(f"the OpenID configuration of tenant {tenant} has no https jwks_uri")
    return _signing_keys(_get_json(session, jwks_uri, timeout), jwks_uri)


def _get_json(session: requests.Session, url: str, timeout: tuple[float, float]) -> Any:
    try:
        response = session.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise EntraDiscoveryError(f"{url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise EntraDiscoveryError(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise EntraDiscoveryError(f"{url} did not answer JSON") from None


def _signing_keys(jwks: Any, url: str) -> dict[str, PyJWK]:
    """The usable RSA signature keys of a JWKS document; keys of other kinds or uses are skipped."""
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(entries, list):
        raise EntraDiscoveryError(f"{url} is not a JWKS document (no `keys` list)")
    keys = {}
    for entry in entries:
        if _is_rsa_signing_key(entry):
            try:
                keys[entry["kid"]] = PyJWK(entry, algorithm="RS256")
            except (PyJWTError, ValueError, TypeError, KeyError):
                continue  # one unreadable key must not hide the others
    if not keys:
        raise EntraDiscoveryError(f"{url} lists no usable RSA signing key")
    return keys


def _is_rsa_signing_key(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and entry.get("kty") == "RSA"
        and entry.get("use", "sig") == "sig"
        and isinstance(entry.get("kid"), str)
        and bool(entry["kid"])
    )
