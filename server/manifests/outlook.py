"""The Outlook add-in, described once: ids, URLs, launch events and handlers, the task-pane button, texts, SSO.

`describe()` builds an `OutlookAddin`; outlook_xml renders the add-in only XML manifest
from it, outlook_json the unified manifest for Microsoft 365, and the app's well-known
file lists its `allowed_scripts` — so the three cannot disagree about an event, a
handler name or a URL. The handler names and the button id are the contract with the
add-in script (addin/outlook/commands.js).

Pure: no Flask, no network, no files.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import sites

VERSION = "1.0.0"  # bump when the manifest changes, so Outlook clients pick the new one up
MAILBOX_MIN_VERSION = "1.12"  # Smart Alerts (OnMessageSend); 1.14 extras are feature-detected by the script
TASK_PANE_BUTTON = "LeaverGuardTaskPane"  # event.completed({commandId}) opens the pane through this control
ADDIN_PATH = "/addin/outlook/"
ICON_SIZES = (16, 32, 64, 80, 128)


@dataclass(frozen=True, slots=True)
class LaunchEvent:
    xml_type: str  # add-in only manifest: <LaunchEvent Type=…>
    json_type: str  # unified manifest: autoRunEvents[].events[].type
    handler: str  # Office.actions.associate name in commands.js
    is_send: bool = False  # carries the send mode


EVENTS = (
    LaunchEvent("OnNewMessageCompose", "newMessageComposeCreated", "onNewMessageComposeHandler"),
    LaunchEvent("OnMessageRecipientsChanged", "messageRecipientsChanged", "onMessageRecipientsChangedHandler"),
    LaunchEvent("OnMessageSend", "messageSending", "onMessageSendHandler", is_send=True),
)

# LEAVERGUARD_ADDIN_FAIL_MODE -> Smart Alerts send mode (XML name, unified manifest name). Both let the
# add-in block a send; they differ when the add-in itself cannot run: SoftBlock lets the user send
# anyway, Block holds the message until the add-in is available again.
SEND_MODES = {"open": ("SoftBlock", "softBlock"), "closed": ("Block", "block")}

# Texts Outlook shows before any code runs (the add-in's own texts come from the server).
TEXTS = {
    "en": {
        "name": "LeaverGuard",
        "summary": "Checks a departing employee's mail to clients before it is sent.",
        "description": "Checks a departing employee's mail to clients before it is sent and explains "
        "what is needed: a warning, HR sign-off, or a hold.",
        "group": "LeaverGuard",
        "button": "HR sign-off",
        "tooltip": "Shows what LeaverGuard found in this message and lets you ask HR to sign it off.",
    },
    "es": {
        "name": "LeaverGuard",
        "summary": "Revisa el correo a clientes de quien deja la empresa antes del envío.",
        "description": "Revisa el correo a clientes de un empleado que deja la empresa antes de enviarlo "
        "y explica qué hace falta: un aviso, la aprobación de RR. HH. o la retención.",
        "group": "LeaverGuard",
        "button": "Aprobación de RR. HH.",
        "tooltip": "Muestra lo que LeaverGuard encontró en este mensaje y permite pedir la aprobación de RR. HH.",
    },
    "ru": {
        "name": "LeaverGuard",
        "summary": "Проверяет письма клиентам от увольняющегося сотрудника до отправки.",
        "description": "Проверяет письма увольняющегося сотрудника клиентам до отправки и объясняет, "
        "что нужно: предупреждение, согласование HR или задержка письма.",
        "group": "LeaverGuard",
        "button": "Согласование HR",
        "tooltip": "Показывает, что LeaverGuard нашёл в этом письме, и позволяет запросить согласование HR.",
    },
}
XML_LOCALES = {"es": "es-ES", "ru": "ru-RU"}  # <Override Locale=…> of the add-in only manifest


@dataclass(frozen=True, slots=True)
class WebApp:
    """The API's Entra ID registration, for SSO / nested app authentication."""

    client_id: str
    resource: str  # the Application ID URI


@dataclass(frozen=True, slots=True)
class OutlookAddin:
    id: str
    origin: str  # https://host[:port], no trailing slash
    fail_mode: str  # "open" or "closed"
    web_app: WebApp | None
    version: str = VERSION
    events: tuple[LaunchEvent, ...] = EVENTS

    def url(self, path: str) -> str:
        return f"{self.origin}{ADDIN_PATH}{path}"

    @property
    def commands_html(self) -> str:
        """The event runtime of Outlook on the web, new Outlook, Mac: a page that loads commands.js."""
        return self.url("commands.html")

    @property
    def commands_js(self) -> str:
        """The JavaScript-only runtime of classic Outlook on Windows."""
        return self.url("commands.js")

    @property
    def taskpane_html(self) -> str:
        return self.url("taskpane.html")

    def icon(self, size: int) -> str:
        return self.url(f"assets/icon-{size}.png")

    @property
    def send_mode_xml(self) -> str:
        return SEND_MODES[self.fail_mode][0]

    @property
    def send_mode_json(self) -> str:
        return SEND_MODES[self.fail_mode][1]

    @property
    def allowed_scripts(self) -> list[str]:
        return allowed_scripts(self.origin)

    @property
    def host(self) -> str:
        return urlsplit(self.origin).netloc


def allowed_scripts(site_origin: str) -> list[str]:
    """What /.well-known/microsoft-officeaddins-allowed.json at `site_origin` lists: the JS runtime's script."""
    return [f"{site_origin}{ADDIN_PATH}commands.js"]


def describe(base_url: str, *, fail_mode: str = "open", web_app: WebApp | None = None) -> OutlookAddin:
    """The add-in served from `base_url`; its id is derived from the origin, so it is stable per deployment."""
    if fail_mode not in SEND_MODES:
        raise ValueError(f"fail mode must be open or closed, not {fail_mode!r}")
    site = origin(base_url)
    return OutlookAddin(str(uuid.uuid5(uuid.NAMESPACE_URL, site + ADDIN_PATH)), site, fail_mode, web_app)


def origin(base_url: str) -> str:
    """`https://host[:port]` from a base URL, or sites.BadBaseUrl saying what is wrong with it."""
    return sites.origin(
        base_url,
        https_because="Outlook loads add-ins only over HTTPS",
        origin_because=f"the add-in is served under {ADDIN_PATH} and /.well-known/ must be at the root of that origin",
    )
