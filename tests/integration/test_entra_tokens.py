"""Entra ID bearer tokens, end to end: keys from a JWKS served through `responses`, tokens signed by local RSA keys.

A forged, foreign, expired or otherwise wrong token is a 401 with a JSON reason and never
a decision; Microsoft's key endpoint being down is a 503; nothing is ever a 500. The
verifier is exercised directly (every rejection, both token versions, national clouds,
key rotation) and through `POST /api/v1/check` in a production app configured with
LEAVERGUARD_ENTRA_* only.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests
import responses

from server import config, create_app, db, demo
from server.auth.entra import EntraSettings, EntraVerifier
from server.auth.entra_keys import MIN_REFETCH_SECONDS, KeysUnavailable
from server.auth.identity import AuthError
from tests.entra_tokens import (
    ALICE,
    APP_ID_URI,
    CLIENT_ID,
    DROP,
    HOST,
    OTHER_TENANT,
    TENANT,
    calls_to,
    configuration_url,
    hs256_with_public_key,
    jwks_url,
    make_key,
    mock_tenant,
    tampered,
    token,
    unsigned,
    v1_claims,
    v2_claims,
)

CHECK = "/api/v1/check"
KIM = "kim@contoso.example"
KEY = make_key("current-key")


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_tenant(mock, KEY)
        yield mock


class Clock:
    """The key cache's clock, moved on by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(clock: Clock | None = None, **settings) -> EntraVerifier:
    values = {"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": TENANT} | settings
    return EntraVerifier.connected(EntraSettings.from_config(values), requests.Session(), clock or Clock())


def rejection(credentials: str, entra: EntraVerifier | None = None) -> str:
    with pytest.raises(AuthError) as refused:
        (entra or verifier()).verify(credentials)
    return refused.value.reason


# --- accepted tokens -------------------------------------------------------------------------------


def test_a_v2_token_for_our_client_id_names_its_user(rsps):
    identity = verifier().verify(token(KEY, v2_claims(preferred_username="Alice@Northwind.EXAMPLE")))

    assert (identity.address.email, identity.scheme) == (ALICE, "bearer")


def test_a_token_proves_its_users_object_id_tenant_and_email_claims_besides_the_upn(rsps):
    oid = "1A2B3C4D-0000-4000-8000-00000000000A"
    claims = v2_claims(preferred_username="asmith@northwind.onmicrosoft.com", oid=oid, email="Alice@Northwind.example")

    identity = verifier().verify(token(KEY, claims))

    assert (identity.object_id, identity.tenant_id) == (oid.lower(), TENANT)
    assert [a.email for a in identity.addresses] == ["asmith@northwind.onmicrosoft.com", ALICE]


@pytest.mark.parametrize(
    ("claims", "addresses"),
    [
        pytest.param({"unique_name": ALICE}, ["kim@northwind.example", ALICE], id="a member's unique_name"),
        pytest.param({"unique_name": "live.com#alice@outlook.com"}, ["kim@northwind.example"], id="a guest's"),
        pytest.param({"unique_name": "Alice Smith"}, ["kim@northwind.example"], id="a display name"),
        pytest.param({"email": ["x@y.example"]}, ["kim@northwind.example"], id="an email claim that is no string"),
        pytest.param({"email": f"Alice <{ALICE}>"}, ["kim@northwind.example"], id="an email claim with a name"),
    ],
)
def test_only_plain_addresses_of_the_email_and_unique_name_claims_count(rsps, claims, addresses):
    identity = verifier().verify(token(KEY, v1_claims(upn="kim@northwind.example", **claims)))

    assert [a.email for a in identity.addresses] == addresses


def test_a_v1_token_for_the_default_app_id_uri_names_its_user_by_upn(rsps):
    identity = verifier().verify(token(KEY, v1_claims()))

    assert identity.address.email == ALICE


def test_a_token_for_the_configured_app_id_uri_is_accepted(rsps):
    entra = verifier(ENTRA_APP_ID_URI=APP_ID_URI)

    assert entra.verify(token(KEY, v1_claims(aud=APP_ID_URI))).address.email == ALICE
    assert "wrong audience" in rejection(token(KEY, v1_claims(aud=f"api://{CLIENT_ID}")), entra)


def test_a_token_that_expired_within_the_minute_of_leeway_is_still_accepted(rsps):
    now = int(time.time())

    assert verifier().verify(token(KEY, v2_claims(exp=now - 30))).address.email == ALICE


def test_any_allowed_tenant_is_accepted_with_its_own_keys(rsps):
    other_key = make_key("other-tenant-key")
    mock_tenant(rsps, other_key, tenant=OTHER_TENANT)
    entra = verifier(ENTRA_TENANTS=f"{TENANT}, {OTHER_TENANT.upper()}")

    assert entra.verify(token(other_key, v2_claims(tenant=OTHER_TENANT))).address.email == ALICE
    assert entra.verify(token(KEY, v2_claims())).address.email == ALICE
    assert "signature does not verify" in rejection(token(other_key, v2_claims(), kid=KEY.kid), entra)


def test_a_national_cloud_authority_host_is_used_for_keys_and_the_v2_issuer(rsps):
    gov = "login.microsoftonline.us"
    mock_tenant(rsps, KEY, host=gov)
    entra = verifier(ENTRA_AUTHORITY_HOST=gov)

    assert entra.verify(token(KEY, v2_claims(host=gov))).address.email == ALICE
    assert entra.verify(token(KEY, v1_claims())).address.email == ALICE  # US Government v1 tokens: sts.windows.net
    assert "wrong issuer" in rejection(token(KEY, v2_claims(host=HOST)), entra)
    assert calls_to(rsps, configuration_url(host=gov)) == 1
    assert calls_to(rsps, configuration_url()) == 0


# --- every rejection ----------------------------------------------------------------------------


def forged_tokens():
    """(id, token, part of the reason): every way a token must be refused."""
    now = int(time.time())
    good = token(KEY, v2_claims())
    attacker = make_key(KEY.kid + "-attacker")
    rs256 = {"alg": "RS256", "kid": KEY.kid}
    return [
        ("alg none", unsigned({"alg": "none", "kid": KEY.kid}, v2_claims()), "'none' is refused"),
        ("alg none, no kid", unsigned({"alg": "none"}, v2_claims()), "'none' is refused"),
        ("HS256 keyed with the public key", hs256_with_public_key(KEY, v2_claims()), "'HS256' is refused"),
        ("RS256 without a signature", unsigned(rs256, v2_claims()), "signature"),
        ("RS256 with a junk signature", unsigned(rs256, v2_claims(), b"x" * 256), "verify"),
        ("claims tampered after signing", tampered(good, preferred_username="ceo@northwind.example"), "signature"),
        ("audience tampered", tampered(good, aud=CLIENT_ID.replace("5", "6")), "signature"),
        ("signed by another key under our kid", token(attacker, v2_claims(), kid=KEY.kid), "signature"),
        ("signed with a key id the tenant does not publish", token(attacker, v2_claims()), "does not publish"),
        ("no kid", token(KEY, v2_claims(), kid=DROP), "names no signing key"),
        ("wrong audience", token(KEY, v2_claims(aud="00000003-0000-0000-c000-000000000000")), "wrong audience"),
        ("another API's App ID URI", token(KEY, v1_claims(aud="api://someone-else")), "wrong audience"),
        ("no audience", token(KEY, v2_claims(aud=DROP)), "'aud'"),
        ("issuer of another tenant", token(KEY, v2_claims(iss=f"https://{HOST}/{OTHER_TENANT}/v2.0")), "wrong issuer"),
        ("issuer of another host", token(KEY, v2_claims(iss=f"https://evil.example/{TENANT}/v2.0")), "wrong issuer"),
        ("v1 issuer without its slash", token(KEY, v1_claims(iss=f"https://sts.windows.net/{TENANT}")), "wrong issuer"),
        ("foreign tenant", token(KEY, v2_claims(tenant=OTHER_TENANT)), "tenant this server accepts"),
        ("no tenant", token(KEY, v2_claims(tid=DROP)), "tenant this server accepts"),
        ("tenant not a string", token(KEY, v2_claims(tid=["x"])), "tenant this server accepts"),
        ("expired", token(KEY, v2_claims(exp=now - 3600)), "expired"),
        ("expired just past the leeway", token(KEY, v2_claims(exp=now - 90)), "expired"),
        ("not valid yet", token(KEY, v2_claims(nbf=now + 600)), "not valid yet"),
        ("no expiry", token(KEY, v2_claims(exp=DROP)), "'exp'"),
        ("no nbf", token(KEY, v2_claims(nbf=DROP)), "'nbf'"),
        ("no scope (an app-only token)", token(KEY, v2_claims(scp=DROP, roles=["Check.All"])), "access_as_user"),
        ("another scope", token(KEY, v2_claims(scp="User.Read Mail.Read")), "access_as_user"),
        ("scope as a prefix only", token(KEY, v2_claims(scp="access_as_user_admin")), "access_as_user"),
        ("no user name", token(KEY, v2_claims(preferred_username=DROP)), "names no user"),
        ("user name not an address", token(KEY, v2_claims(preferred_username="alice")), "not an e-mail address"),
        ("object id not a GUID", token(KEY, v2_claims(oid="alice")), "not an object id"),
        ("object id not a string", token(KEY, v2_claims(oid=12345)), "not an object id"),
        ("not a JWT", "not-a-token", "not a well-formed JWT"),
        ("two parts", "eyJhbGciOiJSUzI1NiJ9.e30", "not a well-formed JWT"),
        ("garbage base64", "@@@.@@@.@@@", "not a well-formed JWT"),
    ]


@pytest.mark.parametrize(("forged", "reason"), [pytest.param(t, r, id=i) for i, t, r in forged_tokens()])
def test_a_forged_foreign_or_wrong_token_is_refused_with_its_reason(rsps, forged, reason):
    assert reason in rejection(forged)


def test_a_token_from_a_foreign_tenant_fetches_nothing_from_microsoft(rsps):
    rejection(token(KEY, v2_claims(tenant=OTHER_TENANT)))
    rejection(unsigned({"alg": "none", "kid": "x"}, v2_claims()))

    assert len(rsps.calls) == 0


# --- keys: rotation, unknown key ids, outages -----------------------------------------------------


def test_a_rotated_key_is_fetched_and_accepted(rsps):
    clock = Clock()
    entra = verifier(clock)
    entra.verify(token(KEY, v2_claims()))
    rotated = make_key("rotated-key")
    mock_tenant(rsps, rotated)  # Microsoft now publishes only the new key
    clock.now += MIN_REFETCH_SECONDS

    assert entra.verify(token(rotated, v2_claims())).address.email == ALICE
    assert calls_to(rsps, jwks_url()) == 2


def test_a_key_id_unknown_even_after_refetching_is_a_401_and_costs_one_fetch(rsps):
    clock = Clock()
    entra = verifier(clock)
    entra.verify(token(KEY, v2_claims()))
    clock.now += MIN_REFETCH_SECONDS
    stranger = make_key("never-published")

    for _ in range(20):
        assert "does not publish" in rejection(token(stranger, v2_claims()), entra)
    assert calls_to(rsps, jwks_url()) == 2


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param({"status": 503}, id="HTTP 503"),
        pytest.param({"body": requests.ConnectionError("refused")}, id="connection refused"),
        pytest.param({"body": "<html>"}, id="not JSON"),
    ],
)
def test_microsofts_key_endpoint_down_is_a_service_unavailable_not_a_rejection(rsps, outage):
    rsps.upsert(responses.GET, jwks_url(), **outage)

    with pytest.raises(KeysUnavailable):
        verifier().verify(token(KEY, v2_claims()))


# --- start-up validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ENTRA_CLIENT_ID": CLIENT_ID}, "LEAVERGUARD_ENTRA_CLIENT_ID is set but LEAVERGUARD_ENTRA_TENANTS is not"),
        ({"ENTRA_TENANTS": TENANT}, "LEAVERGUARD_ENTRA_TENANTS is set but LEAVERGUARD_ENTRA_CLIENT_ID is not"),
        ({"ENTRA_CLIENT_ID": "leaverguard-api", "ENTRA_TENANTS": TENANT}, "'leaverguard-api' is not a GUID"),
        ({"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": "common"}, "'common' is not a GUID"),
        ({"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": f"{TENANT},northwind.example"}, "'northwind.example'"),
        ({"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": " , "}, "no tenant id given"),
        (
            {"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": TENANT, "ENTRA_AUTHORITY_HOST": "https://login.x.com/"},
            "LEAVERGUARD_ENTRA_AUTHORITY_HOST='https://login.x.com/' is not valid",
        ),
        (
            {"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": TENANT, "ENTRA_APP_ID_URI": "leaverguard"},
            "is not an Application ID URI",
        ),
        (
            {"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": TENANT, "ENTRA_APP_ID_URI": "api://x/"},
            "is not an Application ID URI",
        ),
    ],
)
def test_a_bad_entra_setting_stops_the_start_with_a_message_naming_it(database_url, tmp_path, settings, message):
    with pytest.raises(SystemExit) as stopped:
        create_app({"ENV": "development", "TESTING": True, "DATABASE_URL": database_url} | settings)

    assert message in str(stopped.value.code)


def test_settings_from_the_environment_are_parsed_once_and_accepted_as_they_are():
    loaded = config.load(
        {
            "LEAVERGUARD_ENTRA_CLIENT_ID": CLIENT_ID.upper(),
            "LEAVERGUARD_ENTRA_TENANTS": f" {TENANT} ,{OTHER_TENANT},{TENANT}",
            "LEAVERGUARD_ENTRA_AUTHORITY_HOST": "Login.MicrosoftOnline.US",
        }
    )

    settings = EntraSettings.from_config(loaded)
    assert (settings.client_id, settings.tenants, settings.authority_host) == (
        CLIENT_ID,
        (TENANT, OTHER_TENANT),
        "login.microsoftonline.us",
    )
    assert settings.scope == f"api://{CLIENT_ID}/access_as_user"


# --- through the check API, in production ------------------------------------------------------------


@pytest.fixture
def entra_app(database_url, engine, tmp_path, rsps):
    """A production app whose only verifier is Entra ID, on the emptied test database with the demo seeded."""
    assert demo.seed(engine, datetime.now(UTC))
    app = create_app(
        {
            "ENV": "production",
            "TESTING": True,
            "SECRET_KEY": "x" * 40,
            "BASE_URL": "https://lg.example",
            "DATABASE_URL": database_url,
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "smtp.lg.example",
            "MAIL_FROM": "leaverguard@lg.example",
            "ENTRA_CLIENT_ID": CLIENT_ID,
            "ENTRA_TENANTS": TENANT,
        }
    )
    app.instance_path = str(tmp_path)
    yield app
    db.dispose(app)


def bearer(credentials: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials}"}


def test_production_starts_with_entra_id_as_its_only_verifier(entra_app):
    from server.auth import verifiers_of

    assert verifiers_of(entra_app).real_schemes == ["bearer"]


def test_a_valid_token_gets_a_decision_for_the_tokens_user_not_the_from_field(entra_app):
    credentials = token(KEY, v2_claims(preferred_username="A.Smith@northwind.example"))  # Alice's alias

    response = entra_app.test_client().post(
        CHECK, headers=bearer(credentials), json={"from": "carol@northwind.example", "to": [KIM]}
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["verdict"] == "require_approval"  # Alice is on notice; Carol would be allowed


@pytest.mark.parametrize(("forged", "reason"), [pytest.param(t, r, id=i) for i, t, r in forged_tokens()])
def test_a_forged_token_gets_a_401_json_reason_and_no_decision(entra_app, forged, reason):
    response = entra_app.test_client().post(CHECK, headers=bearer(forged), json={"to": [KIM]})

    assert response.status_code == 401
    body = response.get_json()
    assert body["error"]["code"] == "unauthorized" and reason in body["error"]["message"]
    assert "verdict" not in body
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_development_scheme_is_refused_next_to_entra_id_in_production(entra_app):
    response = entra_app.test_client().post(CHECK, headers={"Authorization": f"Dev {ALICE}"}, json={"to": [KIM]})

    assert response.status_code == 401
    assert "accepted: bearer" in response.get_json()["error"]["message"]


def test_an_outage_of_microsofts_key_endpoint_is_a_503_json_answer(entra_app, rsps):
    rsps.upsert(responses.GET, configuration_url(), body=requests.ConnectionError("refused"))

    response = entra_app.test_client().post(CHECK, headers=bearer(token(KEY, v2_claims())), json={"to": [KIM]})

    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["code"] == "unavailable"
    assert "cannot be verified right now" in body["error"]["message"]
