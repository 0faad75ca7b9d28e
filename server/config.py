"""Configuration: every setting LeaverGuard reads from the environment, with its default.

`load(environ)` returns a dict for `app.config`; `check(config)` lists what stops
a production start. Read inside create_app, never at import time. Each entry
here has a row in the README's configuration table.

Must not import Flask.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .model import InvalidAddress, normalise_address

PREFIX = "LEAVERGUARD_"


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


class SettingError(ValueError):
    """A parser's own explanation of what is wrong with a value (shown in the start-up error)."""


def _addresses(raw: str) -> tuple[str, ...]:
    """A comma-separated list of e-mail addresses, normalised; ValueError names a bad one."""
    found = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            found.append(normalise_address(part).email)
        except InvalidAddress as exc:
            raise SettingError(f"{part!r}: {exc.reason}") from None
    return tuple(dict.fromkeys(found))


def _single_address(raw: str) -> str:
    """One e-mail address, normalised (lowercased); SettingError says what is wrong with it."""
    try:
        return normalise_address(raw).email
    except InvalidAddress as exc:
        raise SettingError(exc.reason) from None


def _routes(raw: str) -> dict[str, tuple[str, ...]]:
    """`Account name=a@x,b@x; Other account=c@x` -> {account name: approver addresses}."""
    routes = {}
    for rule in filter(None, (r.strip() for r in raw.split(";"))):
        account, equals, people = rule.partition("=")
        if not equals or not account.strip() or not _addresses(people):
            raise SettingError(f"{rule!r} is not `account name=address,address`")
        routes[account.strip()] = _addresses(people)
    return routes


def _locale(raw: str) -> str:
    if raw not in ("en", "es", "ru"):
        raise ValueError(raw)
    return raw


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


# --- Entra ID and the Outlook add-in (issue 3) ---------------------------------------

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?")


def guid(raw: str) -> str:
    """An Entra ID object id (a GUID), lowercased."""
    value = raw.strip().lower()
    if not _GUID.fullmatch(value):
        raise SettingError(f"{raw.strip()!r} is not a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47")
    return value


def guids(raw: str) -> tuple[str, ...]:
    """Comma-separated GUIDs; tenant names such as `common` or a domain are refused (a tenant id is needed)."""
    values = tuple(dict.fromkeys(guid(part) for part in raw.split(",") if part.strip()))
    if not values:
        raise SettingError("no tenant id given")
    return values


def host_name(raw: str) -> str:
    """A DNS host name without scheme, port or path, lowercased (e.g. login.microsoftonline.us)."""
    value = raw.strip().lower()
    if not _HOST.fullmatch(value):
        raise SettingError(f"{raw.strip()!r} is not a bare host name (no https://, port or path)")
    return value


def app_id_uri(raw: str) -> str:
    """An Entra Application ID URI: `api://…` or `https://…`, no spaces, no trailing slash."""
    value = raw.strip()
    if not value.startswith(("api://", "https://")) or value.endswith("/") or any(c.isspace() for c in value):
        raise SettingError(f"{value!r} is not an Application ID URI such as api://lg.example.com/<client id>")
    return value


def fail_mode(raw: str) -> str:
    if raw.strip().lower() not in ("open", "closed"):
        raise ValueError(raw)
    return raw.strip().lower()


def web_origin(raw: str) -> str:
    """`scheme://host[:port]` as a browser sends it in `Origin`: lowercased, default port dropped, no path."""
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SettingError(f"{text!r} is not an origin such as https://outlook.example.com") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise SettingError(f"{text!r} is not an origin such as https://outlook.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingError(f"{text!r} has a path; an origin is only scheme://host[:port]")
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default else "")


def web_origins(raw: str) -> tuple[str, ...]:
    """Comma-separated origins (`https://a.example, https://b.example:8443`)."""
    return tuple(dict.fromkeys(web_origin(part) for part in raw.split(",") if part.strip()))


# --- sources of truth: syncs and their credentials (issue 7) -------------------------

SYNC_CONNECTORS = (
    "entra", "google-directory", "hr-csv", "bamboohr", "personio", "hubspot", "salesforce", "google-group",
)  # fmt: skip
_DURATION = re.compile(r"(\d+)\s*([smh]?)")


class Secret:
    """A credential from LEAVERGUARD_<NAME>, or read from the file LEAVERGUARD_<NAME>_FILE names (Docker/Kubernetes).

    Printed as `***` so it cannot reach a log, an error or a page by accident;
    `reveal()` gives the value to the one call that needs it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str = ""):
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _secret_files(environ: Mapping[str, str]) -> Mapping[str, str]:
    """`environ` with each secret setting whose `<NAME>_FILE` is set filled from that file."""
    filled = dict(environ)
    for name, (_default, parse, _doc) in SETTINGS.items():
        path = environ.get(f"{PREFIX}{name}_FILE")
        if parse is not Secret or not path:
            continue
        if environ.get(PREFIX + name):
            raise SystemExit(f"set {PREFIX}{name} or {PREFIX}{name}_FILE, not both")
        try:
            with open(path, encoding="utf-8") as stream:
                filled[PREFIX + name] = stream.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise SystemExit(f"{PREFIX}{name}_FILE={path!r}: cannot read the file ({reason})") from None
    return filled


def duration(raw: str) -> int:
    """Seconds from `900`, `900s`, `15m` or `1h`; at least one second."""
    match = _DURATION.fullmatch(raw.strip().lower())
    if not match or int(match.group(1)) < 1:
        raise SettingError(f"{raw.strip()!r} is not a duration such as 900, 15m or 1h")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def share(raw: str) -> float:
    """A share between 0 and 1 (`0.2`), or a percentage (`20%`)."""
    text = raw.strip()
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0 <= value <= 1:
        raise SettingError(f"{text!r} is not between 0 and 1 (or 0% and 100%)")
    return value


def connectors(raw: str) -> tuple[str, ...]:
    """A comma-separated list of sync connector names."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [name for name in names if name not in SYNC_CONNECTORS]
    if unknown:
        raise SettingError(f"unknown connector {unknown[0]!r}; known: {', '.join(SYNC_CONNECTORS)}")
    return names


def https_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith("https://") or any(c.isspace() for c in value):
        raise SettingError(f"{value!r} is not an https:// address")
    return value


def _interval(connector: str) -> tuple[int, Any, str]:
    return (900, duration, f"how often `sync all --loop` runs the {connector} sync (seconds, or 15m, 1h)")


SYNC_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "SYNC_CONNECTORS": ((), connectors, "comma-separated syncs `sync all` runs: " + ", ".join(SYNC_CONNECTORS)),
    "SYNC_MAX_DROP_SHARE": (0.2, share, "largest share of its records a sync may remove in one run; more stops it"),
    "SYNC_LOOKBACK_DAYS": (30, _non_negative_int, "days after their last working day that synced leavers are kept"),
    "SYNC_RETRIES": (3, _non_negative_int, "retries of a failed sync run, with backoff"),
    "SYNC_RETRY_BACKOFF": (60, duration, "wait before the first retry of a failed sync; doubles each time"),
    "SYNC_HTTP_TIMEOUT": (30, _positive_int, "seconds a sync waits for an outside system to answer"),
    **{f"SYNC_{name.upper().replace('-', '_')}_INTERVAL": _interval(name) for name in SYNC_CONNECTORS},
    "GRAPH_TENANT_ID": (
        "",
        guid,
        "Entra ID tenant (GUID) of the Microsoft Graph LeaverGuard reads (sync) and sends with",
    ),
    "GRAPH_CLIENT_ID": ("", guid, "application (client) id of LeaverGuard's Graph app registration"),
    "GRAPH_CLIENT_SECRET": (Secret(), Secret, "that app's client secret (or GRAPH_CLIENT_SECRET_FILE)"),
    "GRAPH_AUTHORITY_HOST": ("https://login.microsoftonline.com", https_url, "Entra ID token authority"),
    "GRAPH_ENDPOINT": ("https://graph.microsoft.com", https_url, "Microsoft Graph endpoint (national clouds differ)"),
    "GOOGLE_SERVICE_ACCOUNT_FILE": ("", str, "path of the Google service account's JSON key (domain-wide delegation)"),
    "GOOGLE_ADMIN_SUBJECT": ("", str, "Workspace admin the service account acts as to read the directory"),
    "SYNC_GOOGLE_SCHEMA": ("Employment", str, "Google Directory custom schema that holds the leaver fields"),
    "SYNC_GOOGLE_NOTICE_FIELD": ("noticeDate", str, "custom schema field: notice (resignation) date"),
    "SYNC_GOOGLE_LAST_DAY_FIELD": ("lastWorkingDay", str, "custom schema field: last working day"),
    "SYNC_GOOGLE_GARDEN_LEAVE_FIELD": ("gardenLeaveDate", str, "custom schema field: garden leave start (optional)"),
    "SYNC_GOOGLE_SUCCESSOR_FIELD": ("successor", str, "custom schema field: successor's address (optional)"),
    "GOOGLE_LEAVERS_GROUP": (
        "",
        _single_address,
        "address of the Google group the google-group sync keeps equal to the employees on notice",
    ),
    "SYNC_HR_CSV_FOLDER": ("", str, "drop folder of Purview HR connector CSV files; the newest is applied"),
    "SYNC_HR_CSV_URL": (Secret(), Secret, "or an https URL of that CSV (a secret: it may carry a signature)"),
    "BAMBOOHR_COMPANY": ("", str, "BambooHR company subdomain (`acme` in acme.bamboohr.com)"),
    "BAMBOOHR_API_KEY": (Secret(), Secret, "BambooHR API key of a user allowed to read employees"),
    "PERSONIO_CLIENT_ID": ("", str, "Personio API credentials: client id"),
    "PERSONIO_CLIENT_SECRET": (Secret(), Secret, "Personio API credentials: client secret"),
    "HUBSPOT_TOKEN": (Secret(), Secret, "HubSpot private app access token"),
    "SALESFORCE_URL": ("", https_url, "Salesforce My Domain URL (https://acme.my.salesforce.com)"),
    "SALESFORCE_CLIENT_ID": ("", str, "consumer key of the Salesforce app with the client credentials flow"),
    "SALESFORCE_CLIENT_SECRET": (Secret(), Secret, "its consumer secret"),
    "SYNC_SALESFORCE_DOMAIN_FIELD": ("Website", str, "Account field holding the client's web site or domain"),
}


# --- mail transports for HR sign-off (issue 4) ----------------------------------------

MAIL_TRANSPORTS = ("outbox", "smtp", "graph", "gmail")


def _one_of(*choices: str) -> Any:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise SettingError(f"choose one of {', '.join(choices)}")
        return value

    return parse


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise SettingError("a port is a number from 1 to 65535")
    return value


def _seconds_at_most(limit: int) -> Callable[[str], float]:
    """A parser of a number of seconds, more than 0 and at most `limit`."""

    def seconds(raw: str) -> float:
        value = float(raw)
        if not 0 < value <= limit:
            raise SettingError(f"give seconds, more than 0 and at most {limit}")
        return value

    return seconds


_seconds = _seconds_at_most(600)


MAIL_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "MAIL_TRANSPORT": (
        "outbox",
        _one_of(*MAIL_TRANSPORTS),
        "how mail to HR and senders leaves: `outbox` (development only: kept in the database, listed at"
        " /dev/outbox), `smtp`, `graph` or `gmail`",
    ),
    "MAIL_FROM": (
        "leaverguard@localhost",
        str,
        "From address of LeaverGuard's mail (`Name <address>` allowed); the mailbox Graph or Gmail sends as",
    ),
    "SMTP_HOST": ("", str, "SMTP server (needed with MAIL_TRANSPORT=smtp)"),
    "SMTP_PORT": (587, _port, "SMTP server port"),
    "SMTP_SECURITY": (
        "",
        _one_of("starttls", "tls", "none"),
        "`starttls`, `tls` (implicit TLS) or `none`; default `tls` on port 465, else `starttls`",
    ),
    "SMTP_USERNAME": ("", str, "SMTP AUTH user name (optional)"),
    "SMTP_PASSWORD": (Secret(), Secret, "SMTP AUTH password (or SMTP_PASSWORD_FILE)"),
    "SMTP_TIMEOUT": (10.0, _seconds, "seconds each step of an SMTP delivery may take"),
}


# --- database time bounds (issue 12) ---------------------------------------------------


_timeout_seconds = _seconds_at_most(60)


DATABASE_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DB_CONNECT_TIMEOUT_SECONDS": (
        1.0,
        _timeout_seconds,
        "PostgreSQL: seconds to open a connection before the request gets a 503",
    ),
    "DB_CHECK_TIMEOUT_MS": (
        1000,
        _positive_int,
        "longest one statement of the send-time check and /readyz may take (PostgreSQL's statement_timeout, plus"
        " 0.5 s for a server that does not answer at all; SQLite's busy timeout)",
    ),
    "DB_STATEMENT_TIMEOUT_MS": (
        20_000,
        _positive_int,
        "the same for everything else: the admin console, sign-off, imports, syncs, housekeeping",
    ),
    "DB_POOL_TIMEOUT_SECONDS": (
        1.0,
        _timeout_seconds,
        "seconds a request waits for a free pooled database connection before a 503",
    ),
}


# --- admin-console sign-in with Microsoft and Google (issue 6) ------------------------

ROLE_NAMES = ("admin", "hr", "viewer")  # web.access.Role's values (this module must not import the web layer)


def signin_tenant(raw: str) -> str:
    """The tenant people sign in from: its id (a GUID), or `organizations` for any work or school account."""
    return "organizations" if raw.strip().lower() == "organizations" else guid(raw)


def role_groups(raw: str) -> dict[str, tuple[str, ...]]:
    """`admin=<guid>,hr=<guid>,admin=<guid>` -> {role: group object ids}; a role may name several groups."""
    groups: dict[str, tuple[str, ...]] = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        role, equals, group = (part.strip() for part in pair.partition("="))
        if not equals or role.lower() not in ROLE_NAMES:
            raise SettingError(f"{pair!r} is not `role=<group object id>` with a role of {', '.join(ROLE_NAMES)}")
        groups[role.lower()] = tuple(dict.fromkeys((*groups.get(role.lower(), ()), guid(group))))
    return groups


def google_client_id(raw: str) -> str:
    value = raw.strip()
    if not value.endswith(".apps.googleusercontent.com") or any(c.isspace() for c in value):
        raise SettingError(f"{value!r} is not a Google OAuth client id (…apps.googleusercontent.com)")
    return value


def domains(raw: str) -> tuple[str, ...]:
    """Comma-separated DNS domains (`northwind.example, northwind.co.uk`), lowercased."""
    return tuple(dict.fromkeys(host_name(part) for part in raw.split(",") if part.strip()))


SIGNIN_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "SIGNIN_MICROSOFT_CLIENT_ID": (
        "",
        guid,
        "application (client) id of the Entra ID app people sign in to the admin console with",
    ),
    "SIGNIN_MICROSOFT_CLIENT_SECRET": (Secret(), Secret, "that app's client secret"),
    "SIGNIN_MICROSOFT_TENANT": (
        "",
        signin_tenant,
        "tenant id (GUID) whose people may sign in, or `organizations` for any work account",
    ),
    "SIGNIN_MICROSOFT_AUTHORITY_HOST": ("", host_name, "Entra ID sign-in host; default ENTRA_AUTHORITY_HOST"),
    "SIGNIN_MICROSOFT_ROLE_GROUPS": (
        {},
        role_groups,
        "Entra ID groups (object ids) that grant a role: `admin=<guid>,hr=<guid>,viewer=<guid>`",
    ),
    "SIGNIN_GOOGLE_CLIENT_ID": (
        "",
        google_client_id,
        "OAuth client id (…apps.googleusercontent.com) people sign in to the admin console with",
    ),
    "SIGNIN_GOOGLE_CLIENT_SECRET": (Secret(), Secret, "that OAuth client's secret"),
    "SIGNIN_GOOGLE_HOSTED_DOMAINS": (
        (),
        domains,
        "comma-separated Google Workspace domains whose accounts may sign in; default any verified Google account",
    ),
}


# --- the Gmail add-on (issue 5) -------------------------------------------------------


def endpoint_urls(raw: str) -> tuple[str, ...]:
    """Comma-separated https:// URLs, each exactly as Google puts it in a token's audience (path kept)."""
    urls = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        parts = urlsplit(part)
        if parts.scheme != "https" or not parts.hostname or parts.fragment or any(c.isspace() for c in part):
            raise SettingError(f"{part!r} is not an https:// URL such as https://lg.example.com/gmail/compose")
        urls.append(part)
    return tuple(dict.fromkeys(urls))


def oauth_client_id(raw: str) -> str:
    value = raw.strip()
    if not value or any(c.isspace() for c in value):
        raise SettingError(f"{value!r} is not an OAuth client id")
    return value


GMAIL_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "GMAIL_SERVICE_ACCOUNT": (
        "",
        _single_address,
        "the Gmail add-on's service account (service-<project number>@gcp-sa-gsuiteaddons.iam.gserviceaccount.com):"
        " only requests signed for it are answered",
    ),
    "GMAIL_OAUTH_CLIENT_ID": (
        "",
        oauth_client_id,
        "the add-on deployment's OAuth client id: the audience of the user's ID token",
    ),
    "GMAIL_ENDPOINT_URLS": (
        (),
        endpoint_urls,
        "comma-separated URLs Google calls the add-on at, accepted as token audience; default BASE_URL/gmail/…",
    ),
}


# --- request limits: sign-off requests (in the database) and unauthenticated pages (Flask-Limiter), issue 12 ---


def rate_limits(raw: str) -> str:
    """Flask-Limiter's notation, `30 per minute` or several joined by `;` (`30/minute; 300/hour`), checked."""
    from limits import parse_many  # Flask-Limiter's own parser, so what is accepted here is what applies

    try:
        parse_many(raw)
    except ValueError:
        raise SettingError(f"{raw.strip()!r} is not a limit such as `30 per minute` or `30/minute; 300/hour`") from None
    return raw.strip()


def storage_uri(raw: str) -> str:
    value = raw.strip()
    if not re.fullmatch(r"(memory|redis|rediss|redis\+sentinel|redis\+cluster|memcached)://\S*", value):
        raise SettingError(f"{value!r} is not memory://, redis://host:port or memcached://host:port")
    return value


LIMIT_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "SIGNOFF_REQUESTS_PER_HOUR": (
        20,
        _positive_int,
        "sign-off requests one sender may make in an hour (counted in the database); more is a 429",
    ),
    "SIGNOFF_MAILS_PER_APPROVER_PER_HOUR": (
        100,
        _positive_int,
        "sign-off request mails one approver's mailbox may be sent in an hour; a request that would send more is a 429",
    ),
    "RATELIMIT_STORAGE_URI": (
        "memory://",
        storage_uri,
        "where the page request limits are counted: memory:// (each worker counts alone), redis://… or memcached://…",
    ),
    "RATELIMIT_SIGNIN": ("30 per minute", rate_limits, "requests per client address to the sign-in pages"),
    "RATELIMIT_APPROVAL_LINKS": ("60 per minute", rate_limits, "requests per client address to /approvals/<token>"),
    "RATELIMIT_TRUSTED_PROXIES": (
        0,
        _non_negative_int,
        "proxies in front of the server that append to X-Forwarded-For; the client address is the entry they saw",
    ),
}


# --- retention (issue 12) ---------------------------------------------------------------

RETENTION_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "RETAIN_MESSAGE_DAYS": (
        90,
        _positive_int,
        "days the subject, text, attachment names and justification of a sign-off request are kept after it ended"
        " (and its sent mails); the decision trail stays",
    ),
    "RETAIN_AUDIT_DAYS": (
        730,
        _positive_int,
        "days audit events are kept, and ended sign-off requests with their decision trail",
    ),
    "RETAIN_DEPARTURE_DAYS": (
        365,
        _positive_int,
        "days after the last working day before `flask departures erase` may erase a departure record",
    ),
}


def parse_setting(name: str, raw: Any) -> Any:
    """`raw` parsed by SETTINGS[name]'s parser, or SystemExit with the same message `load` gives."""
    try:
        return SETTINGS[name][1](raw)
    except ValueError as exc:
        detail = f" ({exc})" if isinstance(exc, SettingError) else ""
        raise SystemExit(f"{PREFIX}{name}={raw!r} is not valid{detail}: {SETTINGS[name][2]}") from None


# name (without prefix) -> (default, parser, description for humans)
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "ENV": ("production", str, "`development` or `production`"),
    "SECRET_KEY": ("", str, "signs sessions and links; required in production"),
    "BASE_URL": ("", str, "public URL of this server; required in production"),
    "LOG_FORMAT": ("", str, "`json` or `text`; default json in production, text in development"),
    "LOG_LEVEL": ("INFO", str, "Python logging level"),
    "MAX_RECIPIENTS": (500, _positive_int, "most recipients (To+Cc+Bcc) one check may carry"),
    "MAX_BODY_BYTES": (1_000_000, _positive_int, "largest message body (UTF-8 bytes) one check may carry"),
    "MAX_ATTACHMENTS": (250, _positive_int, "most attachments one check may list"),
    "ENTRA_CLIENT_ID": (
        "",
        guid,
        "the LeaverGuard API's Entra ID application (client) id; with ENTRA_TENANTS it enables Entra ID bearer tokens",
    ),
    "ENTRA_APP_ID_URI": (
        "",
        app_id_uri,
        "the API's Application ID URI, also accepted as token audience (default api://<client id>)",
    ),
    "ENTRA_TENANTS": ((), guids, "comma-separated ids (GUIDs) of the Entra ID tenants whose users may call the API"),
    "ENTRA_AUTHORITY_HOST": (
        "login.microsoftonline.com",
        host_name,
        "Entra ID sign-in host; national clouds differ (login.microsoftonline.us, login.chinacloudapi.cn)",
    ),
    "ADDIN_FAIL_MODE": (
        "open",
        fail_mode,
        "`open` or `closed`: whether the Outlook add-in lets a message go when LeaverGuard cannot be reached",
    ),
    "CORS_ORIGINS": (
        (),
        web_origins,
        "comma-separated web origins (`https://host[:port]`) allowed to call /api/v1/ from a browser;"
        " default: the origin of BASE_URL",
    ),
    "HR_APPROVERS": ((), _addresses, "comma-separated addresses of the HR approvers every sign-off request goes to"),
    "APPROVER_ROUTES": (
        {},
        _routes,
        "per client account approvers, `Account name=a@x,b@x; Other=c@x`; a request goes to the approvers on the"
        " route of every account it touches, else to HR_APPROVERS (never to its sender)",
    ),
    "ADMIN_USERS": (
        (),
        _addresses,
        "comma-separated addresses with the `admin` role on the admin console (everything)",
    ),
    "HR_USERS": (
        (),
        _addresses,
        "comma-separated addresses with the `hr` role (departures, sign-offs, audit); HR_APPROVERS have it too",
    ),
    "VIEWER_USERS": ((), _addresses, "comma-separated addresses with the `viewer` role (read-only)"),
    "HR_LOCALE": ("en", _locale, "language of the e-mails to HR: `en`, `es` or `ru`"),
    "APPROVAL_EXPIRY_HOURS": (
        72,
        _positive_int,
        "hours HR has to decide; an approved message may then be sent for as long",
    ),
    "APPROVAL_REMINDER_HOURS": (24, _positive_int, "hours after which an undecided request sends HR one reminder"),
    "HOUSEKEEPING_INTERVAL": (
        30,
        _non_negative_int,
        "seconds between in-process mail delivery, reminder and expiry runs; 0 = off (cron `approvals tick`)",
    ),
    "UPLOAD_MAX_BYTES": (
        100_000_000,
        _positive_int,
        "largest CSV file (bytes) an admin may upload on the Departures and Clients pages (other requests keep"
        " their own limit)",
    ),
    "UPLOAD_BACKGROUND_BYTES": (
        5_000_000,
        _positive_int,
        "an uploaded CSV file larger than this (bytes) is imported by a background job whose page shows its"
        " progress; smaller ones are imported within the request",
    ),
}

SETTINGS.update(SYNC_SETTINGS)
SETTINGS.update(MAIL_SETTINGS)
SETTINGS.update(SIGNIN_SETTINGS)
SETTINGS.update(GMAIL_SETTINGS)
SETTINGS.update(LIMIT_SETTINGS)
SETTINGS.update(RETENTION_SETTINGS)
SETTINGS.update(DATABASE_SETTINGS)


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from `environ` (default: os.environ), parsed, with defaults filled in."""
    environ = _secret_files(os.environ if environ is None else environ)
    config: dict[str, Any] = {}
    for name, (default, parse, _doc) in SETTINGS.items():
        raw = environ.get(PREFIX + name)
        try:
            config[name] = default if raw in (None, "") else parse(raw)
        except ValueError as exc:
            detail = f" ({exc})" if isinstance(exc, SettingError) else ""
            raise SystemExit(f"{PREFIX}{name}={raw!r} is not valid{detail}: {SETTINGS[name][2]}") from None
    if config["ENV"] not in ("development", "production"):
        raise SystemExit(f"{PREFIX}ENV must be development or production, not {config['ENV']!r}")
    config["DATABASE_URL"] = environ.get("DATABASE_URL", "")
    return config


def production_problems(config: Mapping[str, Any], real_verifiers: list[str]) -> list[str]:
    """What is missing for a production start (empty when it may start)."""
    if config["ENV"] != "production":
        return []
    problems = []
    if len(config.get("SECRET_KEY") or "") < 32:
        problems.append(f"{PREFIX}SECRET_KEY must be set to at least 32 random characters")
    if not config.get("BASE_URL", "").startswith("https://"):
        problems.append(f"{PREFIX}BASE_URL must be set to the server's https:// address")
    if not real_verifiers:
        problems.append("no token verifier is configured (the development scheme is refused in production)")
    return problems + _mail_production_problems(config)


def _mail_production_problems(config: Mapping[str, Any]) -> list[str]:
    """The outbox never delivers, and a @localhost sender cannot be answered: both are development-only."""
    problems = []
    if (config.get("MAIL_TRANSPORT") or "outbox") == "outbox":
        problems.append(f"{PREFIX}MAIL_TRANSPORT must be smtp, graph or gmail (the outbox never delivers mail)")
    if str(config.get("MAIL_FROM") or "leaverguard@localhost").rstrip(">").endswith("@localhost"):
        problems.append(f"{PREFIX}MAIL_FROM must be a real address that HR's mail comes from")
    return problems
