"""Google service-account credentials with domain-wide delegation, and an HTTP transport that uses them.

`delegated_credentials(key_file, subject, scopes)` reads a service account's JSON
key and acts as `subject` (a Workspace admin for the Directory API, the sender
for Gmail); `authorized_http(credentials)` is the transport the Google API
client takes: it adds the token, refreshes it on a 401 and retries. Shared by
the Google Directory sync and the Gmail transport, so its interface is kept stable.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import google_auth_httplib2
import httplib2
from google.oauth2 import service_account

from . import AdapterError

DIRECTORY_READONLY = "https://www.googleapis.com/auth/admin.directory.user.readonly"
GROUP_MEMBERS = "https://www.googleapis.com/auth/admin.directory.group.member"  # read and change a group's members


class GoogleAuthError(AdapterError):
    system = "Google service account"


def delegated_credentials(key_file: str | Path, subject: str, scopes: Sequence[str]) -> service_account.Credentials:
    """Credentials of the service account in `key_file`, acting as `subject` for `scopes`."""
    if not subject:
        raise GoogleAuthError("an account to act as (a Workspace admin or user) is needed")
    try:
        info = json.loads(Path(key_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise GoogleAuthError(f"cannot read the key file {key_file}: {exc.strerror}") from None
    except ValueError:
        raise GoogleAuthError(f"the key file {key_file} is not JSON") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise GoogleAuthError(f"the key file {key_file} is not a service account key (type service_account)")
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except (ValueError, KeyError) as exc:  # names the missing field, never the key's content
        raise GoogleAuthError(f"the key file {key_file} is incomplete or damaged ({type(exc).__name__})") from None
    return credentials.with_subject(subject)


def authorized_http(
    credentials: service_account.Credentials, *, timeout: float = 30.0, http: httplib2.Http | None = None
) -> google_auth_httplib2.AuthorizedHttp:
    """A transport that sends `credentials`' token, refreshing it (through `http` too) when refused with 401."""
    return google_auth_httplib2.AuthorizedHttp(credentials, http=http or httplib2.Http(timeout=timeout))
