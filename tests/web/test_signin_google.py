"""Sign-in with Google, end to end with Google's token endpoint and certificates mocked at the HTTP transport.

ID tokens are signed by a local RSA key whose certificate the mocked certificate endpoint
publishes, so google-auth really verifies them. A good sign-in lands where the person was
going, with roles from the address lists only; every bad answer is a page with one
sentence, a "try again" link and a 4xx or 502 status, and leaves nobody signed in.
"""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs

import pytest
import requests
import responses

from server import db
from server.web.access import SESSION_CLAIM_ROLES
from tests.entra_tokens import tampered
from tests.gmail_tokens import CERTS_URL, DROP, mock_certs
from tests.gmail_tokens import key as make_key
from tests.gmail_tokens import token as id_token
from tests.web import signin_helpers
from tests.web.signin_helpers import PRODUCTION, console, query_of, session_of, signin_events

CLIENT_ID = "1234567890-leaverguard-console.apps.googleusercontent.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SECRET = "google-oauth-client-secret"
KEY = make_key("google-key-1")
ADA = "ada@northwind.example"
SETTINGS = {"SIGNIN_GOOGLE_CLIENT_ID": CLIENT_ID, "SIGNIN_GOOGLE_CLIENT_SECRET": SECRET, "HR_USERS": (ADA,)}


def claims(**overrides) -> dict:
    """The claims of a Google ID token for our client, as Google issues them; `claim=DROP` leaves one out."""
    now = int(time.time())
    values = {
        "iss": "https://accounts.google.com",
        "azp": CLIENT_ID,
        "aud": CLIENT_ID,
        "sub": "110169484474386276334",
        "email": ADA,
        "email_verified": True,
        "hd": "northwind.example",
        "iat": now,
        "exp": now + 3600,
    } | overrides
    return {name: value for name, value in values.items() if value is not DROP}


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_certs(mock, KEY)
        yield mock


def google_console(database_url, tmp_path, **settings):
    return console(database_url, tmp_path, **SETTINGS | settings)


@pytest.fixture
def app(database_url, tmp_path, rsps):
    app = google_console(database_url, tmp_path)
    yield app
    db.dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


def start(client, next_path: str = "/admin/") -> dict[str, str]:
    """Press the button; the query of the Google sign-in address the browser is sent to."""
    response = client.get("/signin/google", query_string={"next": next_path})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    return query_of(response.headers["Location"])


def come_back(client, rsps, sent: dict[str, str], token: str | None = None, **overrides):
    """Google signs the person in and sends the browser back; its token endpoint answers with `token`."""
    token = token or id_token(KEY, claims(**{"nonce": sent["nonce"]} | overrides))
    rsps.upsert(responses.POST, TOKEN_URL, json={"access_token": "at", "id_token": token, "token_type": "Bearer"})
    return client.get("/signin/google/callback", query_string={"code": "4/the-code", "state": sent["state"]})


def assert_failed(response, status: int, sentence: str, client) -> None:
    signin_helpers.assert_failed(response, status, sentence, client, SECRET)


# --- signing in ----------------------------------------------------------------------------------


def test_the_button_sends_the_browser_to_google_with_state_nonce_and_a_pkce_challenge(client):
    sent = start(client)

    assert sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == "http://127.0.0.1:5000/signin/google/callback"
    assert sent["response_type"] == "code" and sent["scope"] == "openid email profile"
    assert len(sent["state"]) >= 32 and len(sent["nonce"]) >= 32
    assert sent["code_challenge_method"] == "S256" and "hd" not in sent


def test_a_google_sign_in_lands_where_the_person_was_going_with_roles_from_the_lists(app, client, rsps):
    response = come_back(client, rsps, start(client, "/admin/"))

    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    session = session_of(client)
    assert session["user"] == ADA and session[SESSION_CLAIM_ROLES] == [] and session["_permanent"] is True
    assert client.get("/admin/").status_code == 200  # HR_USERS gives the hr role
    [event] = signin_events(app)
    assert event["actor"] == ADA and event["details"] == {"provider": "google", "claim_roles": []}


def test_the_code_is_redeemed_with_our_secret_and_the_verifier_of_the_challenge_sent(client, rsps):
    sent = start(client)

    come_back(client, rsps, sent)

    body = next(call.request.body for call in rsps.calls if call.request.url == TOKEN_URL)
    form = {k: v[0] for k, v in parse_qs(body).items()}
    assert form["code"] == "4/the-code" and form["client_secret"] == SECRET and form["client_id"] == CLIENT_ID
    assert form["grant_type"] == "authorization_code" and form["redirect_uri"] == sent["redirect_uri"]
    digest = hashlib.sha256(form["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == sent["code_challenge"]


def test_a_google_account_without_a_role_signs_in_but_sees_the_403_page(client, rsps):
    come_back(client, rsps, start(client), email="grace@northwind.example")

    response = client.get("/admin/")

    assert session_of(client)["user"] == "grace@northwind.example"
    assert response.status_code == 403 and "grace@northwind.example has no role" in response.get_data(as_text=True)


def test_googles_certificates_are_fetched_once_for_many_sign_ins(client, rsps):
    for _ in range(3):
        come_back(client, rsps, start(client))

    assert sum(1 for call in rsps.calls if call.request.url == CERTS_URL) == 1


# --- who may sign in -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{"email_verified": False}, {"email_verified": DROP}, {"email": DROP}, {"email": "Ada <ada@northwind.example>"}],
    ids=["not verified", "verification unknown", "no address", "not a bare address"],
)
def test_an_account_without_a_verified_address_is_refused(client, rsps, overrides):
    response = come_back(client, rsps, start(client), **overrides)

    assert_failed(response, 401, "has no verified e-mail address", client)


@pytest.fixture
def workspace_only(database_url, tmp_path, rsps):
    app = google_console(database_url, tmp_path, SIGNIN_GOOGLE_HOSTED_DOMAINS="Northwind.example")
    yield app.test_client()
    db.dispose(app)


@pytest.mark.parametrize(
    "overrides",
    [{"hd": "fabrikam.example", "email": "eve@fabrikam.example"}, {"hd": DROP, "email": "ada.northwind@gmail.com"}],
    ids=["another workspace", "a consumer account"],
)
def test_with_hosted_domains_set_other_accounts_are_refused(workspace_only, rsps, overrides):
    response = come_back(workspace_only, rsps, start(workspace_only), **overrides)

    assert_failed(response, 403, "accounts that may sign in here", workspace_only)


def test_with_one_hosted_domain_google_is_told_and_its_accounts_sign_in(workspace_only, rsps):
    sent = start(workspace_only)

    come_back(workspace_only, rsps, sent)

    assert sent["hd"] == "northwind.example"
    assert session_of(workspace_only)["user"] == ADA


# --- the answer is not the one we asked for ------------------------------------------------------


def test_an_answer_with_another_state_is_refused_before_the_code_is_redeemed(client, rsps):
    response = come_back(client, rsps, start(client) | {"state": "forged"})

    assert_failed(response, 400, "does not belong to a sign-in started here", client)
    assert not any(call.request.url == TOKEN_URL for call in rsps.calls)


def test_a_refusal_from_google_is_a_401_page_with_a_way_back(client):
    sent = start(client)

    response = client.get("/signin/google/callback", query_string={"error": "access_denied", "state": sent["state"]})

    assert_failed(response, 401, "Google did not sign you in", client)


# --- the ID token does not verify ----------------------------------------------------------------


def test_a_tampered_id_token_is_refused(client, rsps):
    sent = start(client)
    forged = tampered(id_token(KEY, claims(nonce=sent["nonce"])), email="admin@northwind.example")

    response = come_back(client, rsps, sent, token=forged)

    assert_failed(response, 401, "could not be verified", client)


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "999-someone-else.apps.googleusercontent.com"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"iss": "https://accounts.evil.example"},
        {"nonce": "another-sign-ins-nonce"},
    ],
    ids=["wrong audience", "expired", "wrong issuer", "nonce mismatch"],
)
def test_an_id_token_with_a_wrong_claim_is_refused(client, rsps, overrides):
    response = come_back(client, rsps, start(client), **overrides)

    assert_failed(response, 401, "could not be verified", client)


def test_an_id_token_signed_by_a_key_google_does_not_publish_is_refused(client, rsps):
    sent = start(client)

    response = come_back(client, rsps, sent, token=id_token(make_key("attacker"), claims(nonce=sent["nonce"])))

    assert_failed(response, 401, "could not be verified", client)


# --- Google cannot be reached or refuses us ------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [{"status": 503, "body": "busy"}, {"body": requests.ReadTimeout()}, {"status": 200, "body": "<html>"}],
    ids=["503", "timeout", "not json"],
)
def test_a_token_endpoint_that_fails_is_a_502_page(client, rsps, answer):
    sent = start(client)
    rsps.upsert(responses.POST, TOKEN_URL, **answer)

    response = client.get("/signin/google/callback", query_string={"code": "c", "state": sent["state"]})

    assert_failed(response, 502, "could not be reached", client)


@pytest.mark.parametrize(
    ("status", "error", "sentence", "page_status"),
    [
        (400, "invalid_grant", "did not accept this sign-in", 401),
        (401, "invalid_client", "an administrator must check its client id and secret", 502),
    ],
)
def test_a_token_endpoint_refusal_says_whose_move_it_is(client, rsps, status, error, sentence, page_status):
    sent = start(client)
    rsps.upsert(responses.POST, TOKEN_URL, status=status, json={"error": error, "error_description": "Bad Request"})

    response = client.get("/signin/google/callback", query_string={"code": "c", "state": sent["state"]})

    assert_failed(response, page_status, sentence, client)


def test_certificates_that_cannot_be_fetched_are_a_502_page(client, rsps):
    rsps.upsert(responses.GET, CERTS_URL, status=500)

    response = come_back(client, rsps, start(client))

    assert_failed(response, 502, "could not be reached", client)


# --- where the browser goes afterwards, configuration, production --------------------------------


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_a_next_address_elsewhere_is_replaced_by_the_front_page(client, rsps, next_path):
    response = come_back(client, rsps, start(client, next_path))

    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "settings",
    [
        {"SIGNIN_GOOGLE_CLIENT_SECRET": ""},
        {"SIGNIN_GOOGLE_CLIENT_ID": ""},
        {"SIGNIN_GOOGLE_CLIENT_ID": "", "SIGNIN_GOOGLE_CLIENT_SECRET": "", "SIGNIN_GOOGLE_HOSTED_DOMAINS": "x.example"},
    ],
    ids=["no secret", "no client id", "only hosted domains"],
)
def test_a_half_configured_google_sign_in_stops_the_start(database_url, settings):
    with pytest.raises(SystemExit, match="sign-in with Google needs all of them"):
        google_console(database_url, None, **settings)


def test_a_client_id_that_is_not_googles_stops_the_start(database_url):
    with pytest.raises(SystemExit, match="is not a Google OAuth client id"):
        google_console(database_url, None, SIGNIN_GOOGLE_CLIENT_ID="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9")


def test_production_with_google_configured_serves_sign_in_with_the_button(database_url, tmp_path, rsps):
    verifier = {
        "ENTRA_CLIENT_ID": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        "ENTRA_TENANTS": "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b",
    }
    app = google_console(database_url, tmp_path, **PRODUCTION, **verifier)
    client = app.test_client()

    page = client.get("/signin").get_data(as_text=True)
    sent = start(client)

    assert '<a class="button" href="/signin/google?next=/">Sign in with Google</a>' in page
    assert "Development sign-in" not in page
    assert sent["redirect_uri"] == "https://lg.northwind.example/signin/google/callback"
    db.dispose(app)
