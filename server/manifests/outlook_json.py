"""The unified manifest for Microsoft 365 of the Outlook add-in, rendered from an `outlook.OutlookAddin`.

`render(addin)` is the manifest.json dictionary: the app's base properties, the API's
`webApplicationInfo`, and one `extensions` entry with two runtimes (the event runtime:
commands.html with commands.js, whose actions are the launch-event handlers; the task
pane), the compose ribbon button and `autoRunEvents` with the Smart Alerts `sendMode`.
`localizations(addin)` are the es/ru files it names (name and description; the ribbon
texts stay English here, the add-in only manifest localises them too).

MANIFEST_VERSION is the schema version: the one Microsoft's own Smart Alerts sample uses;
tests validate against that version's schema from the pinned @microsoft/app-manifest.

Pure: builds values, writes no file.
"""

from __future__ import annotations

from typing import Any

from .outlook import MAILBOX_MIN_VERSION, TASK_PANE_BUTTON, TEXTS, OutlookAddin

MANIFEST_VERSION = "1.22"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.Localization.schema.json"
)
COLOR_ICON, OUTLINE_ICON = "color.png", "outline.png"  # files inside the app package
ACCENT_COLOR = "#1F4E79"
SHOW_TASK_PANE = "ShowTaskPane"
RIBBON_ICONS = (16, 32, 80)
LANGUAGES = ("es", "ru")
# Read the item being composed (recipients, subject, body, attachment names): the XML's ReadItem.
PERMISSION = {"name": "MailboxItem.Read.User", "type": "Delegated"}


def render(addin: OutlookAddin) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "id": addin.id,
        "version": addin.version,
        "name": {"short": TEXTS["en"]["name"], "full": TEXTS["en"]["name"]},
        "description": {"short": TEXTS["en"]["summary"], "full": TEXTS["en"]["description"]},
        "developer": _developer(addin),
        "icons": {"outline": OUTLINE_ICON, "color": COLOR_ICON},
        "accentColor": ACCENT_COLOR,
        "localizationInfo": {
            "defaultLanguageTag": "en-us",
            "additionalLanguages": [{"languageTag": lang, "file": f"{lang}.json"} for lang in LANGUAGES],
        },
        "validDomains": [addin.host],
        "authorization": {"permissions": {"resourceSpecific": [PERMISSION]}},
        "extensions": [_extension(addin)],
    }
    if addin.web_app is not None:
        manifest["webApplicationInfo"] = {"id": addin.web_app.client_id, "resource": addin.web_app.resource}
    return manifest


def localizations(addin: OutlookAddin) -> dict[str, dict[str, str]]:
    """File name -> content of each additional language file the manifest names."""
    return {
        f"{lang}.json": {
            "$schema": LOCALIZATION_SCHEMA_URL,
            "name.short": TEXTS[lang]["name"],
            "name.full": TEXTS[lang]["name"],
            "description.short": TEXTS[lang]["summary"],
            "description.full": TEXTS[lang]["description"],
        }
        for lang in LANGUAGES
    }


def _developer(addin: OutlookAddin) -> dict[str, str]:
    home = f"{addin.origin}/"
    return {"name": "LeaverGuard", "websiteUrl": home, "privacyUrl": home, "termsOfUseUrl": home}


def _mailbox() -> list[dict[str, str]]:
    return [{"name": "Mailbox", "minVersion": MAILBOX_MIN_VERSION}]


def _extension(addin: OutlookAddin) -> dict[str, Any]:
    return {
        "requirements": {"scopes": ["mail"], "capabilities": _mailbox()},
        "runtimes": [_event_runtime(addin), _task_pane_runtime(addin)],
        "ribbons": [_compose_ribbon(addin)],
        "autoRunEvents": [{"requirements": {"capabilities": _mailbox(), "scopes": ["mail"]}, "events": _events(addin)}],
    }


def _event_runtime(addin: OutlookAddin) -> dict[str, Any]:
    """The page browser-based clients load, and the bare script classic Outlook on Windows runs."""
    return {
        "requirements": {"capabilities": _mailbox()},
        "id": "EventRuntime",
        "type": "general",
        "code": {"page": addin.commands_html, "script": addin.commands_js},
        "lifetime": "short",
        "actions": [{"id": event.handler, "type": "executeFunction"} for event in addin.events],
    }


def _task_pane_runtime(addin: OutlookAddin) -> dict[str, Any]:
    return {
        "requirements": {"capabilities": _mailbox()},
        "id": "TaskPaneRuntime",
        "type": "general",
        "code": {"page": addin.taskpane_html},
        "lifetime": "short",
        "actions": [{"id": SHOW_TASK_PANE, "type": "openPage"}],
    }


def _compose_ribbon(addin: OutlookAddin) -> dict[str, Any]:
    icons = [{"size": size, "url": addin.icon(size)} for size in RIBBON_ICONS]
    button = {
        "id": TASK_PANE_BUTTON,
        "type": "button",
        "label": TEXTS["en"]["button"],
        "icons": icons,
        "supertip": {"title": TEXTS["en"]["button"], "description": TEXTS["en"]["tooltip"]},
        "actionId": SHOW_TASK_PANE,
    }
    group = {"id": "LeaverGuardGroup", "label": TEXTS["en"]["group"], "icons": icons, "controls": [button]}
    return {"contexts": ["mailCompose"], "tabs": [{"builtInTabId": "TabDefault", "groups": [group]}]}


def _events(addin: OutlookAddin) -> list[dict[str, Any]]:
    events = []
    for event in addin.events:
        entry: dict[str, Any] = {"type": event.json_type, "actionId": event.handler}
        if event.is_send:
            entry["options"] = {"sendMode": addin.send_mode_json}
        events.append(entry)
    return events
