"""The Google Workspace Admin SDK Directory API: users with a custom schema, and a group's members.

`DirectoryClient(http)` lists users (`customer=my_customer`, `projection=custom`,
`customFieldMask=<schema>`); `GroupMembers(http, group)` lists, adds and removes the
members of one group (the google-group sync). Both go through google-api-python-client
with the bundled discovery document (no network for it). `http` is
google_auth.authorized_http's transport, which refreshes an expired token and retries
once; throttling and 5xx are retried here with backoff, honouring Retry-After
(`execute`). Failures are GoogleDirectoryError.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from . import AdapterError
from .http import DEFAULT_POLICY, RETRY_STATUSES, RetryPolicy, Sleep, retry_after

USER_FIELDS = "nextPageToken,users(id,primaryEmail,aliases,customSchemas,relations,suspended)"
MEMBER_FIELDS = "nextPageToken,members(email,role,type)"


class GoogleDirectoryError(AdapterError):
    system = "Google Directory"


class DirectoryClient:
    def __init__(self, http: httplib2.Http, *, policy: RetryPolicy = DEFAULT_POLICY, sleep: Sleep = time.sleep):
        self.policy, self.sleep = policy, sleep
        self.users_api = build("admin", "directory_v1", http=http, static_discovery=True, cache_discovery=False).users()

    def users(self, schema: str, page_size: int = 500) -> Iterator[dict]:
        """Every user of the customer, with the custom schema `schema`'s values."""
        token = None
        while True:
            request = self.users_api.list(
                customer="my_customer",
                projection="custom",
                customFieldMask=schema,
                maxResults=page_size,
                pageToken=token,
                fields=USER_FIELDS,
            )
            page = self._execute(request)
            yield from page.get("users", [])
            token = page.get("nextPageToken")
            if not token:
                return

    def _execute(self, request) -> dict:
        return execute(request, "users.list", self.policy, self.sleep)


class GroupMembers:
    """The members of one Google group: list (page after page), insert, delete."""

    def __init__(
        self, http: httplib2.Http, group: str, *, policy: RetryPolicy = DEFAULT_POLICY, sleep: Sleep = time.sleep
    ):
        self.group, self.policy, self.sleep = group, policy, sleep
        self.api = build("admin", "directory_v1", http=http, static_discovery=True, cache_discovery=False).members()

    def list(self, page_size: int = 200) -> Iterator[dict]:
        """Every member: email, role (OWNER, MANAGER, MEMBER), type (USER, GROUP, CUSTOMER, EXTERNAL)."""
        token = None
        while True:
            request = self.api.list(groupKey=self.group, maxResults=page_size, pageToken=token, fields=MEMBER_FIELDS)
            page = execute(request, "members.list", self.policy, self.sleep)
            yield from page.get("members", [])
            token = page.get("nextPageToken")
            if not token:
                return

    def insert(self, email: str) -> None:
        execute(
            self.api.insert(groupKey=self.group, body={"email": email, "role": "MEMBER"}),
            "members.insert",
            self.policy,
            self.sleep,
        )

    def delete(self, email: str) -> None:
        execute(self.api.delete(groupKey=self.group, memberKey=email), "members.delete", self.policy, self.sleep)


def execute(request, what: str, policy: RetryPolicy, sleep: Sleep) -> dict:
    """The answer to one Directory API request, after retrying throttling and 5xx; GoogleDirectoryError otherwise."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return request.execute() or {}
        except HttpError as exc:
            status = exc.resp.status
            if status not in RETRY_STATUSES or attempt == policy.attempts:
                raise GoogleDirectoryError(f"{what} answered {status}: {_reason(exc)}", status=status) from None
            asked = retry_after(exc.resp.get("retry-after"))
            wait = asked if asked is not None else policy.backoff * 2 ** (attempt - 1)
            sleep(min(max(wait, 0.0), policy.max_wait))
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise GoogleDirectoryError(f"{what} failed ({type(exc).__name__})") from None
        except Exception as exc:  # google-auth's RefreshError: the service account was refused a token
            if type(exc).__name__ != "RefreshError":
                raise
            raise GoogleDirectoryError(f"no token for the service account: {str(exc)[:200]}", status=401) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _reason(exc: HttpError) -> str:
    try:
        return str(exc.reason)[:200]
    except Exception:
        return ""
