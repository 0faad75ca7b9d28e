"""Entra ID access tokens: check a bearer token the Outlook add-in got for our API, and name its user.

`EntraSettings.from_config` reads and validates LEAVERGUARD_ENTRA_* (None when Entra ID
is not configured). `EntraVerifier` (scheme `bearer`) accepts a token only when all hold:
an RS256 signature by a current key of the token's tenant; `exp`/`nbf` with a minute's
leeway; the tenant is an allowed one; the issuer is that tenant in the v1
(`https://sts.windows.net/<tid>/`) or v2 (`https://<authority host>/<tid>/v2.0`) form;
the audience is our client id or App ID URI; the scopes include `access_as_user`. The
Identity carries what the token proves of its user (Microsoft's access token claims
reference): `oid`, the user's immutable object id in tenant `tid` (Graph's `id` of the
user, which the Entra ID sync records on each departure: the check matches it first);
the sign-in name `preferred_username` (v2) or `upn` (v1), normalised; and the further
addresses of the optional `email` claim and of v1's `unique_name` when it is an address.
Names and addresses are mutable: they find a departure only when no directory account
says otherwise (server.identities).

Every rejection is an AuthError with a reason (a 401). Only Microsoft's key endpoint
being unreachable is different: KeysUnavailable, a 503, because the token may be good.

Knows PyJWT; fetches nothing itself (entra_keys decides, adapters.entra_discovery fetches).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import jwt
import requests

from .. import config
from ..adapters import entra_discovery
from ..model import Address, InvalidAddress, normalise_address
from .entra_keys import Clock, SigningKeys
from .identity import AuthError, Identity

SCOPE = "access_as_user"
LEEWAY_SECONDS = 60  # clocks of Microsoft's token service and ours may differ a little
REQUIRED_CLAIMS = ["exp", "nbf", "iss", "aud", "tid"]
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Version 1.0 tokens are issued by the Security Token Service host of the cloud, not the sign-in host.
_V1_ISSUER_HOSTS = {
    "login.chinacloudapi.cn": "sts.chinacloudapi.cn",
    "login.partner.microsoftonline.cn": "sts.chinacloudapi.cn",
}


@dataclass(frozen=True, slots=True)
class EntraSettings:
    client_id: str
    tenants: tuple[str, ...]
    app_id_uri: str = ""
    authority_host: str = "login.microsoftonline.com"

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> EntraSettings | None:
        """The Entra ID settings of an app config, validated; None when Entra ID is not configured.

        Values may be raw strings (a test_config) or already parsed (config.load); a bad
        one, or a client id without tenants or the other way round, stops the start (SystemExit).
        """
        client_id, tenants = settings.get("ENTRA_CLIENT_ID") or "", settings.get("ENTRA_TENANTS") or ()
        if not client_id and not tenants:
            return None
        if not client_id or not tenants:
            given, missing = ("ENTRA_CLIENT_ID", "ENTRA_TENANTS") if client_id else ("ENTRA_TENANTS", "ENTRA_CLIENT_ID")
            raise SystemExit(
                f"{config.PREFIX}{given} is set but {config.PREFIX}{missing} is not: Entra ID tokens need both"
            )
        return cls(
            client_id=config.parse_setting("ENTRA_CLIENT_ID", client_id),
            tenants=config.parse_setting("ENTRA_TENANTS", tenants if isinstance(tenants, str) else ",".join(tenants)),
            app_id_uri=_optional(settings, "ENTRA_APP_ID_URI", ""),
            authority_host=_optional(settings, "ENTRA_AUTHORITY_HOST", "login.microsoftonline.com"),
        )

    @property
    def resource(self) -> str:
        """The API's Application ID URI: the configured one, or Entra's default `api://<client id>`."""
        return self.app_id_uri or f"api://{self.client_id}"

    @property
    def audiences(self) -> list[str]:
        return [self.client_id, self.resource]

    @property
    def scope(self) -> str:
        """The scope the add-in asks a token for."""
        return f"{self.resource}/{SCOPE}"

    def issuers(self, tenant: str) -> list[str]:
        v1_host = _V1_ISSUER_HOSTS.get(self.authority_host, "sts.windows.net")
        return [f"https://{v1_host}/{tenant}/", f"https://{self.authority_host}/{tenant}/v2.0"]


def _optional(settings: Mapping[str, Any], name: str, default: str) -> str:
    raw = settings.get(name) or ""
    return config.parse_setting(name, raw) if raw else default


class EntraVerifier:
    """`Authorization: Bearer <Entra ID access token>` for our API."""

    scheme = "bearer"

    def __init__(self, settings: EntraSettings, keys: SigningKeys):
        self.settings, self._keys = settings, keys

    @classmethod
    def connected(
        cls, settings: EntraSettings, session: requests.Session | None = None, clock: Clock = time.monotonic
    ) -> EntraVerifier:
        """A verifier that fetches its tenants' keys from Entra ID over `session`."""
        fetch = partial(entra_discovery.fetch_signing_keys, session or requests.Session(), settings.authority_host)
        return cls(settings, SigningKeys(fetch, clock))

    def verify(self, credentials: str) -> Identity:
        kid = _key_id(credentials)
        tenant = self._tenant(credentials)
        claims = self._verified_claims(credentials, self._keys.key(tenant, kid), tenant)
        if SCOPE not in str(claims.get("scp", "")).split():
            raise AuthError(f"the token does not carry the {SCOPE} scope (an app-only or other API's token?)")
        return Identity(_user(claims), self.scheme, _object_id(claims), str(claims["tid"]).lower(), _emails(claims))

    def _tenant(self, token: str) -> str:
        """The token's tenant, if it is an allowed one: checked before any key is fetched for it."""
        try:
            tenant = jwt.decode(token, options={"verify_signature": False}).get("tid")
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a well-formed JWT") from None
        if not isinstance(tenant, str) or tenant.lower() not in self.settings.tenants:
            raise AuthError("the token is not from an Entra ID tenant this server accepts")
        return tenant.lower()

    def _verified_claims(self, token: str, key: jwt.PyJWK, tenant: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.settings.audiences,
                issuer=self.settings.issuers(tenant),
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(_reason(exc)) from None


def _key_id(token: str) -> str:
    """The header's key id, after refusing every algorithm but RS256 (so `none` and HS256 never get further)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError("the bearer token is not a well-formed JWT") from None
    if header.get("alg") != "RS256":
        raise AuthError(f"the token's algorithm {str(header.get('alg'))[:20]!r} is refused: only RS256 is accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthError("the token's header names no signing key (kid)")
    return kid


_REASONS: list[tuple[type[jwt.PyJWTError], str]] = [
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (nbf is in the future)"),
    (jwt.InvalidAudienceError, "the token is meant for another application (wrong audience)"),
    (jwt.InvalidIssuerError, "the token was not issued by its tenant's Entra ID (wrong issuer)"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is refused: only RS256 is accepted"),
    (jwt.DecodeError, "the bearer token is not a well-formed JWT"),
]


def _reason(exc: jwt.PyJWTError) -> str:
    """A sentence for the 401 body; PyJWT's own text only for a missing claim (it names the claim)."""
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token lacks the {exc.claim!r} claim"
    return next((text for kind, text in _REASONS if isinstance(exc, kind)), "the token is not valid")


def _object_id(claims: Mapping[str, Any]) -> str | None:
    """The user's object id (lowercase); None when the token has none, an AuthError when it is not a GUID."""
    value = claims.get("oid")
    if value is None:
        return None
    if not isinstance(value, str) or not _GUID.fullmatch(value):
        raise AuthError("the token's oid claim is not an object id (a GUID)")
    return value.lower()


def _emails(claims: Mapping[str, Any]) -> tuple[Address, ...]:
    """The addresses of the `email` claim and of v1's `unique_name`, where they are plain addresses.

    A guest's `unique_name` (`live.com#kim@example.com`) names an account elsewhere: left out.
    """
    found = []
    for name in ("email", "unique_name"):
        value = claims.get(name)
        if not isinstance(value, str) or "#" in value or any(c in value for c in '<>,;" '):
            continue
        try:
            found.append(normalise_address(value))
        except InvalidAddress:
            continue
    return tuple(found)


def _user(claims: Mapping[str, Any]) -> Address:
    """The signed-in user's address: `preferred_username` (v2 tokens) or `upn` (v1 tokens)."""
    name = claims.get("preferred_username") or claims.get("upn")
    if not isinstance(name, str) or not name:
        raise AuthError("the token names no user (no preferred_username or upn claim)")
    try:
        return normalise_address(name)
    except InvalidAddress:
        raise AuthError("the token's user name is not an e-mail address") from None
