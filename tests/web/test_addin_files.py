"""The add-in's files at /addin/outlook/: configuration baked into the scripts, what is served and what is not."""

from __future__ import annotations

import json
import re

import pytest

from server.addin_texts import TEXTS
from server.web import addin_files

CONFIG_LINE = re.compile(r"\Avar LEAVERGUARD_CONFIG = (\{.*\});\n")
CLIENT_ID = "6b1f7c3e-2a4d-4e8f-9b0a-1c2d3e4f5a6b"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "0b6c2f3e-1111-4222-8333-944445555666"


def served_config(client) -> dict:
    """The LEAVERGUARD_CONFIG the served commands.js starts with."""
    response = client.get("/addin/outlook/commands.js")
    assert response.status_code == 200
    match = CONFIG_LINE.match(response.get_data(as_text=True))
    assert match, "commands.js must start with its configuration line"
    return json.loads(match.group(1))


def test_commands_js_is_served_with_its_configuration_in_front_of_the_script(client):
    response = client.get("/addin/outlook/commands.js")
    text = response.get_data(as_text=True)

    assert response.mimetype == "text/javascript"
    assert text.splitlines()[1] == "/*"  # the script itself follows, unchanged
    assert text.endswith((addin_files.ADDIN_DIR / "commands.js").read_text(encoding="utf-8"))


def test_in_development_the_configuration_names_this_server_and_allows_the_development_scheme(client):
    assert served_config(client) == {
        "apiBase": "http://localhost",
        "failMode": "open",
        "timeoutMs": 3500,
        "maxBodyBytes": 1_000_000,
        "pollMs": 5000,
        "taskPaneId": "LeaverGuardTaskPane",
        "entra": {},
        "devAuth": True,
    }


def test_the_api_address_follows_the_host_the_script_was_fetched_from_in_development(client):
    response = client.get("/addin/outlook/commands.js", base_url="http://127.0.0.1:8123")

    assert CONFIG_LINE.match(response.get_data(as_text=True)).group(1).count('"http://127.0.0.1:8123"') == 1


def test_in_production_the_development_flag_is_absent_and_the_base_url_is_the_api(app, client):
    app.config.update(ENV="production", BASE_URL="https://lg.northwind.example/")

    config = served_config(client)

    assert "devAuth" not in config
    assert config["apiBase"] == "https://lg.northwind.example"


def test_the_body_limit_reaches_the_script_so_the_add_in_cuts_the_body_there(app, client):
    app.config["MAX_BODY_BYTES"] = 250_000

    assert served_config(client)["maxBodyBytes"] == 250_000


def test_the_fail_mode_setting_reaches_the_script(app, client):
    app.config["ADDIN_FAIL_MODE"] = "closed"

    assert served_config(client)["failMode"] == "closed"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(
            {"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": (TENANT,)},
            {
                "clientId": CLIENT_ID,
                "scope": f"api://{CLIENT_ID}/access_as_user",
                "authority": f"https://login.microsoftonline.com/{TENANT}",
            },
            id="one tenant: sign in there, scope under api://<client id>",
        ),
        pytest.param(
            {
                "ENTRA_CLIENT_ID": CLIENT_ID,
                "ENTRA_TENANTS": (TENANT, OTHER_TENANT),
                "ENTRA_APP_ID_URI": f"api://lg.northwind.example/{CLIENT_ID}",
                "ENTRA_AUTHORITY_HOST": "login.microsoftonline.us",
            },
            {
                "clientId": CLIENT_ID,
                "scope": f"api://lg.northwind.example/{CLIENT_ID}/access_as_user",
                "authority": "https://login.microsoftonline.us/organizations",
            },
            id="several tenants, an App ID URI and a national cloud",
        ),
        pytest.param({"ENTRA_TENANTS": (TENANT,)}, {}, id="no client id: no Entra ID section"),
    ],
)
def test_the_entra_id_application_reaches_the_script(app, client, settings, expected):
    app.config.update(settings)

    assert served_config(client)["entra"] == expected


def test_taskpane_js_is_served_with_the_panes_texts_in_three_languages(client):
    response = client.get("/addin/outlook/taskpane.js")
    first, _, rest = response.get_data(as_text=True).partition("\n")

    assert first.startswith("var LEAVERGUARD_TEXTS = ") and first.endswith(";")
    assert json.loads(first.removeprefix("var LEAVERGUARD_TEXTS = ").removesuffix(";")) == TEXTS
    assert "Office.onReady" in rest


@pytest.mark.parametrize("language", ["es", "ru"])
def test_every_pane_text_is_translated(language):
    assert set(TEXTS[language]) == set(TEXTS["en"])
    assert all(text.strip() for text in TEXTS[language].values())


def test_the_scripts_revalidate_and_answer_not_modified_when_unchanged(client):
    first = client.get("/addin/outlook/commands.js")
    again = client.get("/addin/outlook/commands.js", headers={"If-None-Match": first.headers["ETag"]})

    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("commands.html", "text/html"),
        ("taskpane.html", "text/html"),
        ("taskpane.css", "text/css"),
        ("assets/icon-16.png", "image/png"),
        ("assets/icon-128.png", "image/png"),
    ],
)
def test_the_add_ins_other_files_are_served_as_they_are(client, path, mimetype):
    response = client.get(f"/addin/outlook/{path}")

    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.data == (addin_files.ADDIN_DIR / path).read_bytes()
    response.close()


@pytest.mark.parametrize("size", [16, 32, 64, 80, 128])
def test_each_icon_is_a_png_of_its_size(size):
    data = (addin_files.ADDIN_DIR / "assets" / f"icon-{size}.png").read_bytes()

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20]), int.from_bytes(data[20:24])) == (size, size)


@pytest.mark.parametrize(
    "path",
    [
        "/addin/outlook/../../server/config.py",
        "/addin/outlook/..%2f..%2fserver%2fconfig.py",
        "/addin/outlook/%2e%2e/%2e%2e/README.md",
        "/addin/outlook//etc/passwd",
        "/addin/outlook/.hidden.js",
        "/addin/outlook/assets/.keep",
        "/addin/outlook/no-such-file.js",
        "/addin/outlook/commands.js.map",
        "/addin/outlook/assets",
        "/addin/outlook/",
    ],
)
def test_nothing_outside_the_add_in_folder_or_of_another_kind_is_served(client, path):
    assert client.get(path, follow_redirects=True).status_code == 404  # (Werkzeug merges `//` by redirect)


def test_msal_is_served_from_the_npm_package_when_installed(client, monkeypatch, tmp_path):
    bundle = tmp_path / "msal-browser.min.js"
    bundle.write_text("/*! @azure/msal-browser */ var msal = {};", encoding="utf-8")
    monkeypatch.setattr(addin_files, "MSAL_BROWSER", bundle)

    response = client.get("/addin/outlook/vendor/msal-browser.min.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"msal-browser" in response.data
    response.close()


def test_without_the_npm_package_msal_is_a_404_and_the_add_in_uses_office_sign_in(client, monkeypatch, tmp_path):
    monkeypatch.setattr(addin_files, "MSAL_BROWSER", tmp_path / "missing.js")

    assert client.get("/addin/outlook/vendor/msal-browser.min.js").status_code == 404


@pytest.mark.parametrize("page", ["commands.html", "taskpane.html"])
def test_the_add_in_pages_have_no_inline_scripts_or_handlers(page):
    html = (addin_files.ADDIN_DIR / page).read_text(encoding="utf-8")

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []


def test_the_pages_load_office_js_then_the_script_that_registers_the_handlers():
    html = (addin_files.ADDIN_DIR / "commands.html").read_text(encoding="utf-8")

    assert html.index("appsforoffice.microsoft.com/lib/1/hosted/office.js") < html.index('src="commands.js"')
