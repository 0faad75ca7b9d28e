"""Who signed in, from an ID token's verified claims: the address, and the roles Microsoft vouches for.

Microsoft: the address is `preferred_username` (the user principal name: its domain is one the
tenant has proven it owns), else `email` — only from a trusted tenant, because any tenant's
admin can type any address into a user's mail attribute. Roles come from app roles
(`roles` claim, values in APP_ROLES) and from group object ids (`groups` claim) mapped by
LEAVERGUARD_SIGNIN_MICROSOFT_ROLE_GROUPS, and only from a trusted tenant.
Google: the address is `email` when `email_verified` is true, from one of the allowed
Workspace domains (`hd` claim) when some are configured. Google has no role claims.

A refusal is SigninRefused with a kind the sign-in pages turn into a sentence.
Pure: stdlib and model only; must not import Flask, the network or the web layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import InvalidAddress, normalise_address

# The `value` of each app role to declare on the Entra ID app registration, and the role it grants.
APP_ROLES = {"LeaverGuard.Admin": "admin", "LeaverGuard.HR": "hr", "LeaverGuard.Viewer": "viewer"}


class SigninRefused(Exception):
    """The provider vouched for someone we cannot let in; `kind` is `no_email`, `domain` or `invalid`."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind, self.detail = kind, detail


def _address(value: Any) -> str | None:
    """A bare address, normalised; `Name <address>` forms are refused (a claim holds just the address)."""
    if not isinstance(value, str) or not value or any(c in value for c in '<>,;"') or any(c.isspace() for c in value):
        return None
    try:
        return normalise_address(value).email
    except InvalidAddress:
        return None


def microsoft_address(claims: Mapping[str, Any], *, trusted_tenant: bool) -> str:
    """The signed-in address: the user principal name, else (trusted tenants only) the mail address."""
    found = _address(claims.get("preferred_username")) or (_address(claims.get("email")) if trusted_tenant else None)
    if found is None:
        raise SigninRefused("no_email", "the ID token names no e-mail address (preferred_username or email)")
    return found


def microsoft_roles(
    claims: Mapping[str, Any], role_groups: Mapping[str, Iterable[str]], *, trusted_tenant: bool
) -> tuple[str, ...]:
    """The roles the token's app roles and groups grant, sorted; none from an untrusted tenant."""
    if not trusted_tenant:
        return ()
    roles = {APP_ROLES[value] for value in _strings(claims.get("roles")) if value in APP_ROLES}
    groups = {group.lower() for group in _strings(claims.get("groups"))}
    roles |= {role for role, ids in role_groups.items() if groups & {i.lower() for i in ids}}
    return tuple(sorted(roles))


def has_group_overage(claims: Mapping[str, Any]) -> bool:
    """Whether Entra ID left the groups out because the user is in too many (they must then be read from Graph)."""
    names = claims.get("_claim_names")
    return isinstance(names, dict) and "groups" in names


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def google_address(claims: Mapping[str, Any], hosted_domains: Iterable[str]) -> str:
    """The verified address of a Google account, from an allowed Workspace domain when some are set."""
    address = _address(claims.get("email"))
    if address is None:
        raise SigninRefused("no_email", "the ID token carries no e-mail address")
    if claims.get("email_verified") not in (True, "true"):  # a JSON boolean; older Google answers sent a string
        raise SigninRefused("no_email", f"Google has not verified the address {address}")
    allowed = {domain.lower() for domain in hosted_domains}
    if allowed and str(claims.get("hd", "")).lower() not in allowed:
        raise SigninRefused("domain", f"{address} is not an account of {', '.join(sorted(allowed))}")
    return address
