"""Sign-in with Microsoft, end to end through MSAL with Entra ID mocked at the HTTP transport (`responses`).

The authority's discovery, its token endpoint and its keys (JWKS) answer as Entra ID does;
ID tokens are signed by local RSA keys. A good sign-in lands where the person was going with
the roles the claims grant; every bad answer is a page with one sentence, a "try again" link
and a 4xx or 502 status, and leaves nobody signed in.
"""

from __future__ import annotations

import hashlib
import logging
import time

import pytest
import requests
import responses

from server import db
from server.web.access import SESSION_CLAIM_ROLES
from tests.entra_tokens import DROP, HOST, OTHER_TENANT, TENANT, make_key, mock_tenant, tampered, token
from tests.web import signin_helpers
from tests.web.signin_helpers import PRODUCTION, console, query_of, session_of, signin_events

CLIENT_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
SECRET = "entra-signin-secret-value"
ADMIN_GROUP = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
KEY = make_key("signin-key")
ALICE = "alice@northwind.example"
TOKEN_URL = f"https://{HOST}/{TENANT}/oauth2/v2.0/token"
INSTANCE_DISCOVERY = f"https://{HOST}/common/discovery/instance"
SETTINGS = {
    "SIGNIN_MICROSOFT_CLIENT_ID": CLIENT_ID,
    "SIGNIN_MICROSOFT_CLIENT_SECRET": SECRET,
    "SIGNIN_MICROSOFT_TENANT": TENANT,
    "SIGNIN_MICROSOFT_ROLE_GROUPS": f"admin={ADMIN_GROUP}",
}


def mock_entra(rsps: responses.RequestsMock, tenant: str = TENANT) -> None:
    """The tenant's OpenID configuration (as MSAL and the key cache read it), its JWKS and instance discovery."""
    mock_tenant(rsps, KEY, tenant=tenant)
    configuration = {
        "issuer": f"https://{HOST}/{tenant}/v2.0",
        "authorization_endpoint": f"https://{HOST}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"https://{HOST}/{tenant}/oauth2/v2.0/token",
        "jwks_uri": f"https://{HOST}/{tenant}/discovery/v2.0/keys",
    }
    rsps.upsert(responses.GET, f"https://{HOST}/{tenant}/v2.0/.well-known/openid-configuration", json=configuration)
    discovery = {"tenant_discovery_endpoint": f"https://{HOST}/{tenant}/v2.0/.well-known/openid-configuration"}
    rsps.upsert(responses.GET, INSTANCE_DISCOVERY, json=discovery)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_entra(mock)
        yield mock


@pytest.fixture
def app(database_url, tmp_path, rsps):
    app = console(database_url, tmp_path, **SETTINGS)
    yield app
    db.dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


def id_claims(nonce: str, tenant: str = TENANT, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "aud": CLIENT_ID,
        "iss": f"https://{HOST}/{tenant}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "tid": tenant,
        "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "name": "Alice Example",
        "preferred_username": "Alice@Northwind.example",
        "nonce": nonce,
        "ver": "2.0",
    } | overrides
    return {name: value for name, value in claims.items() if value is not DROP}


def start(client, next_path: str = "/admin/") -> dict[str, str]:
    """Press the button; the query of the Microsoft sign-in address the browser is sent to."""
    response = client.get("/signin/microsoft", query_string={"next": next_path})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"https://{HOST}/{TENANT}/oauth2/v2.0/authorize?")
    return query_of(response.headers["Location"])


def come_back(client, rsps, sent: dict[str, str], id_token: str | None = None, **claims):
    """Entra ID signs the person in and sends the browser back; its token endpoint answers with `id_token`."""
    id_token = id_token or token(KEY, id_claims(sent["nonce"], **claims))
    rsps.upsert(responses.POST, TOKEN_URL, json={"token_type": "Bearer", "access_token": "at", "id_token": id_token})
    return client.get("/signin/microsoft/callback", query_string={"code": "the-code", "state": sent["state"]})


def assert_failed(response, status: int, sentence: str, client) -> None:
    signin_helpers.assert_failed(response, status, sentence, client, SECRET)


# --- signing in ----------------------------------------------------------------------------------


def test_the_sign_in_page_offers_microsoft(client):
    page = client.get("/signin?next=/admin/").get_data(as_text=True)

    assert '<a class="button" href="/signin/microsoft?next=/admin/">Sign in with Microsoft</a>' in page


def test_the_button_sends_the_browser_to_the_tenant_with_our_client_the_callback_and_openid_scopes(client):
    sent = start(client)

    assert sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == "http://127.0.0.1:5000/signin/microsoft/callback"
    assert sent["response_type"] == "code"
    assert {"openid", "profile", "email"} <= set(sent["scope"].split())
    assert sent["code_challenge_method"] == "S256" and sent["state"] and sent["nonce"]


def test_a_microsoft_sign_in_lands_where_the_person_was_going_with_the_roles_of_app_roles_and_groups(client, rsps):
    sent = start(client, "/admin/")

    response = come_back(client, rsps, sent, roles=["LeaverGuard.HR", "Other.Role"], groups=[ADMIN_GROUP.upper()])

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    session = session_of(client)
    assert session["user"] == ALICE
    assert session[SESSION_CLAIM_ROLES] == ["admin", "hr"]
    assert session["_permanent"] is True
    assert client.get("/admin/").status_code == 200


def test_the_code_is_redeemed_with_our_secret_pkce_verifier_and_redirect_uri(client, rsps):
    sent = start(client)

    come_back(client, rsps, sent)

    form = next(call.request.body for call in rsps.calls if call.request.url == TOKEN_URL)
    assert "code=the-code" in form and f"client_secret={SECRET}" in form and "code_verifier=" in form
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fsignin%2Fmicrosoft%2Fcallback" in form


def test_each_microsoft_sign_in_is_audited_with_the_provider_and_the_roles_claimed(app, client, rsps):
    come_back(client, rsps, start(client), roles=["LeaverGuard.Viewer"])

    [event] = signin_events(app)
    assert event["actor"] == ALICE
    assert event["details"] == {"provider": "microsoft", "claim_roles": ["viewer"]}


def test_without_role_claims_the_address_lists_decide(database_url, tmp_path, rsps):
    app = console(database_url, tmp_path, **SETTINGS, ADMIN_USERS=(ALICE,))
    client = app.test_client()

    come_back(client, rsps, start(client))

    assert session_of(client)[SESSION_CLAIM_ROLES] == []
    assert client.get("/admin/").status_code == 200
    db.dispose(app)


def test_someone_without_any_role_is_signed_in_but_sees_the_403_page(client, rsps):
    come_back(client, rsps, start(client))

    response = client.get("/admin/")

    assert session_of(client)["user"] == ALICE
    assert response.status_code == 403
    assert f"{ALICE} has no role" in response.get_data(as_text=True)


def test_the_address_falls_back_to_the_email_claim_of_our_tenant(client, rsps):
    come_back(client, rsps, start(client), preferred_username=DROP, email="Alice@Northwind.example")

    assert session_of(client)["user"] == ALICE


def test_a_token_naming_no_address_signs_nobody_in(client, rsps):
    response = come_back(client, rsps, start(client), preferred_username="0123456789")

    assert_failed(response, 401, "has no verified e-mail address", client)


def test_sign_in_replaces_whatever_the_session_held_before(client, rsps):
    with client.session_transaction() as session:
        session.update(user="mallory@northwind.example", csrf="old-token", **{SESSION_CLAIM_ROLES: ["admin"]})

    come_back(client, rsps, start(client))

    session = session_of(client)
    assert session["user"] == ALICE and session[SESSION_CLAIM_ROLES] == [] and "csrf" not in session


# --- the answer is not the one we asked for ------------------------------------------------------


def test_an_answer_with_another_state_is_refused_before_the_code_is_redeemed(client, rsps):
    sent = start(client)

    response = come_back(client, rsps, sent | {"state": "forged-state"})

    assert_failed(response, 400, "does not belong to a sign-in started here", client)
    assert not any(call.request.url == TOKEN_URL for call in rsps.calls)


def test_an_answer_without_a_sign_in_under_way_is_refused(client):
    response = client.get("/signin/microsoft/callback", query_string={"code": "c", "state": "s"})

    assert_failed(response, 400, "does not belong to a sign-in started here", client)


def test_an_answer_is_good_for_one_sign_in_only(client, rsps):
    sent = start(client)
    come_back(client, rsps, sent)

    again = come_back(client, rsps, sent)

    assert again.status_code == 400
    assert "does not belong to a sign-in started here" in again.get_data(as_text=True)


def test_a_refusal_from_microsoft_is_a_401_page_with_a_way_back(client):
    sent = start(client)

    response = client.get(
        "/signin/microsoft/callback",
        query_string={"error": "access_denied", "error_description": "AADSTS65004: declined", "state": sent["state"]},
    )

    assert_failed(response, 401, "Microsoft did not sign you in", client)
    assert 'href="/signin?next=/admin/"' in response.get_data(as_text=True)


# --- the ID token does not verify ----------------------------------------------------------------


def test_a_tampered_id_token_is_refused(client, rsps):
    sent = start(client)
    forged = tampered(token(KEY, id_claims(sent["nonce"])), preferred_username="admin@northwind.example")

    response = come_back(client, rsps, sent, id_token=forged)

    assert_failed(response, 401, "could not be verified", client)


def test_an_id_token_signed_by_a_key_the_tenant_does_not_publish_is_refused(client, rsps):
    sent = start(client)

    response = come_back(client, rsps, sent, id_token=token(make_key("attacker-key"), id_claims(sent["nonce"])))

    assert_failed(response, 401, "could not be verified", client)


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "00000003-0000-0000-c000-000000000000"},  # meant for Microsoft Graph, not us
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200},
        {"iss": f"https://{HOST}/{OTHER_TENANT}/v2.0"},
        {"tid": OTHER_TENANT, "iss": f"https://{HOST}/{OTHER_TENANT}/v2.0"},
    ],
    ids=["wrong audience", "expired", "wrong issuer", "another tenant"],
)
def test_an_id_token_with_a_wrong_claim_is_refused(client, rsps, claims):
    response = come_back(client, rsps, start(client), **claims)

    assert_failed(response, 401, "could not be verified", client)


def test_an_id_token_with_another_sign_ins_nonce_is_refused(client, rsps):
    sent = start(client)
    other_nonce = hashlib.sha256(b"someone else's").hexdigest()

    response = come_back(client, rsps, sent, id_token=token(KEY, id_claims(other_nonce)))

    assert_failed(response, 401, "could not be verified", client)


# --- Microsoft cannot be reached or refuses us ---------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [{"status": 500, "json": {"error": "server_error"}}, {"body": requests.ConnectTimeout()}, {"body": "<html>"}],
    ids=["500", "timeout", "not json"],
)
def test_a_token_endpoint_that_fails_is_a_502_page(client, rsps, answer):
    sent = start(client)
    rsps.upsert(responses.POST, TOKEN_URL, **answer)

    response = client.get("/signin/microsoft/callback", query_string={"code": "c", "state": sent["state"]})

    assert_failed(response, 502, "could not be reached", client)


def test_a_code_the_token_endpoint_refuses_is_a_401_page(client, rsps):
    sent = start(client)
    rsps.upsert(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": "used"})

    response = client.get("/signin/microsoft/callback", query_string={"code": "c", "state": sent["state"]})

    assert_failed(response, 401, "did not accept this sign-in", client)


def test_a_refused_client_secret_is_a_502_page_that_says_an_administrator_must_act(client, rsps, caplog):
    sent = start(client)
    rsps.upsert(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client", "error_description": "expired"})

    with caplog.at_level(logging.WARNING):
        response = client.get("/signin/microsoft/callback", query_string={"code": "c", "state": sent["state"]})

    assert_failed(response, 502, "an administrator must check its client id and secret", client)
    assert "invalid_client" in caplog.text and SECRET not in caplog.text


def test_signing_keys_that_cannot_be_fetched_are_a_502_page(client, rsps):
    sent = start(client)
    rsps.upsert(responses.GET, f"https://{HOST}/{TENANT}/discovery/v2.0/keys", status=503)

    response = come_back(client, rsps, sent)

    assert_failed(response, 502, "could not be reached", client)


def test_an_authority_that_cannot_be_reached_is_a_502_page_at_the_start(client, rsps):
    rsps.upsert(responses.GET, f"https://{HOST}/{TENANT}/v2.0/.well-known/openid-configuration", status=500)

    response = client.get("/signin/microsoft?next=/admin/")

    assert_failed(response, 502, "could not be reached", client)


# --- where the browser goes afterwards -----------------------------------------------------------


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/admin/", "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "admin"]
)
def test_a_next_address_elsewhere_is_replaced_by_the_front_page(client, rsps, next_path):
    response = come_back(client, rsps, start(client, next_path))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- any work account (`organizations`) ----------------------------------------------------------


@pytest.fixture
def any_tenant(database_url, tmp_path, rsps):
    mock_entra(rsps, "organizations")
    api = {"ENTRA_CLIENT_ID": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "ENTRA_TENANTS": TENANT}  # our tenants
    settings = SETTINGS | api | {"SIGNIN_MICROSOFT_TENANT": "organizations"}
    app = console(database_url, tmp_path, **settings)
    yield app.test_client()
    db.dispose(app)


def sign_in_any(client, rsps, tenant: str, **claims):
    response = client.get("/signin/microsoft?next=/admin/")
    sent = query_of(response.headers["Location"])
    id_token = token(KEY, id_claims(sent["nonce"], tenant=tenant, **claims))
    rsps.upsert(responses.POST, f"https://{HOST}/organizations/oauth2/v2.0/token", json={"id_token": id_token})
    return client.get("/signin/microsoft/callback", query_string={"code": "c", "state": sent["state"]})


def test_with_organizations_anyone_signs_in_but_only_our_tenants_role_claims_count(any_tenant, rsps):
    sign_in_any(any_tenant, rsps, OTHER_TENANT, roles=["LeaverGuard.Admin"], preferred_username="eve@fabrikam.example")
    assert session_of(any_tenant)["user"] == "eve@fabrikam.example"
    assert session_of(any_tenant)[SESSION_CLAIM_ROLES] == []

    sign_in_any(any_tenant, rsps, TENANT, roles=["LeaverGuard.Admin"])
    assert session_of(any_tenant)[SESSION_CLAIM_ROLES] == ["admin"]


def test_with_organizations_a_foreign_tenants_email_claim_is_not_believed(any_tenant, rsps):
    response = sign_in_any(any_tenant, rsps, OTHER_TENANT, preferred_username=DROP, email="admin@northwind.example")

    assert_failed(response, 401, "has no verified e-mail address", any_tenant)


# --- configuration and production ----------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["SIGNIN_MICROSOFT_CLIENT_SECRET", "SIGNIN_MICROSOFT_TENANT", "SIGNIN_MICROSOFT_CLIENT_ID"]
)
def test_a_half_configured_microsoft_sign_in_stops_the_start(database_url, missing):
    settings = {name: value for name, value in SETTINGS.items() if name != missing}

    with pytest.raises(SystemExit, match=f"LEAVERGUARD_{missing} is not"):
        console(database_url, None, **settings)


def test_a_bad_role_group_setting_stops_the_start(database_url):
    with pytest.raises(SystemExit, match="SIGNIN_MICROSOFT_ROLE_GROUPS"):
        console(database_url, None, **SETTINGS | {"SIGNIN_MICROSOFT_ROLE_GROUPS": "boss=not-a-guid"})


def test_production_with_microsoft_configured_serves_sign_in_with_the_button_only(database_url, tmp_path, rsps):
    entra_api = {"ENTRA_CLIENT_ID": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "ENTRA_TENANTS": TENANT}
    app = console(database_url, tmp_path, **PRODUCTION, **entra_api, **SETTINGS)
    client = app.test_client()

    page = client.get("/signin?next=/admin/")
    refused = client.post("/signin", data={"email": "eve@northwind.example"})
    sent = query_of(client.get("/signin/microsoft").headers["Location"])

    assert page.status_code == 200
    assert "Sign in with Microsoft" in page.get_data(as_text=True)
    assert 'name="email"' not in page.get_data(as_text=True)
    assert refused.status_code == 403 and "user" not in session_of(client)
    assert sent["redirect_uri"] == "https://lg.northwind.example/signin/microsoft/callback"
    db.dispose(app)
