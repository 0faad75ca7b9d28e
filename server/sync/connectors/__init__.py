"""The connectors, one module per kind of source, and how each is built from the settings.

`build(name, config)` returns the connector `name` with its adapter, or raises
SourceUnavailable naming the settings it lacks. Secrets are revealed here, to
the adapter that sends them, and nowhere else.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ...adapters.bamboohr import BambooHRClient
from ...adapters.google_auth import DIRECTORY_READONLY, GROUP_MEMBERS, authorized_http, delegated_credentials
from ...adapters.google_directory import DirectoryClient, GroupMembers
from ...adapters.graph import GraphClient
from ...adapters.http import RetryPolicy
from ...adapters.hubspot import HubSpotClient
from ...adapters.personio import PersonioClient
from ...adapters.salesforce import SalesforceClient
from ...config import PREFIX, SYNC_CONNECTORS
from ..service import Connector, SourceUnavailable
from .crm import HubSpotConnector, SalesforceConnector
from .directories import EntraConnector, GoogleDirectoryConnector, SchemaFields
from .groups import GoogleGroupConnector
from .hr import BambooHRConnector, HrCsvConnector, PersonioConnector

#: The settings each connector cannot do without.
REQUIRED = {
    "entra": ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"),
    "google-directory": ("GOOGLE_SERVICE_ACCOUNT_FILE", "GOOGLE_ADMIN_SUBJECT"),
    "hr-csv": (),  # a folder or a URL: checked by the connector
    "bamboohr": ("BAMBOOHR_COMPANY", "BAMBOOHR_API_KEY"),
    "personio": ("PERSONIO_CLIENT_ID", "PERSONIO_CLIENT_SECRET"),
    "hubspot": ("HUBSPOT_TOKEN",),
    "salesforce": ("SALESFORCE_URL", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"),
    "google-group": ("GOOGLE_SERVICE_ACCOUNT_FILE", "GOOGLE_ADMIN_SUBJECT", "GOOGLE_LEAVERS_GROUP"),
}


def _secret(config: Mapping[str, Any], name: str) -> str:
    value = config.get(name)
    return value.reveal() if hasattr(value, "reveal") else str(value or "")


def build(
    name: str,
    config: Mapping[str, Any],
    *,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    google_http: Any = None,
) -> Connector:
    """The connector `name`, configured from `config` (app.config); SourceUnavailable if it cannot be."""
    if name not in SYNC_CONNECTORS:
        raise SourceUnavailable(f"unknown connector {name!r}; known: {', '.join(SYNC_CONNECTORS)}")
    missing = [PREFIX + setting for setting in REQUIRED[name] if not config.get(setting)]
    if missing:
        raise SourceUnavailable(f"{name} is not configured: set {', '.join(missing)}")
    policy = RetryPolicy(timeout=float(config.get("SYNC_HTTP_TIMEOUT", 30)))
    http = {"policy": policy, "session": session or requests.Session(), "sleep": sleep}
    return _BUILDERS[name](config, http, google_http)


def _entra(config, http, _google) -> Connector:
    graph = GraphClient(
        config["GRAPH_TENANT_ID"],
        config["GRAPH_CLIENT_ID"],
        _secret(config, "GRAPH_CLIENT_SECRET"),
        authority_host=config.get("GRAPH_AUTHORITY_HOST", "https://login.microsoftonline.com"),
        endpoint=config.get("GRAPH_ENDPOINT", "https://graph.microsoft.com"),
        **http,
    )
    return EntraConnector(graph)


def _google(config, http, google_http) -> Connector:
    fields = SchemaFields(
        schema=config.get("SYNC_GOOGLE_SCHEMA") or "Employment",
        notice=config.get("SYNC_GOOGLE_NOTICE_FIELD") or "noticeDate",
        last_day=config.get("SYNC_GOOGLE_LAST_DAY_FIELD") or "lastWorkingDay",
        garden_leave=config.get("SYNC_GOOGLE_GARDEN_LEAVE_FIELD") or "gardenLeaveDate",
        successor=config.get("SYNC_GOOGLE_SUCCESSOR_FIELD") or "successor",
    )

    def client() -> DirectoryClient:
        credentials = delegated_credentials(
            config["GOOGLE_SERVICE_ACCOUNT_FILE"], config["GOOGLE_ADMIN_SUBJECT"], [DIRECTORY_READONLY]
        )
        transport = authorized_http(credentials, timeout=http["policy"].timeout, http=google_http)
        return DirectoryClient(transport, policy=http["policy"], sleep=http["sleep"])

    return GoogleDirectoryConnector(client, fields)


def _google_group(config, http, google_http) -> Connector:
    def client() -> GroupMembers:
        credentials = delegated_credentials(
            config["GOOGLE_SERVICE_ACCOUNT_FILE"], config["GOOGLE_ADMIN_SUBJECT"], [GROUP_MEMBERS]
        )
        transport = authorized_http(credentials, timeout=http["policy"].timeout, http=google_http)
        return GroupMembers(transport, config["GOOGLE_LEAVERS_GROUP"], policy=http["policy"], sleep=http["sleep"])

    return GoogleGroupConnector(client)


def _hr_csv(config, http, _google) -> Connector:
    return HrCsvConnector(config.get("SYNC_HR_CSV_FOLDER", ""), _secret(config, "SYNC_HR_CSV_URL"), **http)


def _bamboohr(config, http, _google) -> Connector:
    return BambooHRConnector(BambooHRClient(config["BAMBOOHR_COMPANY"], _secret(config, "BAMBOOHR_API_KEY"), **http))


def _personio(config, http, _google) -> Connector:
    client = PersonioClient(config["PERSONIO_CLIENT_ID"], _secret(config, "PERSONIO_CLIENT_SECRET"), **http)
    return PersonioConnector(client)


def _hubspot(config, http, _google) -> Connector:
    return HubSpotConnector(HubSpotClient(_secret(config, "HUBSPOT_TOKEN"), **http))


def _salesforce(config, http, _google) -> Connector:
    client = SalesforceClient(
        config["SALESFORCE_URL"], config["SALESFORCE_CLIENT_ID"], _secret(config, "SALESFORCE_CLIENT_SECRET"), **http
    )
    return SalesforceConnector(client, config.get("SYNC_SALESFORCE_DOMAIN_FIELD") or "Website")


_BUILDERS = {
    "entra": _entra,
    "google-directory": _google,
    "hr-csv": _hr_csv,
    "bamboohr": _bamboohr,
    "personio": _personio,
    "hubspot": _hubspot,
    "salesforce": _salesforce,
    "google-group": _google_group,
}
