"""Sign-in with Microsoft (Entra ID) for the admin console: /signin/microsoft and /signin/microsoft/callback.

On when LEAVERGUARD_SIGNIN_MICROSOFT_CLIENT_ID, _CLIENT_SECRET and _TENANT are set (a half
set stops the start). The start sends the browser to Microsoft with MSAL's flow kept in
the session; the callback trades the code for an ID token (adapters.microsoft_signin),
verifies it (auth.microsoft_id_tokens) and reads the address and roles from its claims
(signin_claims). The redirect URI registered on the app is
BASE_URL + /signin/microsoft/callback.

Must not hold protocol details or SQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, redirect, request, url_for

from ..adapters.microsoft_signin import MicrosoftSignin, MicrosoftSigninError
from ..auth.entra_keys import KeysUnavailable
from ..auth.identity import AuthError
from ..auth.microsoft_id_tokens import MicrosoftIdTokens
from ..auth.signin_settings import MicrosoftSigninSettings
from ..signin_claims import SigninRefused, has_group_overage, microsoft_address, microsoft_roles
from .signin_flow import Provider, complete, failed, register, remember, take

bp = Blueprint("signin_microsoft", __name__)
PROVIDER = Provider("microsoft", "Microsoft", "signin_microsoft.start")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Wiring:
    settings: MicrosoftSigninSettings
    client: MicrosoftSignin
    tokens: MicrosoftIdTokens


def init_app(app: Flask) -> None:
    """Turn sign-in with Microsoft on when it is configured (SystemExit when it is half configured)."""
    settings = MicrosoftSigninSettings.from_config(app.config)
    if settings is None:
        return
    client = MicrosoftSignin(settings.client_id, settings.client_secret.reveal(), settings.authority)
    app.extensions["leaverguard.signin_microsoft"] = _Wiring(settings, client, MicrosoftIdTokens.connected(settings))
    register(app, PROVIDER)
    app.register_blueprint(bp)


def _wiring() -> _Wiring:
    return current_app.extensions["leaverguard.signin_microsoft"]


@bp.get("/signin/microsoft")
def start():
    target = request.args.get("next")
    try:
        address, flow = _wiring().client.start(current_app.config["BASE_URL"] + url_for(".callback"))
    except MicrosoftSigninError as exc:
        return failed(PROVIDER, exc.kind, str(exc), target)
    remember(PROVIDER, flow, target)
    return redirect(address)


@bp.get("/signin/microsoft/callback")
def callback():
    flow, target = take(PROVIDER)
    try:
        address, roles = _identify(flow)
    except (MicrosoftSigninError, SigninRefused) as exc:
        return failed(PROVIDER, exc.kind, str(exc), target)
    except AuthError as exc:
        return failed(PROVIDER, "invalid", exc.reason, target)
    except KeysUnavailable:
        return failed(PROVIDER, "unreachable", "Entra ID's signing keys cannot be fetched", target)
    return complete(PROVIDER, address, roles, target)


def _identify(flow: dict) -> tuple[str, tuple[str, ...]]:
    """The address and claim roles of the sign-in the callback's query completes."""
    wiring = _wiring()
    claims = wiring.tokens.verify(wiring.client.finish(flow, request.args.to_dict()))
    trusted = str(claims["tid"]).lower() in wiring.settings.trusted_tenants
    if trusted and has_group_overage(claims):
        log.warning("%s is in too many groups for the token to list them: use app roles", claims.get("oid"))
    address = microsoft_address(claims, trusted_tenant=trusted)
    return address, microsoft_roles(claims, wiring.settings.role_groups, trusted_tenant=trusted)
