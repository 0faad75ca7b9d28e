"""The Gmail add-on's deployment resource, as `flask --app server manifest gmail` writes it, checked as Google wants.

The JSON is parsed into Google's own `Deployment` message (google-cloud-gsuiteaddons) with unknown
fields refused, and checked against the server: every URL it names is served here.
"""

from __future__ import annotations

import json

import pytest
from google.cloud import gsuiteaddons_v1
from google.protobuf import json_format

from server.manifests import gmail, sites

BASE = "https://leaverguard.northwind.example"
MINIMAL_SCOPES = {
    "https://www.googleapis.com/auth/gmail.addons.execute",
    "https://www.googleapis.com/auth/gmail.addons.current.action.compose",
    "https://www.googleapis.com/auth/gmail.addons.current.message.metadata",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/script.locale",
}


def parsed(document: dict) -> gsuiteaddons_v1.Deployment:
    message = gsuiteaddons_v1.Deployment.pb()()
    json_format.ParseDict(document, message, ignore_unknown_fields=False)
    return gsuiteaddons_v1.Deployment.wrap(message)


def test_the_deployment_parses_into_googles_deployment_message():
    deployment = parsed(gmail.deployment(BASE))

    assert deployment.add_ons.common.name == "LeaverGuard"
    assert deployment.add_ons.gmail.compose_trigger.draft_access.name == "METADATA"
    assert deployment.add_ons.http_options.authorization_header.name == "SYSTEM_ID_TOKEN"


@pytest.mark.parametrize(
    ("path", "value"),
    [(("addOns", "gmail", "composeTriger"), {}), (("addOns", "gmail", "composeTrigger", "draftAccess"), "ALL")],
)
def test_the_protobuf_check_really_catches_a_broken_deployment(path, value):
    document = gmail.deployment(BASE)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    with pytest.raises(json_format.ParseError):
        parsed(document)


def test_the_add_on_asks_for_the_least_scopes_and_none_that_reads_or_sends_mail():
    scopes = set(gmail.deployment(BASE)["oauthScopes"])

    assert scopes == MINIMAL_SCOPES
    assert not any(s.endswith(("gmail.readonly", "gmail.send", "gmail.modify", "mail.google.com/")) for s in scopes)


def test_the_homepage_and_the_compose_action_call_endpoints_this_server_serves_to_post(app):
    deployment = gmail.deployment(BASE)["addOns"]
    called = [deployment["common"]["homepageTrigger"]["runFunction"]]
    called += [action["runFunction"] for action in deployment["gmail"]["composeTrigger"]["actions"]]
    routes = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}

    for url in called:
        assert url.startswith(BASE + "/gmail/")
        assert "POST" in routes[url.removeprefix(BASE)]
    assert set(gmail.endpoint_urls(BASE)) >= set(called)
    assert all("POST" in routes[url.removeprefix(BASE)] for url in gmail.endpoint_urls(BASE))


def test_the_logo_is_on_the_same_origin_and_served_publicly(app):
    logo = gmail.deployment(BASE)["addOns"]["common"]["logoUrl"]

    assert logo == BASE + "/addin/gmail/logo.png"
    assert app.test_client().get(logo.removeprefix(BASE)).status_code == 200


@pytest.mark.parametrize(
    ("given", "complaint"),
    [("http://lg.example", "https://"), ("https://lg.example/sub", "origin only"), ("https://", "https://")],
)
def test_a_base_url_that_cannot_host_the_add_on_is_refused_with_the_reason(given, complaint):
    with pytest.raises(sites.BadBaseUrl, match=complaint):
        gmail.deployment(given)


# --- the command ----------------------------------------------------------------------------------


GMAIL = {"GMAIL_SERVICE_ACCOUNT": "service-1@gcp-sa-gsuiteaddons.iam.gserviceaccount.com", "GMAIL_OAUTH_CLIENT_ID": "1"}


def test_the_command_writes_the_deployment_and_names_the_urls_google_calls(make_runner, tmp_path):
    out = tmp_path / "manifest"

    result = make_runner(**GMAIL).invoke(args=["manifest", "gmail", "--base-url", BASE + "/", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["gmail-deployment.json"]
    assert json.loads((out / "gmail-deployment.json").read_text(encoding="utf-8")) == gmail.deployment(BASE)
    assert f"{BASE}/gmail/actions/add-successor" in result.output and "warning" not in result.output


def test_the_command_takes_the_base_url_from_the_setting_and_warns_without_the_gmail_settings(make_runner, tmp_path):
    result = make_runner(BASE_URL=BASE).invoke(args=["manifest", "gmail", "--out", str(tmp_path / "m")])

    assert result.exit_code == 0
    assert "LEAVERGUARD_GMAIL_OAUTH_CLIENT_ID" in result.output
    document = json.loads((tmp_path / "m" / "gmail-deployment.json").read_text(encoding="utf-8"))
    assert document["addOns"]["common"]["homepageTrigger"]["runFunction"] == BASE + "/gmail/homepage"


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--base-url", "http://lg.example"], {}, "https://"),
        ([], {"BASE_URL": "http://127.0.0.1:5000"}, "LEAVERGUARD_BASE_URL (give --base-url)"),
    ],
)
def test_a_bad_base_url_stops_the_command_and_writes_nothing(make_runner, tmp_path, args, config, message):
    out = tmp_path / "manifest"

    result = make_runner(**config).invoke(args=["manifest", "gmail", *args, "--out", str(out)])

    assert (result.exit_code, "Traceback" in result.output) == (2, False)
    assert message in result.output and not out.exists()


def test_an_out_folder_that_cannot_be_written_is_a_message(make_runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")

    result = make_runner().invoke(args=["manifest", "gmail", "--base-url", BASE, "--out", str(blocker / "m")])

    assert result.exit_code == 1 and "cannot write the deployment" in result.output
