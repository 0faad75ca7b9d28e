"""Inbound identity: who is calling, from a verified `Authorization` header.

One interface (`TokenVerifier`: a scheme and `verify(credentials) -> Identity`)
and a registry that picks the verifier by scheme. This module ships the
development scheme `Authorization: Dev <email>`, which exists only when
LEAVERGUARD_ENV=development; Entra ID and Google verifiers plug in beside it.

Only this module, db and web/* know Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app

from .model import Address, InvalidAddress, normalise_address


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller: their address and how it was proven."""

    address: Address
    scheme: str


class AuthError(Exception):
    """The caller could not be identified; `reason` says why, for a 401 body."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TokenVerifier(Protocol):
    scheme: str  # lowercase Authorization scheme, e.g. "bearer"

    def verify(self, credentials: str) -> Identity: ...


class DevVerifier:
    """`Authorization: Dev alice@example.com`: trust the address as given. Development only."""

    scheme = "dev"

    def verify(self, credentials: str) -> Identity:
        try:
            return Identity(normalise_address(credentials), self.scheme)
        except InvalidAddress as exc:
            raise AuthError(f"the Dev scheme needs one e-mail address ({exc.reason})") from None


class Verifiers:
    """The verifiers this app accepts, by scheme."""

    def __init__(self, verifiers: list[TokenVerifier]):
        self._by_scheme = {v.scheme: v for v in verifiers}

    @property
    def real_schemes(self) -> list[str]:
        return [s for s in self._by_scheme if s != DevVerifier.scheme]

    def authenticate(self, header: str | None) -> Identity:
        """The caller behind an Authorization header value, or AuthError."""
        if not header or not header.strip():
            raise AuthError("missing Authorization header")
        scheme, _, credentials = header.strip().partition(" ")
        verifier = self._by_scheme.get(scheme.lower())
        if verifier is None:
            accepted = ", ".join(sorted(self._by_scheme)) or "none"
            raise AuthError(f"the {scheme!r} scheme is not accepted here (accepted: {accepted})")
        if not credentials.strip():
            raise AuthError(f"the {scheme} scheme needs credentials after it")
        return verifier.verify(credentials.strip())


def init_app(app: Flask) -> None:
    """Register the verifiers: the development scheme in development, plus any in TOKEN_VERIFIERS.

    TOKEN_VERIFIERS (a list of TokenVerifier objects, set from create_app's
    test_config) is where the Entra ID and Google verifiers plug in.
    """
    verifiers: list[TokenVerifier] = list(app.config.get("TOKEN_VERIFIERS", []))
    if app.config["ENV"] == "development":
        verifiers.append(DevVerifier())
    app.extensions["leaverguard.verifiers"] = Verifiers(verifiers)


def verifiers_of(app: Flask) -> Verifiers:
    return app.extensions["leaverguard.verifiers"]


def verifiers() -> Verifiers:
    return verifiers_of(current_app)
