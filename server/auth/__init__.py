"""Inbound identity: who is calling, from a verified `Authorization` header.

One interface (`TokenVerifier`: a scheme and `verify(credentials) -> Identity`) and a
registry that picks the verifier by scheme (identity.py). Schemes: `Dev <email>`, only
when LEAVERGUARD_ENV=development; `Bearer <Entra ID access token>` when
LEAVERGUARD_ENTRA_CLIENT_ID and LEAVERGUARD_ENTRA_TENANTS are set (entra.py, with its
key cache in entra_keys.py). The Gmail add-on's requests are proven differently (two
Google ID tokens, google.py): its verifier is kept apart, as `gmail_verifier()`, when
LEAVERGUARD_GMAIL_SERVICE_ACCOUNT and LEAVERGUARD_GMAIL_OAUTH_CLIENT_ID are set.

Only this package, db and web/* know Flask (here: init_app and the lookups below).
"""

from __future__ import annotations

from flask import Flask, current_app

from .entra import EntraSettings, EntraVerifier
from .google import GmailSettings, GmailVerifier
from .identity import AuthError, DevVerifier, Identity, TokenVerifier, Verifiers

__all__ = [
    "AuthError",
    "DevVerifier",
    "Identity",
    "TokenVerifier",
    "Verifiers",
    "gmail_verifier",
    "init_app",
    "real_verifiers",
    "verifiers",
    "verifiers_of",
]


def init_app(app: Flask) -> None:
    """Register the verifiers: Entra ID when configured, any in TOKEN_VERIFIERS, the development scheme in development.

    TOKEN_VERIFIERS (a list of TokenVerifier objects, set from create_app's test_config)
    comes after Entra ID, so a test's own verifier takes the scheme it names.
    A bad Entra ID setting stops the start with a message (SystemExit).
    """
    verifiers: list[TokenVerifier] = []
    entra_settings = EntraSettings.from_config(app.config)
    if entra_settings is not None:
        verifiers.append(EntraVerifier.connected(entra_settings))
    verifiers += app.config.get("TOKEN_VERIFIERS", [])
    if app.config["ENV"] == "development":
        verifiers.append(DevVerifier())
    app.extensions["leaverguard.verifiers"] = Verifiers(verifiers)
    gmail_settings = GmailSettings.from_config(app.config)
    app.extensions["leaverguard.gmail_verifier"] = GmailVerifier(gmail_settings) if gmail_settings else None


def verifiers_of(app: Flask) -> Verifiers:
    return app.extensions["leaverguard.verifiers"]


def verifiers() -> Verifiers:
    return verifiers_of(current_app)


def gmail_verifier() -> GmailVerifier | None:
    """The Gmail add-on's verifier, or None when the add-on is not configured."""
    return current_app.extensions["leaverguard.gmail_verifier"]


def real_verifiers(app: Flask) -> list[str]:
    """The ways a caller can really be proven here (not the development scheme), for the production start check."""
    gmail = ["gmail"] if app.extensions["leaverguard.gmail_verifier"] is not None else []
    return verifiers_of(app).real_schemes + gmail
