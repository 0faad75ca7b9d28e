"""Who is calling: the Identity value, the verifier interface and the registry that picks one by scheme.

`Identity` (defined in the pure server.identities, so that services can take it without
importing this package) is everything a token proves: the sign-in name, further e-mail
addresses, and for Entra ID the object id and tenant. `TokenVerifier` is one
Authorization scheme (`verify(credentials) -> Identity`); `Verifiers` holds the
accepted ones. The development scheme `Authorization: Dev <email>` lives here too; it
is registered only when LEAVERGUARD_ENV=development.

Must not import Flask or the network: verifiers that fetch keys live beside this module.
"""

from __future__ import annotations

from typing import Protocol

from ..identities import Identity
from ..model import InvalidAddress, normalise_address

__all__ = ["AuthError", "DevVerifier", "Identity", "TokenVerifier", "Verifiers"]


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
