"""Sign-in with Google for the admin console: /signin/google and /signin/google/callback.

On when LEAVERGUARD_SIGNIN_GOOGLE_CLIENT_ID and _CLIENT_SECRET are set (a half set stops
the start). The start sends the browser to Google with state, nonce and a PKCE verifier
kept in the session; the callback trades the code for an ID token (adapters.google_signin),
verifies it (auth.google_id_tokens) and takes its verified address, from an allowed
Workspace domain when LEAVERGUARD_SIGNIN_GOOGLE_HOSTED_DOMAINS is set (signin_claims). Google has no
role claims: roles come from the address lists. The redirect URI registered on the OAuth
client is BASE_URL + /signin/google/callback.

Must not hold protocol details or SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, redirect, request, url_for

from ..adapters.google_signin import GoogleSignin, GoogleSigninError
from ..auth.google import CertsUnavailable
from ..auth.google_id_tokens import GoogleIdTokens
from ..auth.identity import AuthError
from ..auth.signin_settings import GoogleSigninSettings
from ..signin_claims import SigninRefused, google_address
from .signin_flow import Provider, complete, failed, register, remember, take

bp = Blueprint("signin_google", __name__)
PROVIDER = Provider("google", "Google", "signin_google.start")


@dataclass(frozen=True, slots=True)
class _Wiring:
    settings: GoogleSigninSettings
    client: GoogleSignin
    tokens: GoogleIdTokens


def init_app(app: Flask) -> None:
    """Turn sign-in with Google on when it is configured (SystemExit when it is half configured)."""
    settings = GoogleSigninSettings.from_config(app.config)
    if settings is None:
        return
    client = GoogleSignin(settings.client_id, settings.client_secret.reveal())
    app.extensions["leaverguard.signin_google"] = _Wiring(settings, client, GoogleIdTokens(settings.client_id))
    register(app, PROVIDER)
    app.register_blueprint(bp)


def _wiring() -> _Wiring:
    return current_app.extensions["leaverguard.signin_google"]


@bp.get("/signin/google")
def start():
    wiring = _wiring()
    redirect_uri = current_app.config["BASE_URL"] + url_for(".callback")
    address, flow = wiring.client.start(redirect_uri, wiring.settings.hosted_domains)
    remember(PROVIDER, flow, request.args.get("next"))
    return redirect(address)


@bp.get("/signin/google/callback")
def callback():
    flow, target = take(PROVIDER)
    wiring = _wiring()
    try:
        claims = wiring.tokens.verify(wiring.client.finish(flow, request.args.to_dict()), flow.get("nonce", ""))
        address = google_address(claims, wiring.settings.hosted_domains)
    except (GoogleSigninError, SigninRefused) as exc:
        return failed(PROVIDER, exc.kind, str(exc), target)
    except AuthError as exc:
        return failed(PROVIDER, "invalid", exc.reason, target)
    except CertsUnavailable as exc:
        return failed(PROVIDER, "unreachable", str(exc), target)
    return complete(PROVIDER, address, (), target)
