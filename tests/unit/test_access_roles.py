"""Roles on the admin console: from the configured address lists and a sign-in provider's claims."""

import pytest

from server.web.access import GRANTS, Permission, Role, roles_for

CONFIG = {
    "ADMIN_USERS": ("ada@northwind.example",),
    "HR_USERS": ("hana@northwind.example",),
    "HR_APPROVERS": ("approver@northwind.example",),
    "VIEWER_USERS": ("vic@northwind.example", "ada@northwind.example"),
}


@pytest.mark.parametrize(
    ("address", "claims", "expected"),
    [
        ("ada@northwind.example", (), {Role.ADMIN, Role.VIEWER}),
        ("ADA@Northwind.Example", (), {Role.ADMIN, Role.VIEWER}),
        ("hana@northwind.example", (), {Role.HR}),
        ("approver@northwind.example", (), {Role.HR}),
        ("vic@northwind.example", (), {Role.VIEWER}),
        ("nobody@northwind.example", (), set()),
        ("nobody@northwind.example", ("hr",), {Role.HR}),
        ("nobody@northwind.example", ("superuser", "root"), set()),
    ],
)
def test_roles_come_from_the_lists_and_the_claims_and_nothing_else(address, claims, expected):
    assert roles_for(address, CONFIG, claims) == expected


@pytest.mark.parametrize(
    ("role", "permission", "granted"),
    [
        (Role.ADMIN, Permission.EDIT_POLICY, True),
        (Role.ADMIN, Permission.EDIT_CLIENTS, True),
        (Role.HR, Permission.EDIT_DEPARTURES, True),
        (Role.HR, Permission.DECIDE_SIGNOFFS, True),
        (Role.HR, Permission.READ_AUDIT, True),
        (Role.HR, Permission.EXPORT, True),
        (Role.HR, Permission.DELETE_DEPARTURES, False),
        (Role.ADMIN, Permission.EXPORT, True),
        (Role.ADMIN, Permission.DELETE_DEPARTURES, True),
        (Role.HR, Permission.EDIT_POLICY, False),
        (Role.HR, Permission.EDIT_CLIENTS, False),
        (Role.VIEWER, Permission.READ, True),
        (Role.VIEWER, Permission.EDIT_DEPARTURES, False),
        (Role.VIEWER, Permission.DECIDE_SIGNOFFS, False),
        (Role.VIEWER, Permission.READ_AUDIT, False),
        (Role.VIEWER, Permission.EXPORT, False),
        (Role.VIEWER, Permission.DELETE_DEPARTURES, False),
    ],
)
def test_each_role_grants_what_the_issue_says(role, permission, granted):
    assert (permission in GRANTS[role]) is granted
