"""Builders for Entra ID tokens in tests: locally generated RSA keys, their JWKS, signed and forged tokens.

`mock_tenant(rsps, tenant, *keys)` serves a tenant's OpenID configuration and JWKS through
`responses`, the way Entra ID does; `token(key, **claims)` is an access token for our API
signed by `key`, with every claim a real one carries unless a test overrides or drops it
(`claim=DROP`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

TENANT = "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b"
OTHER_TENANT = "0f9e8d7c-6b5a-4948-8372-615f4e3d2c1b"
CLIENT_ID = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
APP_ID_URI = f"api://leaverguard.northwind.example/{CLIENT_ID}"
HOST = "login.microsoftonline.com"
ALICE = "alice@northwind.example"
DROP = object()  # a claim or header value that means "leave it out"


@dataclass(frozen=True)
class Key:
    kid: str
    private: rsa.RSAPrivateKey

    @property
    def jwk(self) -> dict[str, Any]:
        """The public half as Entra ID publishes it (no `alg`, `use: sig`)."""
        return json.loads(RSAAlgorithm.to_jwk(self.private.public_key())) | {"kid": self.kid, "use": "sig"}

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@cache
def make_key(kid: str) -> Key:
    """A 2048-bit RSA key (generated once per kid and test run: generation is slow)."""
    return Key(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def v2_claims(tenant: str = TENANT, host: str = HOST, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "aud": CLIENT_ID,
        "iss": f"https://{host}/{tenant}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "tid": tenant,
        "scp": "access_as_user",
        "preferred_username": ALICE,
        "ver": "2.0",
    }
    return _apply(claims, overrides)


def v1_claims(tenant: str = TENANT, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "aud": f"api://{CLIENT_ID}",
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "tid": tenant,
        "scp": "access_as_user",
        "upn": ALICE,
        "ver": "1.0",
    }
    return _apply(claims, overrides)


def _apply(values: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = values | overrides
    return {name: value for name, value in merged.items() if value is not DROP}


def token(key: Key, claims: dict[str, Any] | None = None, **header: Any) -> str:
    """`claims` (default v2_claims()) signed with RS256 by `key`; header values override (DROP removes)."""
    headers = _apply({"kid": key.kid, "typ": "JWT"}, header)
    return jwt.encode(claims or v2_claims(), key.private, algorithm="RS256", headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand: any header, any claims, any (or no) signature."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


def hs256_with_public_key(key: Key, claims: dict[str, Any]) -> str:
    """The classic confusion attack: HMAC-SHA256 keyed with the RSA public key everyone can download."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def tampered(token_text: str, **changes: Any) -> str:
    """The token with claims changed and its original signature kept."""
    header, payload, signature = token_text.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{b64(json.dumps(claims | changes).encode())}.{signature}"


def configuration_url(tenant: str = TENANT, host: str = HOST) -> str:
    return f"https://{host}/{tenant}/v2.0/.well-known/openid-configuration"


def jwks_url(tenant: str = TENANT, host: str = HOST) -> str:
    return f"https://{host}/{tenant}/discovery/v2.0/keys"


def mock_tenant(rsps: responses.RequestsMock, *keys: Key, tenant: str = TENANT, host: str = HOST) -> None:
    """The tenant's v2.0 OpenID configuration and its JWKS listing `keys` (replacing earlier answers)."""
    configuration = {
        "issuer": f"https://{host}/{tenant}/v2.0",
        "jwks_uri": jwks_url(tenant, host),
        "token_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/token",
    }
    rsps.upsert(responses.GET, configuration_url(tenant, host), json=configuration)
    rsps.upsert(responses.GET, jwks_url(tenant, host), json={"keys": [key.jwk for key in keys]})


def calls_to(rsps: responses.RequestsMock, url: str) -> int:
    return sum(1 for call in rsps.calls if call.request.url == url)
