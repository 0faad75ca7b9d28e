"""Who a provider's verified claims name, and which roles they grant: the pure rules, tested without an app."""

from __future__ import annotations

import pytest

from server import config
from server.auth.signin_settings import GoogleSigninSettings, MicrosoftSigninSettings
from server.signin_claims import (
    APP_ROLES,
    SigninRefused,
    google_address,
    has_group_overage,
    microsoft_address,
    microsoft_roles,
)

ADMINS, AUDITORS = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
GROUPS = {"admin": (ADMINS,), "viewer": (AUDITORS,)}
TENANT = "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b"


# --- Microsoft roles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        ({}, ()),
        ({"roles": ["LeaverGuard.Admin"]}, ("admin",)),
        ({"roles": ["LeaverGuard.HR", "LeaverGuard.Viewer"]}, ("hr", "viewer")),
        ({"roles": ["leaverguard.admin", "Admin", "LeaverGuard.Owner"]}, ()),  # app role values are exact
        ({"groups": [ADMINS.upper()]}, ("admin",)),
        ({"groups": ["00000000-0000-0000-0000-000000000000"]}, ()),
        ({"roles": ["LeaverGuard.HR"], "groups": [AUDITORS]}, ("hr", "viewer")),
        ({"roles": "LeaverGuard.Admin", "groups": ADMINS}, ()),  # not lists: not what Entra ID sends
    ],
)
def test_app_roles_and_mapped_groups_grant_roles(claims, roles):
    assert microsoft_roles(claims, GROUPS, trusted_tenant=True) == roles


def test_the_documented_app_role_values_grant_each_role():
    assert APP_ROLES == {"LeaverGuard.Admin": "admin", "LeaverGuard.HR": "hr", "LeaverGuard.Viewer": "viewer"}


def test_an_untrusted_tenant_grants_no_role_whatever_it_claims():
    claims = {"roles": ["LeaverGuard.Admin"], "groups": [ADMINS]}

    assert microsoft_roles(claims, GROUPS, trusted_tenant=False) == ()


def test_a_group_overage_is_recognised():
    assert has_group_overage({"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {}}})
    assert not has_group_overage({"groups": [ADMINS]})


# --- Microsoft address ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "trusted", "address"),
    [
        ({"preferred_username": "Alice@Northwind.Example"}, False, "alice@northwind.example"),
        (
            {"preferred_username": "+44 20 7946 0000", "email": "alice@northwind.example"},
            True,
            "alice@northwind.example",
        ),
        ({"email": "alice@northwind.example"}, True, "alice@northwind.example"),
    ],
)
def test_the_microsoft_address_is_the_user_principal_name_else_a_trusted_mail_claim(claims, trusted, address):
    assert microsoft_address(claims, trusted_tenant=trusted) == address


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"email": "admin@northwind.example"},  # a foreign tenant's admin can type any mail address
        {"preferred_username": "Eve <admin@northwind.example>"},
        {"preferred_username": ["alice@northwind.example"]},
    ],
)
def test_without_a_believable_address_microsoft_sign_in_is_refused(claims):
    with pytest.raises(SigninRefused) as refused:
        microsoft_address(claims, trusted_tenant=False)
    assert refused.value.kind == "no_email"


# --- Google --------------------------------------------------------------------------------------


def test_a_verified_google_address_from_an_allowed_domain_is_the_user():
    claims = {"email": "Ada@Northwind.example", "email_verified": True, "hd": "northwind.example"}

    assert google_address(claims, ("northwind.example",)) == "ada@northwind.example"
    assert google_address(claims, ()) == "ada@northwind.example"


@pytest.mark.parametrize(
    ("claims", "domains", "kind"),
    [
        ({"email": "ada@northwind.example", "email_verified": False}, (), "no_email"),
        ({"email": "ada@northwind.example"}, (), "no_email"),
        ({"email_verified": True}, (), "no_email"),
        ({"email": "ada@gmail.com", "email_verified": True}, ("northwind.example",), "domain"),
        (
            {"email": "eve@fabrikam.example", "email_verified": True, "hd": "fabrikam.example"},
            ("northwind.example",),
            "domain",
        ),
    ],
)
def test_unverified_or_foreign_google_accounts_are_refused(claims, domains, kind):
    with pytest.raises(SigninRefused) as refused:
        google_address(claims, domains)
    assert refused.value.kind == kind


# --- settings ------------------------------------------------------------------------------------


def test_microsoft_settings_from_raw_values_are_parsed_and_trust_the_sign_in_tenant():
    settings = MicrosoftSigninSettings.from_config(
        {
            "SIGNIN_MICROSOFT_CLIENT_ID": "3C4D5E6F-7A8B-4C9D-8E0F-1A2B3C4D5E6F",
            "SIGNIN_MICROSOFT_CLIENT_SECRET": "s3cret",
            "SIGNIN_MICROSOFT_TENANT": TENANT.upper(),
            "SIGNIN_MICROSOFT_ROLE_GROUPS": f"admin={ADMINS}, Viewer={AUDITORS}, admin={AUDITORS}",
            "ENTRA_AUTHORITY_HOST": "login.microsoftonline.us",
        }
    )

    assert settings.client_id == "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
    assert settings.client_secret == config.Secret("s3cret") and "s3cret" not in repr(settings)
    assert settings.authority == f"https://login.microsoftonline.us/{TENANT}"
    assert settings.role_groups == {"admin": (ADMINS, AUDITORS), "viewer": (AUDITORS,)}
    assert settings.trusted_tenants == (TENANT,)


def test_with_organizations_the_api_tenants_are_the_trusted_ones():
    settings = MicrosoftSigninSettings.from_config(
        {
            "SIGNIN_MICROSOFT_CLIENT_ID": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
            "SIGNIN_MICROSOFT_CLIENT_SECRET": config.Secret("s"),
            "SIGNIN_MICROSOFT_TENANT": "Organizations",
            "ENTRA_TENANTS": (TENANT,),
        }
    )

    assert settings.tenant == "organizations" and settings.trusted_tenants == (TENANT,)


def test_unconfigured_providers_are_off():
    assert MicrosoftSigninSettings.from_config({}) is None
    assert GoogleSigninSettings.from_config({"SIGNIN_GOOGLE_CLIENT_SECRET": config.Secret("")}) is None


@pytest.mark.parametrize(
    "raw",
    [
        "admin",
        "owner=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "admin=Domain Admins",
        "=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    ],
)
def test_a_role_group_setting_must_name_a_role_and_a_group_id(raw):
    with pytest.raises(config.SettingError):
        config.role_groups(raw)


@pytest.mark.parametrize("raw", ["common", "consumers", "northwind.example", ""])
def test_the_sign_in_tenant_is_a_tenant_id_or_organizations(raw):
    with pytest.raises(config.SettingError):
        config.signin_tenant(raw)
