"""Microsoft ID tokens from the admin console's sign-in: check the signature and claims MSAL leaves unchecked.

MSAL gets the ID token from the token endpoint and checks its nonce, but not its
signature, issuer or expiry. `MicrosoftIdTokens.verify` accepts a token only when all
hold: an RS256 signature by a current key of the sign-in tenant (keys cached by
entra_keys, fetched by adapters.entra_discovery); audience = our client id; issuer
`https://<authority host>/<tid>/v2.0` of the token's own tenant, which must be the
configured one unless that is `organizations`; `exp`/`nbf` with a minute's leeway.

Rejections are AuthError; Microsoft's keys being unreachable is KeysUnavailable.
Knows PyJWT; fetches nothing itself.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import jwt
import requests

from ..adapters import entra_discovery
from .entra import LEEWAY_SECONDS, _key_id, _reason
from .entra_keys import Clock, SigningKeys
from .identity import AuthError
from .signin_settings import ORGANIZATIONS, MicrosoftSigninSettings

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "tid"]


class MicrosoftIdTokens:
    """Verifies the ID tokens of one Entra ID sign-in app registration."""

    def __init__(self, settings: MicrosoftSigninSettings, keys: SigningKeys):
        self.settings, self._keys = settings, keys

    @classmethod
    def connected(
        cls, settings: MicrosoftSigninSettings, session: requests.Session | None = None, clock: Clock = time.monotonic
    ) -> MicrosoftIdTokens:
        """Tokens checked against the sign-in tenant's keys, fetched from Entra ID over `session`."""
        fetch = partial(entra_discovery.fetch_signing_keys, session or requests.Session(), settings.authority_host)
        return cls(settings, SigningKeys(fetch, clock))

    def verify(self, id_token: str) -> dict[str, Any]:
        """The token's claims, or AuthError saying what is wrong (KeysUnavailable when keys cannot be had)."""
        kid = _key_id(id_token)
        tenant = self._tenant(id_token)
        key = self._keys.key(self.settings.tenant, kid)
        try:
            return jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=self.settings.client_id,
                issuer=f"https://{self.settings.authority_host}/{tenant}/v2.0",
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(_reason(exc)) from None

    def _tenant(self, id_token: str) -> str:
        """The token's tenant (unverified yet: the issuer check pins it), if it may sign in here."""
        try:
            tenant = jwt.decode(id_token, options={"verify_signature": False}).get("tid")
        except jwt.PyJWTError:
            raise AuthError("the ID token is not a well-formed JWT") from None
        if not isinstance(tenant, str) or not tenant:
            raise AuthError("the ID token names no tenant (tid)")
        if self.settings.tenant not in (ORGANIZATIONS, tenant.lower()):
            raise AuthError("the ID token is from another Entra ID tenant")
        return tenant.lower()
