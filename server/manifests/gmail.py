"""The Gmail add-on, described once: its endpoints, its scopes, and the deployment resource Google takes.

`deployment(base_url)` is the JSON of a Google Workspace add-on deployment (the
`projects.deployments` resource `gcloud workspace-add-ons deployments create` reads);
`endpoint_urls(base_url)` are the URLs Google calls, which the server accepts as the
audience of Google's ID tokens. ENDPOINTS is the contract with the web blueprint
(web/gmail.py), so the manifest and the routes cannot disagree about a path.

Pure: no Flask, no network, no files.
"""

from __future__ import annotations

from typing import Any

from . import sites

NAME = "LeaverGuard"
LOGO_PATH = "/addin/gmail/logo.png"  # public: Google fetches it without a token

#: Endpoint name -> path; every one is called by Google with a signed ID token.
ENDPOINTS = {
    "homepage": "/gmail/homepage",
    "compose": "/gmail/compose",
    "recheck": "/gmail/actions/recheck",
    "signoff_form": "/gmail/actions/signoff-form",
    "signoff_submit": "/gmail/actions/signoff",
    "add_successor": "/gmail/actions/add-successor",
}

# The least the add-on needs, each for one reason; nothing that reads or sends mail.
SCOPES = (
    "https://www.googleapis.com/auth/gmail.addons.execute",  # every Gmail add-on: run at all
    "https://www.googleapis.com/auth/gmail.addons.current.action.compose",  # compose trigger, add a Cc
    "https://www.googleapis.com/auth/gmail.addons.current.message.metadata",  # draftAccess METADATA: recipients
    "https://www.googleapis.com/auth/userinfo.email",  # the user's ID token, which names the caller
    "https://www.googleapis.com/auth/script.locale",  # useLocaleFromApp: the user's language
)


def origin(base_url: str) -> str:
    """`https://host[:port]` from a base URL, or sites.BadBaseUrl saying what is wrong with it."""
    return sites.origin(base_url, https_because="Google calls add-ons only over HTTPS")


def endpoint_urls(base_url: str) -> tuple[str, ...]:
    """Every URL Google calls: the audiences the server accepts by default (no validation: any base works)."""
    base = base_url.rstrip("/")
    return tuple(base + path for path in ENDPOINTS.values())


def deployment(base_url: str) -> dict[str, Any]:
    """The deployment resource for the add-on served from `base_url` (sites.BadBaseUrl when it cannot be)."""
    site = origin(base_url)
    logo = site + LOGO_PATH
    return {
        "oauthScopes": list(SCOPES),
        "addOns": {
            "common": {
                "name": NAME,
                "logoUrl": logo,
                "useLocaleFromApp": True,
                "homepageTrigger": {"runFunction": site + ENDPOINTS["homepage"]},
                # Replacing the draft's Cc (add the successor) is this widget set's feature.
                "addOnWidgetSet": {"usedWidgets": ["UPDATE_SUBJECT_AND_RECIPIENTS"]},
            },
            "gmail": {
                "composeTrigger": {
                    "actions": [{"runFunction": site + ENDPOINTS["compose"], "label": NAME, "logoUrl": logo}],
                    "draftAccess": "METADATA",
                },
            },
            "httpOptions": {"authorizationHeader": "SYSTEM_ID_TOKEN"},
        },
    }
