"""CORS on the add-in API: allowed origins, preflights, error answers, and nothing outside /api/v1/."""

from __future__ import annotations

import pytest

from server import config

OUTLOOK = "https://outlook.northwind.example"
CHECK = {"mode": "preview", "to": ["kim@contoso.example"]}


def preflight(client, path="/api/v1/check", origin=OUTLOOK, method="POST"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.fixture
def allowed(app):
    app.config["CORS_ORIGINS"] = (OUTLOOK,)
    return app


@pytest.mark.parametrize("path", ["/api/v1/check", "/api/v1/approvals", "/api/v1/approvals/7"])
def test_a_preflight_from_an_allowed_origin_is_answered_without_credentials(allowed, client, path):
    response = preflight(client, path)

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == OUTLOOK
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_a_preflight_from_another_origin_gets_no_permission(allowed, client):
    response = preflight(client, origin="https://evil.example")

    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_allowed_origins_check_answer_carries_the_cors_headers(allowed, client):
    response = client.post(
        "/api/v1/check", json=CHECK, headers={"Origin": OUTLOOK, "Authorization": "Dev carol@northwind.example"}
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == OUTLOOK
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_an_error_answer_carries_them_too_so_the_add_in_can_read_the_reason(allowed, client):
    response = client.post("/api/v1/check", json=CHECK, headers={"Origin": OUTLOOK})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == OUTLOOK
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]


def test_a_request_from_another_origin_is_answered_without_permission(allowed, client):
    response = client.post(
        "/api/v1/check",
        json=CHECK,
        headers={"Origin": "https://evil.example", "Authorization": "Dev carol@northwind.example"},
    )

    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("path", ["/healthz", "/addin/outlook/commands.js", "/"])
def test_paths_outside_the_api_get_no_cors_headers(allowed, client, path):
    response = client.get(path, headers={"Origin": OUTLOOK})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_options_request_outside_the_api_is_not_treated_as_a_preflight(allowed, client):
    response = preflight(client, path="/healthz", method="GET")

    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origin", ["null", "not a url", "https://outlook.northwind.example/path"])
def test_odd_origins_are_never_allowed(allowed, client, origin):
    assert "Access-Control-Allow-Origin" not in preflight(client, origin=origin).headers


def test_an_origin_with_its_default_port_is_the_same_origin(allowed, client):
    response = preflight(client, origin="https://outlook.northwind.example:443")

    assert response.headers["Access-Control-Allow-Origin"] == "https://outlook.northwind.example:443"


def test_by_default_the_base_urls_origin_is_allowed(app, client):
    app.config.update(CORS_ORIGINS=(), BASE_URL="https://lg.northwind.example/some/path")

    assert preflight(client, origin="https://lg.northwind.example").headers["Access-Control-Allow-Origin"]
    assert "Access-Control-Allow-Origin" not in preflight(client, origin=OUTLOOK).headers


def test_without_a_base_url_or_origins_no_origin_is_allowed(app, client):
    app.config.update(CORS_ORIGINS=(), BASE_URL="")

    assert "Access-Control-Allow-Origin" not in preflight(client).headers


def test_the_configured_origins_replace_the_default(app, client):
    app.config.update(CORS_ORIGINS=(OUTLOOK,), BASE_URL="https://lg.northwind.example")

    assert "Access-Control-Allow-Origin" not in preflight(client, origin="https://lg.northwind.example").headers


# --- the setting ---------------------------------------------------------------------------------------


def test_the_origins_setting_is_parsed_into_browser_origins():
    loaded = config.load({"LEAVERGUARD_CORS_ORIGINS": "https://A.example:443/, http://localhost:3000 ,"})

    assert loaded["CORS_ORIGINS"] == ("https://a.example", "http://localhost:3000")


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("*", "is not an origin"),
        ("outlook.northwind.example", "is not an origin"),
        ("ftp://files.example", "is not an origin"),
        ("https://lg.example/addin", "has a path"),
        ("https://user:pw@lg.example", "is not an origin"),
        ("https://lg.example:99999", "is not an origin"),
    ],
)
def test_an_origins_setting_that_is_not_a_list_of_origins_stops_the_start_with_a_clear_message(raw, named):
    with pytest.raises(SystemExit) as stopped:
        config.load({"LEAVERGUARD_CORS_ORIGINS": raw})

    assert str(stopped.value.code).startswith(f"LEAVERGUARD_CORS_ORIGINS={raw!r} is not valid")
    assert named in str(stopped.value.code)
