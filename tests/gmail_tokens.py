"""Builders for the Gmail add-on's tests: Google-style ID tokens, Google's certificates, and add-on events.

`key(kid)` is a local RSA key with a self-signed X.509 certificate; `mock_certs(rsps, *keys)`
answers Google's OAuth2 certificates URL with them through `responses`, as Google does
(`{kid: PEM certificate}`). `token(key, **claims)` signs a JWT with `key`; `system_token`
and `user_token` carry every claim Google's do unless a test overrides or drops one
(`claim=DROP`). `event(...)` is an add-on event shaped as Google sends it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
BASE = "https://leaverguard.northwind.example"
SERVICE_ACCOUNT = "service-1020467772664@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
CLIENT_ID = "1020467772664-2o4vitgmjrsiirshfqk40knvgdol4sp4.apps.googleusercontent.com"
GMAIL_SETTINGS = {"GMAIL_SERVICE_ACCOUNT": SERVICE_ACCOUNT, "GMAIL_OAUTH_CLIENT_ID": CLIENT_ID, "BASE_URL": BASE}
DROP = object()


class Key:
    def __init__(self, kid: str):
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test.googleapis.example")])
        now = datetime.now(UTC)
        builder = x509.CertificateBuilder().subject_name(name).issuer_name(name)
        builder = builder.public_key(self.private.public_key()).serial_number(x509.random_serial_number())
        builder = builder.not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        self.certificate = builder.sign(self.private, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@cache
def key(kid: str = "google-key-1") -> Key:
    """A key per kid, made once per test run (generating RSA keys is slow)."""
    return Key(kid)


def mock_certs(rsps: responses.RequestsMock, *keys: Key, max_age: int = 20000) -> None:
    body = {k.kid: k.certificate.decode() for k in keys}
    rsps.get(CERTS_URL, json=body, headers={"Cache-Control": f"public, max-age={max_age}, must-revalidate"})


def token(signing_key: Key, claims: dict[str, Any], **header: Any) -> str:
    headers = {"kid": signing_key.kid} | header
    return jwt.encode(claims, signing_key.private, algorithm="RS256", headers=headers)


def _claims(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = base | overrides
    return {name: value for name, value in merged.items() if value is not DROP}


def system_claims(path: str = "/gmail/compose", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "aud": BASE + path,
        "azp": "102328372006275262040",
        "email": SERVICE_ACCOUNT,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
        "iss": "https://accounts.google.com",
        "sub": "102328372006275262040",
    }
    return _claims(base, overrides)


def user_claims(email: str = "alice@northwind.example", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "https://accounts.google.com",
        "sub": "117384111522443364607",
        "hd": "northwind.example",
        "email": email,
        "email_verified": True,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
    }
    return _claims(base, overrides)


def event(
    to: list[str] | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    *,
    user: str | None = None,
    locale: str = "en",
    form: dict[str, list[str]] | None = None,
    oauth_spelling: str = "userOAuthToken",
) -> dict[str, Any]:
    """An add-on event from Gmail's compose window, as Google sends it (with the user's OAuth token we never use)."""
    common: dict[str, Any] = {"hostApp": "GMAIL", "platform": "WEB", "userLocale": locale}
    if form:
        common["formInputs"] = {name: {"stringInputs": {"value": values}} for name, values in form.items()}
    authorization = {oauth_spelling: "ya29.a0-user-oauth-token-never-used", "systemIdToken": "eyJ-ignored"}
    authorization["userIdToken"] = user if user is not None else token(key(), user_claims())
    gmail = {"toRecipients": to or [], "ccRecipients": cc or [], "bccRecipients": bcc or []}
    return {"commonEventObject": common, "authorizationEventObject": authorization, "gmail": gmail}


def headers(path: str = "/gmail/compose", signing_key: Key | None = None, **overrides: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(signing_key or key(), system_claims(path, **overrides))}"}
