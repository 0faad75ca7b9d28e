"""The add-in only (XML) manifest of the Outlook add-in, rendered from an `outlook.OutlookAddin`.

In the order Microsoft's MailApp schema wants: the base manifest (id, names, icons, the
compose form older clients use), then VersionOverrides 1.0 wrapping VersionOverrides 1.1
(Mailbox 1.12): the event runtime (commands.html, with the JavaScript-only override
commands.js for classic Outlook on Windows), the task-pane button on the compose ribbon,
the LaunchEvents with the Smart Alerts send mode, the resources every `resid` points at,
and WebApplicationInfo for single sign-on.

Namespace declarations are written as Microsoft's samples write them (a default namespace
per VersionOverrides level), so the text is what admins expect to read.

Pure: builds text, writes no file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .outlook import MAILBOX_MIN_VERSION, TASK_PANE_BUTTON, TEXTS, XML_LOCALES, OutlookAddin

NS_APP = "http://schemas.microsoft.com/office/appforoffice/1.1"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_BT = "http://schemas.microsoft.com/office/officeappbasictypes/1.0"
NS_MAILAPPOR = "http://schemas.microsoft.com/office/mailappversionoverrides/1.0"
NS_OVERRIDES_1_0 = "http://schemas.microsoft.com/office/mailappversionoverrides"
NS_OVERRIDES_1_1 = "http://schemas.microsoft.com/office/mailappversionoverrides/1.1"
RIBBON_ICONS = (16, 32, 80)  # what Outlook asks of a ribbon button
ROOT_ATTRIBUTES = {
    "xmlns": NS_APP,
    "xmlns:xsi": NS_XSI,
    "xmlns:bt": NS_BT,
    "xmlns:mailappor": NS_MAILAPPOR,
    "xsi:type": "MailApp",
}


def el(tag: str, attrs: dict[str, str] | None = None, *children: ET.Element, text: str | None = None) -> ET.Element:
    element = ET.Element(tag, attrs or {})
    element.extend(children)
    element.text = text
    return element


def render(addin: OutlookAddin) -> str:
    root = el("OfficeApp", ROOT_ATTRIBUTES, *_base(addin), _version_overrides(addin))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _base(addin: OutlookAddin) -> list[ET.Element]:
    """The part every Outlook reads; compose-only, so the one form is the compose (ItemEdit) form."""
    return [
        el("Id", text=addin.id),
        el("Version", text=f"{addin.version}.0"),
        el("ProviderName", text="LeaverGuard"),
        el("DefaultLocale", text="en-US"),
        el("DisplayName", {"DefaultValue": TEXTS["en"]["name"]}),
        _localised("Description", "description"),
        el("IconUrl", {"DefaultValue": addin.icon(64)}),
        el("HighResolutionIconUrl", {"DefaultValue": addin.icon(128)}),
        el("SupportUrl", {"DefaultValue": f"{addin.origin}/"}),
        el("Hosts", None, el("Host", {"Name": "Mailbox"})),
        el("Requirements", None, el("Sets", None, el("Set", {"Name": "Mailbox", "MinVersion": "1.1"}))),
        el("FormSettings", None, _compose_form(addin)),
        el("Permissions", text="ReadItem"),
        el("Rule", {"xsi:type": "ItemIs", "ItemType": "Message", "FormType": "Edit"}),
    ]


def _localised(tag: str, key: str, override: str = "Override", resid: str | None = None) -> ET.Element:
    """An element with an English DefaultValue and an Override for each other language that says it differently."""
    overrides = [
        el(override, {"Locale": XML_LOCALES[lang], "Value": TEXTS[lang][key]})
        for lang in XML_LOCALES
        if TEXTS[lang][key] != TEXTS["en"][key]
    ]
    attrs = {"id": resid} if resid else {}
    return el(tag, attrs | {"DefaultValue": TEXTS["en"][key]}, *overrides)


def _compose_form(addin: OutlookAddin) -> ET.Element:
    settings = el("DesktopSettings", None, el("SourceLocation", {"DefaultValue": addin.taskpane_html}))
    return el("Form", {"xsi:type": "ItemEdit"}, settings)


def _version_overrides(addin: OutlookAddin) -> ET.Element:
    requirements = el("Requirements", None, _mailbox_sets())
    hosts = el("Hosts", None, el("Host", {"xsi:type": "MailHost"}, _runtimes(), _desktop(addin)))
    inner = [requirements, hosts, _resources(addin)]
    if addin.web_app is not None:
        inner.append(_web_application_info(addin))  # must be the last child
    v1_1 = el("VersionOverrides", {"xmlns": NS_OVERRIDES_1_1, "xsi:type": "VersionOverridesV1_1"}, *inner)
    return el("VersionOverrides", {"xmlns": NS_OVERRIDES_1_0, "xsi:type": "VersionOverridesV1_0"}, v1_1)


def _mailbox_sets() -> ET.Element:
    return el("bt:Sets", {"DefaultMinVersion": MAILBOX_MIN_VERSION}, el("bt:Set", {"Name": "Mailbox"}))


def _runtimes() -> ET.Element:
    """One event runtime: the HTML page for browser-based clients, the bare script for classic Windows."""
    override = el("Override", {"type": "javascript", "resid": "Commands.Js"})
    return el("Runtimes", None, el("Runtime", {"resid": "Commands.Html"}, override))


def _desktop(addin: OutlookAddin) -> ET.Element:
    return el("DesktopFormFactor", None, _compose_ribbon(), _launch_events(addin))


def _compose_ribbon() -> ET.Element:
    icons = [el("bt:Image", {"size": str(size), "resid": f"Icon.{size}"}) for size in RIBBON_ICONS]
    button = el(
        "Control",
        {"xsi:type": "Button", "id": TASK_PANE_BUTTON},
        el("Label", {"resid": "TaskPane.Label"}),
        el("Supertip", None, el("Title", {"resid": "TaskPane.Label"}), el("Description", {"resid": "TaskPane.Tip"})),
        el("Icon", None, *icons),
        el("Action", {"xsi:type": "ShowTaskpane"}, el("SourceLocation", {"resid": "Taskpane.Url"})),
    )
    group = el("Group", {"id": "LeaverGuard.Group"}, el("Label", {"resid": "Group.Label"}), button)
    tab = el("OfficeTab", {"id": "TabDefault"}, group)
    return el("ExtensionPoint", {"xsi:type": "MessageComposeCommandSurface"}, tab)


def _launch_events(addin: OutlookAddin) -> ET.Element:
    events = []
    for event in addin.events:
        attrs = {"Type": event.xml_type, "FunctionName": event.handler}
        if event.is_send:
            attrs["SendMode"] = addin.send_mode_xml
        events.append(el("LaunchEvent", attrs))
    source = el("SourceLocation", {"resid": "Commands.Html"})
    return el("ExtensionPoint", {"xsi:type": "LaunchEvent"}, el("LaunchEvents", None, *events), source)


def _resources(addin: OutlookAddin) -> ET.Element:
    images = [el("bt:Image", {"id": f"Icon.{size}", "DefaultValue": addin.icon(size)}) for size in RIBBON_ICONS]
    urls = {"Commands.Html": addin.commands_html, "Commands.Js": addin.commands_js, "Taskpane.Url": addin.taskpane_html}
    return el(
        "Resources",
        None,
        el("bt:Images", None, *images),
        el("bt:Urls", None, *(el("bt:Url", {"id": key, "DefaultValue": url}) for key, url in urls.items())),
        el("bt:ShortStrings", None, _string("Group.Label", "group"), _string("TaskPane.Label", "button")),
        el("bt:LongStrings", None, _string("TaskPane.Tip", "tooltip")),
    )


def _string(resid: str, key: str) -> ET.Element:
    return _localised("bt:String", key, override="bt:Override", resid=resid)


def _web_application_info(addin: OutlookAddin) -> ET.Element:
    """The API's Entra ID registration; openid and profile are what a sign-in token for our API needs."""
    assert addin.web_app is not None
    scopes = el("Scopes", None, el("Scope", text="openid"), el("Scope", text="profile"))
    return el(
        "WebApplicationInfo",
        None,
        el("Id", text=addin.web_app.client_id),
        el("Resource", text=addin.web_app.resource),
        scopes,
    )
