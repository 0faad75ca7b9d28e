"""The settings of the admin console's sign-in providers (Microsoft, Google), validated at start-up.

`MicrosoftSigninSettings.from_config` and `GoogleSigninSettings.from_config` return None when
the provider is not configured, the settings when it is, and stop the start (SystemExit, like
config.load) when it is half-configured: a client id without its secret, a secret without a
client id, role groups or hosted domains without their provider. Values may be raw strings (a
test_config) or already parsed (config.load).

Must not import Flask or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import config

ORGANIZATIONS = "organizations"


def _value(settings: Mapping[str, Any], name: str) -> Any:
    """The setting parsed (a raw string goes through its parser), or its default when unset."""
    raw = settings.get(name)
    if raw is None or raw == "" or raw == () or raw == {}:
        return config.SETTINGS[name][0]
    return config.parse_setting(name, raw) if isinstance(raw, str) else raw


def _require_all(settings: Mapping[str, Any], every: tuple[str, ...], needed: tuple[str, ...], what: str) -> bool:
    """Whether the provider is configured: none of `every` set (False), or all of `needed` set (True)."""
    given = [name for name in every if _value(settings, name)]
    if not given:
        return False
    missing = [name for name in needed if not _value(settings, name)]
    if missing:
        names = ", ".join(config.PREFIX + name for name in missing)
        raise SystemExit(f"{config.PREFIX}{given[0]} is set but {names} is not: {what} needs all of them")
    return True


@dataclass(frozen=True, slots=True)
class MicrosoftSigninSettings:
    client_id: str
    client_secret: config.Secret
    tenant: str  # a GUID, or "organizations"
    authority_host: str = "login.microsoftonline.com"
    role_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Tenants whose `roles`/`groups` claims are believed: the sign-in tenant, or with
    # `organizations` the API's ENTRA_TENANTS (any tenant's admin can assign our app roles).
    trusted_tenants: tuple[str, ...] = ()

    NAMES = tuple(name for name in config.SIGNIN_SETTINGS if name.startswith("SIGNIN_MICROSOFT_"))
    NEEDED = ("SIGNIN_MICROSOFT_CLIENT_ID", "SIGNIN_MICROSOFT_CLIENT_SECRET", "SIGNIN_MICROSOFT_TENANT")

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> MicrosoftSigninSettings | None:
        if not _require_all(settings, cls.NAMES, cls.NEEDED, "sign-in with Microsoft"):
            return None
        tenant = _value(settings, "SIGNIN_MICROSOFT_TENANT")
        return cls(
            client_id=_value(settings, "SIGNIN_MICROSOFT_CLIENT_ID"),
            client_secret=_value(settings, "SIGNIN_MICROSOFT_CLIENT_SECRET"),
            tenant=tenant,
            authority_host=_value(settings, "SIGNIN_MICROSOFT_AUTHORITY_HOST")
            or _value(settings, "ENTRA_AUTHORITY_HOST"),
            role_groups=_value(settings, "SIGNIN_MICROSOFT_ROLE_GROUPS"),
            trusted_tenants=(tenant,) if tenant != ORGANIZATIONS else tuple(_value(settings, "ENTRA_TENANTS")),
        )

    @property
    def authority(self) -> str:
        return f"https://{self.authority_host}/{self.tenant}"


@dataclass(frozen=True, slots=True)
class GoogleSigninSettings:
    client_id: str
    client_secret: config.Secret
    hosted_domains: tuple[str, ...] = ()  # empty: any Google account with a verified address

    NAMES = tuple(name for name in config.SIGNIN_SETTINGS if name.startswith("SIGNIN_GOOGLE_"))
    NEEDED = ("SIGNIN_GOOGLE_CLIENT_ID", "SIGNIN_GOOGLE_CLIENT_SECRET")

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> GoogleSigninSettings | None:
        if not _require_all(settings, cls.NAMES, cls.NEEDED, "sign-in with Google"):
            return None
        return cls(
            client_id=_value(settings, "SIGNIN_GOOGLE_CLIENT_ID"),
            client_secret=_value(settings, "SIGNIN_GOOGLE_CLIENT_SECRET"),
            hosted_domains=tuple(_value(settings, "SIGNIN_GOOGLE_HOSTED_DOMAINS")),
        )
