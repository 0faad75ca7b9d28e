"""The Outlook add-in's manifests, as `flask --app server manifest outlook` writes them, checked as Microsoft wants.

The unified JSON manifest (and its language files) are validated with jsonschema against
the schema files of the pinned npm package @microsoft/app-manifest, fully offline; the
add-in only XML manifest is checked structurally (namespaces, element order, every
`resid` defined, text limits) and against the JSON: the same events, handler names, URLs,
send mode, task-pane button and Entra ID application. Both are checked against the add-in
script's handler names and icons. Without node_modules (run `npm ci`) the schema tests
skip, except in CI, where that is a failure.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from server import create_app, db
from server.manifests import outlook, outlook_json, outlook_xml, package, sites

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
ADDIN = ROOT / "addin" / "outlook"
BASE = "https://leaverguard.northwind.example"
CLIENT_ID = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
WEB_APP = outlook.WebApp(CLIENT_ID, f"api://leaverguard.northwind.example/{CLIENT_ID}")

NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "v10": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "v11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
# Microsoft's names for the same event in the two manifest formats (from the event-based activation docs).
XML_TO_JSON_EVENT = {
    "OnNewMessageCompose": "newMessageComposeCreated",
    "OnMessageRecipientsChanged": "messageRecipientsChanged",
    "OnMessageSend": "messageSending",
}
XML_TO_JSON_SEND_MODE = {"PromptUser": "promptUser", "SoftBlock": "softBlock", "Block": "block"}


def addin(fail_mode: str = "open", web_app: outlook.WebApp | None = WEB_APP) -> outlook.OutlookAddin:
    return outlook.describe(BASE, fail_mode=fail_mode, web_app=web_app)


def xml_of(described: outlook.OutlookAddin) -> ET.Element:
    return ET.fromstring(outlook_xml.render(described).encode("utf-8"))


# --- the base URL -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://leaverguard.northwind.example", "https://leaverguard.northwind.example"),
        ("https://LeaverGuard.Northwind.example/", "https://leaverguard.northwind.example"),
        ("  https://lg.example:8443  ", "https://lg.example:8443"),
    ],
)
def test_a_base_url_becomes_the_origin_the_add_in_is_served_from(given, origin):
    assert outlook.origin(given) == origin


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("http://lg.example", "must start with https://"),
        ("lg.example", "must start with https://"),
        ("", "must start with https://"),
        ("ftp://lg.example", "must start with https://"),
        ("https://", "must name a host"),
        ("https://user:pw@lg.example", "no user name or password"),
        ("https://lg.example/leaverguard", "origin only"),
        ("https://lg.example/addin/outlook/", "origin only"),
        ("https://lg.example?x=1", "origin only"),
        ("https://lg.example#top", "origin only"),
        ("https://lg.example:port", "is not a URL"),
    ],
)
def test_a_base_url_that_cannot_host_the_add_in_is_refused_with_the_reason(given, complaint):
    with pytest.raises(sites.BadBaseUrl, match=re.escape(complaint)):
        outlook.origin(given)


def test_the_add_in_id_is_stable_per_origin_and_differs_between_deployments():
    assert outlook.describe(BASE).id == outlook.describe(BASE + "/").id
    assert outlook.describe(BASE).id != outlook.describe("https://staging.northwind.example").id


# --- the unified manifest against Microsoft's schema ---------------------------------------------------


def schema_file(name: str) -> Path:
    """A schema of the pinned @microsoft/app-manifest for MANIFEST_VERSION; skip (fail in CI) without node_modules."""
    path = SCHEMAS / f"v{outlook_json.MANIFEST_VERSION}" / name
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: `make test` runs `npm ci`, which must have installed it")
        pytest.skip("Microsoft's manifest schema is not installed (run `npm ci`)")
    return path


def validator(name: str) -> Draft4Validator:
    """A draft-4 validator for one of the package's schema files, whose $refs can only resolve locally."""
    schema = json.loads(schema_file(name).read_text(encoding="utf-8-sig"))

    def no_network(uri: str):
        raise LookupError(f"the schema refers to {uri}, which is not in the local package")

    url = f"https://developer.microsoft.com/json-schemas/teams/v{outlook_json.MANIFEST_VERSION}/{name}"
    registry = Registry(retrieve=no_network).with_resource(url, Resource.from_contents(schema, DRAFT4))
    return Draft4Validator(schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def schema_errors(validator_: Draft4Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator_.iter_errors(document)]


@pytest.mark.parametrize("fail_mode", ["open", "closed"])
@pytest.mark.parametrize("web_app", [WEB_APP, None], ids=["with Entra ID", "without Entra ID"])
def test_the_unified_manifest_is_valid_against_microsofts_schema(fail_mode, web_app):
    manifest = outlook_json.render(addin(fail_mode, web_app))

    assert schema_errors(validator("MicrosoftTeams.schema.json"), manifest) == []


def test_the_manifest_names_the_schema_it_is_validated_against():
    manifest = outlook_json.render(addin())
    version = manifest["manifestVersion"]

    assert (
        manifest["$schema"]
        == f"https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    )
    schema = json.loads(schema_file("MicrosoftTeams.schema.json").read_text(encoding="utf-8-sig"))
    accepted = schema["properties"]["manifestVersion"]
    assert version == accepted.get("const", version) and version in accepted.get("enum", [version])


def test_the_language_files_are_valid_against_microsofts_localization_schema():
    check = validator("MicrosoftTeams.Localization.schema.json")
    files = outlook_json.localizations(addin())

    assert {name: schema_errors(check, doc) for name, doc in files.items()} == {"es.json": [], "ru.json": []}
    named = [entry["file"] for entry in outlook_json.render(addin())["localizationInfo"]["additionalLanguages"]]
    assert named == list(files)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("extensions", 0, "autoRunEvents", 0, "events", 2, "options", "sendMode"), "hardBlock"),
        (("extensions", 0, "runtimes", 0, "code", "page"), "commands.html"),
        (("extensions", 0, "runtimes", 0, "actions", 0, "type"), "runFunction"),
        (("id",), "not-a-guid"),
        (("sendMode",), "block"),
    ],
)
def test_the_schema_check_really_catches_a_broken_manifest(path, value):
    manifest = outlook_json.render(addin())
    target = manifest
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value

    assert schema_errors(validator("MicrosoftTeams.schema.json"), manifest) != []


# --- the add-in only XML manifest, structurally -----------------------------------------------------------


def test_the_xml_manifest_is_a_mail_app_with_version_overrides_1_0_wrapping_1_1():
    root = xml_of(addin())

    assert root.tag == f"{{{NS['o']}}}OfficeApp" and root.get(XSI_TYPE) == "MailApp"
    outer = root.find("v10:VersionOverrides", NS)
    inner = outer.find("v11:VersionOverrides", NS)
    assert (outer.get(XSI_TYPE), inner.get(XSI_TYPE)) == ("VersionOverridesV1_0", "VersionOverridesV1_1")
    assert inner.find("v11:Requirements/bt:Sets", NS).get("DefaultMinVersion") == "1.12"
    assert inner.find("v11:Requirements/bt:Sets/bt:Set", NS).get("Name") == "Mailbox"


def test_the_base_manifest_elements_come_in_the_schemas_order():
    names = [child.tag.split("}")[1] for child in xml_of(addin())]

    assert names == [
        "Id", "Version", "ProviderName", "DefaultLocale", "DisplayName", "Description", "IconUrl",
        "HighResolutionIconUrl", "SupportUrl", "Hosts", "Requirements", "FormSettings", "Permissions", "Rule",
        "VersionOverrides",
    ]  # fmt: skip


def test_web_application_info_is_the_last_child_of_version_overrides_1_1():
    inner = xml_of(addin()).find("v10:VersionOverrides/v11:VersionOverrides", NS)

    assert [child.tag.split("}")[1] for child in inner] == ["Requirements", "Hosts", "Resources", "WebApplicationInfo"]
    info = inner.find("v11:WebApplicationInfo", NS)
    assert info.findtext("v11:Id", namespaces=NS) == CLIENT_ID
    assert info.findtext("v11:Resource", namespaces=NS) == WEB_APP.resource
    assert [s.text for s in info.findall("v11:Scopes/v11:Scope", NS)] == ["openid", "profile"]


def test_every_resid_is_defined_once_and_every_resource_is_used():
    root = xml_of(addin())
    resources = root.find("v10:VersionOverrides/v11:VersionOverrides/v11:Resources", NS)
    defined = [element.get("id") for element in resources.iter() if element.get("id")]
    used = {element.get("resid") for element in root.iter() if element.get("resid")}

    assert len(defined) == len(set(defined))
    assert used == set(defined)
    assert all(len(resid) <= 32 for resid in used)  # the schema's limit on a resource id
    assert "Icon.16" in defined  # commands.js names it as the banner's icon


def test_the_xml_texts_stay_within_microsofts_length_limits():
    root = xml_of(addin())
    resources = root.find("v10:VersionOverrides/v11:VersionOverrides/v11:Resources", NS)

    def texts(element):
        return [element.get("DefaultValue")] + [o.get("Value") for o in element]

    for short in resources.findall("bt:ShortStrings/bt:String", NS):
        assert all(len(text) <= 125 for text in texts(short))
    for long in resources.findall("bt:LongStrings/bt:String", NS):
        assert all(len(text) <= 250 for text in texts(long))
    assert all(len(text) <= 250 for text in texts(root.find("o:Description", NS)))
    assert {o.get("Locale") for o in root.find("o:Description", NS)} == {"es-ES", "ru-RU"}


# --- the two manifests agree ------------------------------------------------------------------------------


def xml_urls(root: ET.Element) -> dict[str, str]:
    resources = root.find("v10:VersionOverrides/v11:VersionOverrides/v11:Resources", NS)
    return {element.get("id"): element.get("DefaultValue") for element in resources.iter() if element.get("id")}


def xml_launch_events(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//v11:LaunchEvents/v11:LaunchEvent", NS)


@pytest.mark.parametrize(("fail_mode", "xml_mode"), [("open", "SoftBlock"), ("closed", "Block")])
def test_both_manifests_have_the_same_events_handlers_and_send_mode(fail_mode, xml_mode):
    described = addin(fail_mode)
    root, manifest = xml_of(described), outlook_json.render(described)
    extension = manifest["extensions"][0]

    xml_events = {(e.get("Type"), e.get("FunctionName"), e.get("SendMode")) for e in xml_launch_events(root)}
    (auto_run,) = extension["autoRunEvents"]
    json_events = {(e["type"], e["actionId"], e.get("options", {}).get("sendMode")) for e in auto_run["events"]}
    assert {(XML_TO_JSON_EVENT[t], h, XML_TO_JSON_SEND_MODE.get(m)) for t, h, m in xml_events} == json_events
    assert json_events == {
        ("newMessageComposeCreated", "onNewMessageComposeHandler", None),
        ("messageRecipientsChanged", "onMessageRecipientsChangedHandler", None),
        ("messageSending", "onMessageSendHandler", XML_TO_JSON_SEND_MODE[xml_mode]),
    }
    (event_runtime,) = [r for r in extension["runtimes"] if r["code"].get("script")]
    assert {a["id"] for a in event_runtime["actions"]} == {h for _, h, _ in json_events}


def test_both_manifests_load_the_same_event_runtime_page_and_script():
    described = addin()
    root, manifest = xml_of(described), outlook_json.render(described)
    urls = xml_urls(root)
    runtime = root.find(".//v11:Runtimes/v11:Runtime", NS)

    (event_runtime,) = [r for r in manifest["extensions"][0]["runtimes"] if r["code"].get("script")]
    assert urls[runtime.get("resid")] == event_runtime["code"]["page"] == f"{BASE}/addin/outlook/commands.html"
    override = runtime.find("v11:Override", NS)
    assert override.get("type") == "javascript"
    assert urls[override.get("resid")] == event_runtime["code"]["script"] == f"{BASE}/addin/outlook/commands.js"
    launch_point = root.find(".//v11:ExtensionPoint[v11:LaunchEvents]/v11:SourceLocation", NS)
    assert launch_point.get("resid") == runtime.get("resid")


def test_both_manifests_open_the_same_task_pane_from_the_same_button():
    described = addin()
    root, manifest = xml_of(described), outlook_json.render(described)
    control = root.find(".//v11:OfficeTab/v11:Group/v11:Control", NS)

    assert control.get("id") == "LeaverGuardTaskPane"
    pane_url = xml_urls(root)[control.find("v11:Action/v11:SourceLocation", NS).get("resid")]
    extension = manifest["extensions"][0]
    (button,) = extension["ribbons"][0]["tabs"][0]["groups"][0]["controls"]
    (pane_runtime,) = [r for r in extension["runtimes"] if any(a["id"] == button["actionId"] for a in r["actions"])]
    assert button["id"] == control.get("id")
    assert pane_runtime["code"]["page"] == pane_url == f"{BASE}/addin/outlook/taskpane.html"
    assert extension["ribbons"][0]["contexts"] == ["mailCompose"]


def test_both_manifests_use_the_same_ribbon_icons():
    described = addin()
    root, manifest = xml_of(described), outlook_json.render(described)
    urls = xml_urls(root)
    xml_icons = {int(i.get("size")): urls[i.get("resid")] for i in root.findall(".//v11:Control/v11:Icon/bt:Image", NS)}

    (button,) = manifest["extensions"][0]["ribbons"][0]["tabs"][0]["groups"][0]["controls"]
    assert xml_icons == {icon["size"]: icon["url"] for icon in button["icons"]}


def test_both_manifests_name_the_same_entra_id_application_or_none():
    for web_app in (WEB_APP, None):
        described = addin(web_app=web_app)
        info = xml_of(described).find(".//v11:WebApplicationInfo", NS)
        manifest = outlook_json.render(described)
        if web_app is None:
            assert info is None and "webApplicationInfo" not in manifest
        else:
            assert manifest["webApplicationInfo"] == {
                "id": info.findtext("v11:Id", namespaces=NS),
                "resource": info.findtext("v11:Resource", namespaces=NS),
            }


def test_every_url_in_either_manifest_is_on_the_add_ins_own_origin():
    described = addin()
    text = outlook_xml.render(described) + json.dumps(outlook_json.render(described))
    urls = set(re.findall(r"https?://[^\"'<\s]+", text))
    own = {u for u in urls if u.startswith(BASE + "/")}
    schema_urls = {u for u in urls if u.startswith(("http://schemas.microsoft.com/", "http://www.w3.org/"))}
    schema_urls |= {u for u in urls if u.startswith("https://developer.microsoft.com/json-schemas/")}

    assert urls - own - schema_urls == set()


# --- the add-in's own files ---------------------------------------------------------------------------------


def test_every_handler_the_manifests_name_is_associated_in_the_add_in_script():
    script = (ADDIN / "commands.js").read_text(encoding="utf-8")
    associated = set(re.findall(r"Office\.actions\.associate\(\s*[\"'](\w+)[\"']", script))

    assert {event.handler for event in outlook.EVENTS} == associated


def test_every_icon_the_manifests_name_is_a_png_of_that_size():
    for size in outlook.ICON_SIZES:
        data = (ADDIN / "assets" / f"icon-{size}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (size, size)


def test_the_app_package_icons_are_the_sizes_microsoft_asks_for():
    files = package.outlook_files(addin())

    assert struct.unpack(">II", files["color.png"][16:24]) == (192, 192)
    assert struct.unpack(">II", files["outline.png"][16:24]) == (32, 32)


# --- the command --------------------------------------------------------------------------------------------


ENTRA = {"ENTRA_CLIENT_ID": CLIENT_ID, "ENTRA_TENANTS": "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b"}


def test_the_command_writes_both_manifests_and_the_app_package(make_runner, tmp_path):
    out = tmp_path / "manifest"

    result = make_runner(**ENTRA, ADDIN_FAIL_MODE="closed").invoke(
        args=["manifest", "outlook", "--base-url", BASE, "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "color.png", "es.json", "leaverguard-outlook.zip", "manifest.json", "manifest.xml", "outline.png", "ru.json",
    ]  # fmt: skip
    assert "send mode Block" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["webApplicationInfo"]["resource"] == f"api://{CLIENT_ID}"
    send = ET.fromstring((out / "manifest.xml").read_bytes()).find(".//v11:LaunchEvent[@Type='OnMessageSend']", NS)
    assert send.get("SendMode") == "Block"
    with zipfile.ZipFile(io.BytesIO((out / "leaverguard-outlook.zip").read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["color.png", "es.json", "manifest.json", "outline.png", "ru.json"]
        assert json.loads(archive.read("manifest.json")) == manifest


def test_the_command_output_is_the_same_every_time(make_runner, tmp_path):
    runner = make_runner(**ENTRA)
    for name in ("a", "b"):
        result = runner.invoke(args=["manifest", "outlook", "--base-url", BASE, "--out", str(tmp_path / name)])
        assert result.exit_code == 0

    assert all((tmp_path / "a" / f.name).read_bytes() == f.read_bytes() for f in (tmp_path / "b").iterdir())


def test_the_command_takes_the_base_url_from_the_setting_when_not_given(make_runner, tmp_path):
    result = make_runner(**ENTRA, BASE_URL=BASE).invoke(args=["manifest", "outlook", "--out", str(tmp_path / "m")])

    assert result.exit_code == 0, result.output
    assert f"{BASE}/addin/outlook/commands.js" in (tmp_path / "m" / "manifest.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--base-url", "http://lg.example"], {}, "must start with https://"),
        (["--base-url", "https://lg.example/sub"], {}, "origin only"),
        ([], {"BASE_URL": "http://127.0.0.1:5000"}, "LEAVERGUARD_BASE_URL (give --base-url)"),
        ([], {"BASE_URL": ""}, "give --base-url"),
    ],
)
def test_a_bad_base_url_stops_the_command_with_a_message_and_writes_nothing(
    make_runner, tmp_path, args, config, message
):
    out = tmp_path / "manifest"

    result = make_runner(**ENTRA, **config).invoke(args=["manifest", "outlook", *args, "--out", str(out)])

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_without_entra_id_the_command_warns_that_the_add_in_cannot_get_tokens(make_runner, tmp_path):
    result = make_runner().invoke(args=["manifest", "outlook", "--base-url", BASE, "--out", str(tmp_path / "m")])

    assert result.exit_code == 0
    assert "no webApplicationInfo" in result.output
    assert "webApplicationInfo" not in (tmp_path / "m" / "manifest.json").read_text(encoding="utf-8")


def test_an_out_folder_that_cannot_be_written_is_a_message_not_a_traceback(make_runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")

    result = make_runner(**ENTRA).invoke(args=["manifest", "outlook", "--base-url", BASE, "--out", str(blocker / "m")])

    assert result.exit_code == 1
    assert "cannot write the manifests" in result.output and "Traceback" not in result.output


def test_a_manifest_is_never_left_half_written(tmp_path, monkeypatch):
    files = package.outlook_files(addin())
    (tmp_path / "manifest.xml").write_text("the previous manifest")

    def full_disk(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(OSError):
        package.write(files, tmp_path)

    assert (tmp_path / "manifest.xml").read_text() == "the previous manifest"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.xml"]


# --- the well-known file --------------------------------------------------------------------------------------


def test_the_well_known_file_allows_the_add_in_script_at_the_requested_origin_in_development(client):
    response = client.get("/.well-known/microsoft-officeaddins-allowed.json", base_url="https://lg.example:8443")

    assert response.status_code == 200
    assert response.get_json() == {"allowed": ["https://lg.example:8443/addin/outlook/commands.js"]}


def test_the_well_known_file_names_the_base_urls_script_in_production_as_the_manifests_do(database_url, tmp_path):
    app = create_app(
        {
            "ENV": "production",
            "TESTING": True,
            "SECRET_KEY": "x" * 40,
            "BASE_URL": BASE,
            "DATABASE_URL": database_url,
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "smtp.lg.example",
            "MAIL_FROM": "leaverguard@lg.example",
        }
        | ENTRA
    )
    try:
        response = app.test_client().get("/.well-known/microsoft-officeaddins-allowed.json", base_url="http://10.0.0.5")
    finally:
        db.dispose(app)

    assert response.get_json() == {"allowed": outlook.describe(BASE).allowed_scripts}
    assert response.get_json()["allowed"] == [f"{BASE}/addin/outlook/commands.js"]
    assert "max-age" in response.headers["Cache-Control"]


@pytest.mark.parametrize("raw", ["block", "soft", "yes", "opened"])
def test_an_unknown_fail_mode_stops_the_start_with_a_message(raw):
    from server import config

    with pytest.raises(SystemExit) as stopped:
        config.load({"LEAVERGUARD_ADDIN_FAIL_MODE": raw})

    assert f"LEAVERGUARD_ADDIN_FAIL_MODE={raw!r} is not valid" in str(stopped.value.code)
    assert "`open` or `closed`" in str(stopped.value.code)
