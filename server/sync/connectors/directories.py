"""Leavers from the company directory: Entra ID (Microsoft Graph) and Google Workspace (Admin SDK).

- entra: users whose `employeeLeaveDateTime` (the last working day, an
  instant) is at most `lookback_days` ago; aliases from `proxyAddresses`; the
  manager as successor. Entra ID has no notice date: the merge keeps the day
  the leave date was first seen.
- google-directory: users whose custom schema (default `Employment`) has a
  last working day; notice date, garden leave and successor from the schema;
  the manager (`relations`) as successor where the schema names none.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from ...adapters.google_directory import DirectoryClient
from ...adapters.graph import GraphClient, GraphError
from ..records import Fetched, Kind, Leaver
from .common import read_day

USER_FIELDS = "id,mail,userPrincipalName,proxyAddresses,employeeLeaveDateTime,accountEnabled"


class EntraConnector:
    name = "entra"
    kind = Kind.DEPARTURES

    def __init__(self, graph: GraphClient):
        self.graph = graph

    def fetch(self, context) -> Fetched:
        since = context.today - timedelta(days=context.lookback_days)
        params = {
            "$filter": f"employeeLeaveDateTime ge {since.isoformat()}T00:00:00Z",
            "$select": USER_FIELDS,
            "$count": "true",  # with ConsistencyLevel: eventual, an advanced query: needed for this $filter
            "$top": "999",
        }
        users = self.graph.pages("/v1.0/users", params=params, headers={"ConsistencyLevel": "eventual"})
        return Fetched(tuple(self._leaver(user, context.zone) for user in users))

    def _leaver(self, user: dict, zone) -> Leaver:
        problems: list[str] = []
        last = read_day(user.get("employeeLeaveDateTime"), "employeeLeaveDateTime", problems, zone)
        mail = user.get("mail")
        return Leaver(
            ref=user.get("userPrincipalName") or user.get("id", "?"),
            email=mail,
            last_working_date=last,
            successor=self._manager(user["id"]) if mail and not problems else None,
            aliases=smtp_aliases(user.get("proxyAddresses") or [], mail),
            problems=tuple(problems),
        )

    def _manager(self, user_id: str) -> str | None:
        """The manager's address (advanced queries cannot $expand, so one small request per leaver)."""
        try:
            manager = self.graph.get(f"/v1.0/users/{user_id}/manager", params={"$select": "mail,userPrincipalName"})
        except GraphError as exc:
            if exc.status == 404:  # no manager set
                return None
            raise
        return manager.get("mail")


def smtp_aliases(proxy_addresses: list[str], primary: str | None) -> tuple[str, ...]:
    """The SMTP addresses of `proxyAddresses` (`SMTP:` primary, `smtp:` secondary), the primary left out."""
    found = []
    for entry in proxy_addresses:
        kind, _, address = str(entry).partition(":")
        if kind.lower() == "smtp" and address and address.lower() != (primary or "").lower():
            found.append(address)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class SchemaFields:
    """Where the Google custom schema keeps each value."""

    schema: str = "Employment"
    notice: str = "noticeDate"
    last_day: str = "lastWorkingDay"
    garden_leave: str = "gardenLeaveDate"
    successor: str = "successor"


class GoogleDirectoryConnector:
    name = "google-directory"
    kind = Kind.DEPARTURES

    def __init__(self, client: Callable[[], DirectoryClient], fields: SchemaFields):
        self.client, self.fields = client, fields  # built per run: it reads the key file

    def fetch(self, context) -> Fetched:
        users = self.client().users(self.fields.schema)
        values = ((user, (user.get("customSchemas") or {}).get(self.fields.schema) or {}) for user in users)
        return Fetched(tuple(self._leaver(user, v) for user, v in values if v.get(self.fields.last_day)))

    def _leaver(self, user: dict, values: dict) -> Leaver:
        problems: list[str] = []
        f = self.fields
        return Leaver(
            ref=user.get("primaryEmail") or user.get("id", "?"),
            email=user.get("primaryEmail"),
            last_working_date=read_day(values.get(f.last_day), f.last_day, problems),
            notice_date=read_day(values.get(f.notice), f.notice, problems),
            garden_leave_date=read_day(values.get(f.garden_leave), f.garden_leave, problems),
            successor=str(values.get(f.successor) or "").strip() or _manager(user),
            aliases=tuple(user.get("aliases") or ()),
            problems=tuple(problems),
        )


def _manager(user: dict) -> str | None:
    managers = [r.get("value") for r in user.get("relations") or () if r.get("type") == "manager"]
    return managers[0] if managers else None
