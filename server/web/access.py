"""Who may do what on the pages: roles, the permissions each grants, and the decorator views use.

Roles come from configuration (ADMIN_USERS, HR_USERS + HR_APPROVERS, VIEWER_USERS), read
on every request so a change to those lists applies at once, plus any roles a sign-in
provider vouched for at sign-in (Entra ID group or app-role claims), kept in the session.
A signed-in user without the permission a page needs gets a clear 403 page; nobody
signed in is sent to /signin first.

A person on the departures register (a record that is not withdrawn) has no permission,
whatever their roles: otherwise a leaver with the hr or admin role could withdraw her
own departure, loosen the policy, export the client directory, or read it page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from functools import wraps
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for

from .. import db
from ..services import register
from .signin import current_user


class Role(StrEnum):
    ADMIN = "admin"
    HR = "hr"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # every admin-console page, read-only
    EDIT_DEPARTURES = "edit_departures"
    DECIDE_SIGNOFFS = "decide_signoffs"
    READ_AUDIT = "read_audit"  # audit details, the sign-off requests' contents, testing the policy
    EXPORT = "export"  # every export: clients, departures, the audit CSV and a leaver's evidence (page and CSV)
    EDIT_CLIENTS = "edit_clients"
    EDIT_POLICY = "edit_policy"
    DELETE_DEPARTURES = "delete_departures"  # a departure entered by mistake (a synced one is withdrawn instead)


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.HR: frozenset(
        {
            Permission.READ,
            Permission.EDIT_DEPARTURES,
            Permission.DECIDE_SIGNOFFS,
            Permission.READ_AUDIT,
            Permission.EXPORT,
        }
    ),
    Role.VIEWER: frozenset({Permission.READ}),
}

#: What a person on the departures register may still do on the console: nothing (reading the Clients pages
#: is enough to copy the directory).
LEAVER_PERMISSIONS: frozenset[Permission] = frozenset()

SESSION_CLAIM_ROLES = "claim_roles"  # roles a sign-in provider vouched for, set at sign-in


def roles_for(address: str, config: Mapping[str, Any], claim_roles: Iterable[str] = ()) -> frozenset[Role]:
    """The roles of a signed-in address: from the configured lists and the provider's claims."""
    key = address.lower()
    listed = {
        Role.ADMIN: config.get("ADMIN_USERS", ()),
        Role.HR: (*config.get("HR_USERS", ()), *config.get("HR_APPROVERS", ())),
        Role.VIEWER: config.get("VIEWER_USERS", ()),
    }
    roles = {role for role, people in listed.items() if key in {p.lower() for p in people}}
    return frozenset(roles | {Role(r) for r in claim_roles if r in Role.__members__.values()})


def current_roles() -> frozenset[Role]:
    user = current_user()
    if user is None:
        return frozenset()
    return roles_for(user, current_app.config, session.get(SESSION_CLAIM_ROLES, ()))


def can(permission: Permission) -> bool:
    """Whether the signed-in user holds `permission` (templates use it to hide what they cannot do)."""
    granted = any(permission in GRANTS[role] for role in current_roles())
    return granted and (permission in LEAVER_PERMISSIONS or not _on_register())


def _on_register() -> bool:
    """Whether the signed-in user is on the departures register; asked once per request."""
    if "leaverguard_on_register" not in g:
        g.leaverguard_on_register = register.is_on_register(db.engine(), current_user() or "")
    return g.leaverguard_on_register


def requires(permission: Permission) -> Callable:
    """View decorator: sign-in first (redirect), then `permission` or a 403 page that says which role is needed."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if current_user() is None:
                return redirect(url_for("signin.signin", next=request.full_path.rstrip("?")))
            if not can(permission):
                abort(403, description=_refusal(permission))
            return view(*args, **kwargs)

        return guarded

    return decorate


def _refusal(permission: Permission) -> str:
    """The 403 sentence: no role at all, or which roles would do."""
    if not current_roles():
        return (
            f"{current_user()} has no role on the LeaverGuard admin console. An administrator can add this address"
            " to LEAVERGUARD_ADMIN_USERS, LEAVERGUARD_HR_USERS or LEAVERGUARD_VIEWER_USERS."
        )
    needed = " or ".join(sorted(r.value for r, granted in GRANTS.items() if permission in granted))
    if any(permission in GRANTS[role] for role in current_roles()):
        return (
            f"{current_user()} is on the departures register: while leaving, they have no use of the console"
            " (no pages, changes, sign-off decisions or exports), whatever their role. If the record is a"
            " mistake, another administrator can withdraw or delete it."
        )
    return f"{current_user()} may not do this: it needs the role {needed}."


def init_app(app) -> None:
    app.jinja_env.globals.update(can=can, Permission=Permission, current_roles=current_roles)
