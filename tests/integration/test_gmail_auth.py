"""Who may call /gmail/: only Google, for our endpoints and our add-on's service account, on behalf of a verified user.

Tokens are signed with local RSA keys; Google's certificate URL is answered through `responses`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

import jwt
import pytest
import responses

from server import config, create_app, db, demo
from server.auth.google_certs import CachedCertsRequest
from tests import gmail_tokens as gt

from . import gmail_helpers as gh

ALICE, CAROL, KIM = "alice@northwind.example", "carol@northwind.example", "kim@contoso.example"
NOW = int(time.time())


@pytest.fixture
def google(google_certs):
    """Google's certificates, answered with the test key (the conftest's google_certs)."""
    return google_certs


@pytest.fixture
def client(app, engine):
    gh.configure(app)
    demo.seed(engine, datetime.now(UTC))
    return app.test_client()


def test_a_request_google_signed_for_our_endpoint_and_service_account_gets_a_card(client, google):
    response = gh.call(client, "/gmail/compose", gt.event([KIM]))

    assert response.status_code == 200
    gh.only_card(response.get_json())


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "https://elsewhere.example/gmail/compose"}, "wrong audience"),
        ({"aud": gt.CLIENT_ID}, "wrong audience"),
        ({"email": "service-999@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"}, "not from this add-on's service"),
        ({"email": "x" + gt.SERVICE_ACCOUNT}, "not from this add-on's service account"),
        ({"email": gt.DROP}, "not from this add-on's service account"),
        ({"email_verified": False}, "does not carry a verified service account"),
        ({"email_verified": "true"}, "does not carry a verified service account"),
        ({"exp": NOW - 3600, "iat": NOW - 7200}, "has expired"),
        ({"iat": NOW + 3600, "exp": NOW + 7200}, "is not valid yet"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"exp": gt.DROP}, "lacks its iat or exp claim"),
    ],
)
def test_a_system_token_that_is_not_exactly_ours_is_refused_with_the_reason(client, google, claims, reason):
    response = gh.call(client, "/gmail/compose", gt.event([KIM]), **claims)

    assert response.status_code == 401
    body = response.get_json()["error"]
    assert body["code"] == "unauthorized" and reason in body["message"] and "request token" in body["message"]


def _hs256(claims: dict, secret: bytes) -> str:
    """An HS256 token keyed with `secret` (PyJWT refuses a certificate as a secret; an attacker would not)."""
    part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")  # noqa: E731
    signing_input = part({"alg": "HS256", "kid": gt.key().kid, "typ": "JWT"}) + b"." + part(claims)
    signature = base64.urlsafe_b64encode(hmac.new(secret, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


def forged(kind: str) -> str:
    """A system token that claims everything right but is not signed by Google."""
    claims = gt.system_claims()
    return {
        "unsigned": lambda: jwt.encode(claims, None, algorithm="none", headers={"kid": gt.key().kid}),
        "hs256 with the public certificate as secret": lambda: _hs256(claims, gt.key().certificate),
        "signed by a key Google does not publish": lambda: gt.token(gt.key("attacker"), claims),
        "signed by another key under Google's key id": lambda: gt.token(gt.key("attacker"), claims, kid=gt.key().kid),
        "garbage": lambda: "not-a-jwt",
    }[kind]()


@pytest.mark.parametrize(
    "kind",
    [
        "unsigned",
        "hs256 with the public certificate as secret",
        "signed by a key Google does not publish",
        "signed by another key under Google's key id",
        "garbage",
    ],
)
def test_a_forged_system_token_gets_nothing(client, google, kind):
    response = client.post("/gmail/compose", json=gt.event([KIM]), headers={"Authorization": f"Bearer {forged(kind)}"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "sections" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing Authorization header"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "must be `Bearer <Google ID token>`"),
        ({"Authorization": "Bearer "}, "must be `Bearer <Google ID token>`"),
        ({"Authorization": f"Dev {ALICE}"}, "must be `Bearer <Google ID token>`"),
    ],
)
def test_a_request_without_googles_bearer_token_is_refused_even_in_development(client, google, headers, reason):
    response = client.post("/gmail/compose", json=gt.event([KIM]), headers=headers)

    assert response.status_code == 401
    assert reason in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("user_token", "reason"),
    [
        ("", "carries no user ID token"),
        (gt.token(gt.key(), gt.user_claims(aud="someone-elses-client.apps.googleusercontent.com")), "wrong audience"),
        (gt.token(gt.key(), gt.system_claims()), "wrong audience"),
        (gt.token(gt.key(), gt.user_claims(exp=NOW - 3600, iat=NOW - 7200)), "has expired"),
        (gt.token(gt.key(), gt.user_claims(email_verified=False)), "no verified e-mail address"),
        (gt.token(gt.key(), gt.user_claims(email=gt.DROP)), "no verified e-mail address"),
        (gt.token(gt.key(), gt.user_claims(email="not an address")), "is not an address"),
        (gt.token(gt.key("attacker"), gt.user_claims()), "a key Google does not publish"),
    ],
)
def test_a_bad_user_token_is_refused_even_with_a_good_system_token(client, google, user_token, reason):
    response = gh.call(client, "/gmail/compose", gt.event([KIM], user=user_token))

    assert response.status_code == 401
    assert reason in response.get_json()["error"]["message"]


def test_the_user_is_the_verified_token_never_a_field_of_the_event(client, google):
    event = gt.event([KIM], user=gt.token(gt.key(), gt.user_claims(CAROL)))
    event["commonEventObject"]["userEmail"] = ALICE  # what a forger would try
    event["authorizationEventObject"]["email"] = ALICE

    card = gh.only_card(gh.call(client, "/gmail/compose", event).get_json())

    assert "Request HR sign-off" not in gh.buttons(card)  # Carol, a colleague: nothing to sign off
    assert any("can be sent" in line for line in gh.texts(card))


@pytest.mark.parametrize("spelling", ["userOAuthToken", "userOauthToken"])
def test_either_spelling_of_the_users_oauth_token_is_accepted_and_the_token_never_logged(
    client, google, caplog, spelling
):
    caplog.set_level(logging.DEBUG)

    response = gh.call(client, "/gmail/compose", gt.event([KIM], oauth_spelling=spelling))

    assert response.status_code == 200
    assert "ya29" not in caplog.text and "ya29" not in response.get_data(as_text=True)


def test_a_token_is_never_repeated_in_an_error_or_the_log(client, google, caplog):
    caplog.set_level(logging.DEBUG)
    token = gt.token(gt.key(), gt.system_claims(aud="https://elsewhere.example/x"))

    response = client.post("/gmail/compose", json=gt.event([KIM]), headers={"Authorization": f"Bearer {token}"})

    assert token not in response.get_data(as_text=True) and token.split(".")[1] not in caplog.text


def test_googles_certificates_are_fetched_once_for_many_requests(client, google):
    for _ in range(3):
        assert gh.call(client, "/gmail/compose", gt.event([KIM])).status_code == 200

    assert [call.request.url for call in google.calls] == [gt.CERTS_URL]


def test_a_token_signed_with_a_new_google_key_fetches_the_certificates_again_once(client, google):
    gh.call(client, "/gmail/compose", gt.event([KIM]))
    google.replace(responses.GET, gt.CERTS_URL, json={k.kid: k.certificate.decode() for k in (gt.key(), gt.key("2"))})
    rotated = gt.event([KIM], user=gt.token(gt.key("2"), gt.user_claims()))

    response = client.post("/gmail/compose", json=rotated, headers=gt.headers(signing_key=gt.key("2")))

    assert response.status_code == 200
    assert len(google.calls) == 2


def test_when_googles_certificates_cannot_be_fetched_the_answer_is_a_503_not_a_500(client):
    with responses.RequestsMock() as rsps:
        rsps.get(gt.CERTS_URL, status=500)
        response = gh.call(client, "/gmail/compose", gt.event([KIM]))

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"


@pytest.mark.parametrize(("body", "status"), [("not json", 400), ("[1, 2]", 400)])
def test_a_verified_request_with_a_body_that_is_no_event_is_a_json_error_not_a_500(client, google, body, status):
    response = client.post(
        "/gmail/compose", data=body, content_type="application/json", headers=gt.headers("/gmail/compose")
    )

    assert response.status_code == status
    assert "error" in response.get_json()


def test_an_unknown_gmail_path_is_a_json_404(client, google):
    response = gh.call(client, "/gmail/nothing-here", gt.event([KIM]))

    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")


def test_without_the_gmail_settings_every_request_is_a_503_that_names_them(app, google):
    response = app.test_client().post("/gmail/compose", json=gt.event([KIM]), headers=gt.headers())

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "gmail_not_configured" and "LEAVERGUARD_GMAIL_OAUTH_CLIENT_ID" in error["message"]


@pytest.mark.parametrize("given", ["GMAIL_SERVICE_ACCOUNT", "GMAIL_OAUTH_CLIENT_ID"])
def test_half_of_the_gmail_settings_stops_the_start_with_a_message(tmp_path, given):
    settings = {"ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", given: gt.GMAIL_SETTINGS[given]}

    with pytest.raises(SystemExit, match="the Gmail add-on needs both"):
        create_app(settings)


def test_configured_endpoint_urls_are_the_only_audiences_accepted(app, google, engine):
    gh.configure(app, GMAIL_ENDPOINT_URLS="https://addon.northwind.example/gmail/compose")
    demo.seed(engine, datetime.now(UTC))
    client = app.test_client()

    moved = gh.call(client, "/gmail/compose", gt.event([KIM]), aud="https://addon.northwind.example/gmail/compose")
    default = gh.call(client, "/gmail/compose", gt.event([KIM]))

    assert (moved.status_code, default.status_code) == (200, 401)
    assert gh.buttons(gh.only_card(moved.get_json()))["Check again"].startswith("https://addon.northwind.example/")


def test_production_may_start_with_the_gmail_add_on_as_its_only_verifier(tmp_path):
    settings = {
        "ENV": "production",
        "SECRET_KEY": "s" * 40,
        "BASE_URL": gt.BASE,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "smtp.northwind.example",
        "MAIL_FROM": "leaverguard@northwind.example",
    }

    with pytest.raises(RuntimeError, match="no token verifier"):
        create_app(settings)
    app = create_app(settings | gt.GMAIL_SETTINGS)
    db.dispose(app)


def test_kept_certificates_expire_with_their_max_age_and_a_refresh_is_spaced_a_minute():
    now = [1000.0]
    with responses.RequestsMock() as rsps:
        gt.mock_certs(rsps, gt.key(), max_age=300)
        request = CachedCertsRequest(clock=lambda: now[0])
        request(gt.CERTS_URL)
        now[0] += 299
        request(gt.CERTS_URL)
        now[0] += 2
        request(gt.CERTS_URL)
        assert len(rsps.calls) == 2
        assert (request.refresh(), request.refresh()) == (True, False)
        now[0] += 61
        assert request.refresh()


@pytest.mark.parametrize(
    ("name", "raw", "problem"),
    [
        ("GMAIL_SERVICE_ACCOUNT", "service account", "missing '@'"),
        ("GMAIL_OAUTH_CLIENT_ID", "two words", "is not an OAuth client id"),
        ("GMAIL_ENDPOINT_URLS", "http://lg.example/gmail/compose", "is not an https:// URL"),
        ("GMAIL_ENDPOINT_URLS", "https://lg.example/gmail/compose#x", "is not an https:// URL"),
        ("GOOGLE_LEAVERS_GROUP", "leavers", "missing '@'"),
    ],
)
def test_a_gmail_setting_that_cannot_work_stops_the_start_naming_it(name, raw, problem):
    with pytest.raises(SystemExit) as stopped:
        config.load({config.PREFIX + name: raw})

    assert f"LEAVERGUARD_{name}={raw!r} is not valid" in str(stopped.value.code) and problem in stopped.value.code
