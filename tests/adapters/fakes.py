"""Recorded-shape answers of outside systems for `responses`: MSAL's authority metadata and token endpoint."""

from __future__ import annotations

import responses

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "s3cret-Graph-Value~that-must-never-leak"
LOGIN = "https://login.microsoftonline.com"
GRAPH = "https://graph.microsoft.com"
TOKEN_URL = f"{LOGIN}/{TENANT}/oauth2/v2.0/token"


def mock_entra_authority(rsps: responses.RequestsMock, *tokens: str) -> None:
    """The tenant's OpenID metadata (read when MSAL builds the app), instance discovery, a token per `tokens`."""
    rsps.get(
        f"{LOGIN}/{TENANT}/v2.0/.well-known/openid-configuration",
        json={
            "token_endpoint": TOKEN_URL,
            "authorization_endpoint": f"{LOGIN}/{TENANT}/oauth2/v2.0/authorize",
            "issuer": f"{LOGIN}/{TENANT}/v2.0",
        },
    )
    # Asked when MSAL looks up the authority's aliases (dropping cached tokens after a 401).
    rsps.get(
        f"{LOGIN}/common/discovery/instance",
        json={
            "tenant_discovery_endpoint": f"{LOGIN}/{TENANT}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {
                    "preferred_network": "login.microsoftonline.com",
                    "preferred_cache": "login.windows.net",
                    "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com"],
                }
            ],
        },
    )
    for token in tokens or ("token-1",):
        rsps.post(TOKEN_URL, json={"token_type": "Bearer", "expires_in": 3599, "access_token": token})


def no_sleep(_seconds: float) -> None:
    """Retries in tests do not wait."""
