"""Leavers from the company directory: Entra ID (Microsoft Graph) and Google Workspace (Admin SDK).

- entra: users whose `employeeLeaveDateTime` (the last working day, an
  instant) is at most `lookback_days` ago; aliases from `proxyAddresses` and the
  user principal name (when it is not the mail address); the manager as
  successor; the user's `id` (the object id tokens carry as `oid`) and the tenant.
  Entra ID has no notice date: the merge keeps the day the leave date was first
  seen. Each hand-entered departure no account is known for yet is looked up
  (one request each, by mail, user principal name or SMTP proxy address), so the
  merge can link it (linking.py).
- google-directory: users whose custom schema (default `Employment`) has a
  last working day; notice date, garden leave and successor from the schema;
  the manager (`relations`) as successor where the schema names none; the user's
  `id` with tenant "google". The run lists every user, so every account (primary
  address and aliases) is offered for linking without further requests.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from ...adapters.google_directory import DirectoryClient
from ...adapters.graph import GraphClient, GraphError
from ...model import InvalidAddress, normalise_address
from ..records import DirectoryUser, Fetched, Kind, Leaver, Problem
from .common import read_day

USER_FIELDS = "id,mail,userPrincipalName,proxyAddresses,employeeLeaveDateTime,accountEnabled"
LOOKUP_FIELDS = "id,mail,userPrincipalName,proxyAddresses"
# Three clauses an address: a handful of a record's addresses keeps one $filter well within Graph's limits.
LOOKUP_ADDRESSES = 5
GOOGLE_TENANT = "google"


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
        users = list(self.graph.pages("/v1.0/users", params=params, headers={"ConsistencyLevel": "eventual"}))
        seen = [account for account in map(self._account, users) if account]
        found, problems = self._look_up(context.unlinked, seen)
        leavers = tuple(self._leaver(user, context.zone) for user in users)
        return Fetched(leavers, problems, users=(*seen, *found))

    def _leaver(self, user: dict, zone) -> Leaver:
        problems: list[str] = []
        last = read_day(user.get("employeeLeaveDateTime"), "employeeLeaveDateTime", problems, zone)
        mail, upn = user.get("mail"), user.get("userPrincipalName")
        upn_alias = (upn,) if upn and "@" in upn and upn.lower() != (mail or "").lower() else ()
        return Leaver(
            ref=upn or user.get("id", "?"),
            email=mail,
            last_working_date=last,
            successor=self._manager(user["id"]) if mail and not problems else None,
            aliases=smtp_aliases(user.get("proxyAddresses") or [], mail) + upn_alias,
            problems=tuple(problems),
            object_id=user.get("id") or None,
            tenant_id=self.graph.tenant_id,
        )

    def _account(self, user: dict) -> DirectoryUser | None:
        """The user's account with every address (mail, user principal name, SMTP proxy addresses)."""
        if not user.get("id"):
            return None
        mail, upn = user.get("mail"), user.get("userPrincipalName")
        addresses = [mail, upn, *smtp_aliases(user.get("proxyAddresses") or [], mail)]
        return DirectoryUser(upn or user["id"], user["id"], self.graph.tenant_id, tuple(a for a in addresses if a))

    def _look_up(
        self, unlinked: tuple[tuple[str, ...], ...], seen: list[DirectoryUser]
    ) -> tuple[list[DirectoryUser], tuple[Problem, ...]]:
        """The accounts of hand-entered departures the leavers' answer did not show, one request each."""
        known = {key for account in seen for key in _keys(account.addresses)}
        found, problems = [], []
        for addresses in unlinked:
            if known.intersection(_keys(addresses)):
                continue
            params = {"$filter": _lookup_filter(addresses[:LOOKUP_ADDRESSES]), "$select": LOOKUP_FIELDS}
            try:
                users = self.graph.pages(
                    "/v1.0/users", params=params | {"$count": "true"}, headers={"ConsistencyLevel": "eventual"}
                )
                found += [account for account in map(self._account, list(users)) if account]
            except GraphError as exc:
                problems.append(Problem(addresses[0], f"could not be looked up in Entra ID ({exc})"))
        return found, tuple(problems)

    def _manager(self, user_id: str) -> str | None:
        """The manager's address (advanced queries cannot $expand, so one small request per leaver)."""
        try:
            manager = self.graph.get(f"/v1.0/users/{user_id}/manager", params={"$select": "mail,userPrincipalName"})
        except GraphError as exc:
            if exc.status == 404:  # no manager set
                return None
            raise
        return manager.get("mail")


def _lookup_filter(addresses: tuple[str, ...]) -> str:
    """A Graph $filter for the users with any of `addresses` as mail, user principal name or SMTP proxy address."""
    clauses = []
    for address in addresses:
        quoted = address.replace("'", "''")  # OData doubles a quote inside a string
        clauses += [
            f"mail eq '{quoted}'",
            f"userPrincipalName eq '{quoted}'",
            f"proxyAddresses/any(p:p eq 'smtp:{quoted}')",
        ]
    return " or ".join(clauses)


def _keys(addresses) -> set[str]:
    found = set()
    for address in addresses:
        try:
            found.add(normalise_address(address).key)
        except InvalidAddress:
            continue
    return found


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
        users = list(self.client().users(self.fields.schema))
        values = ((user, (user.get("customSchemas") or {}).get(self.fields.schema) or {}) for user in users)
        leavers = tuple(self._leaver(user, v) for user, v in values if v.get(self.fields.last_day))
        accounts = tuple(
            DirectoryUser(user["primaryEmail"], str(user["id"]), GOOGLE_TENANT, (user["primaryEmail"], *_aliases(user)))
            for user in users
            if user.get("id") and user.get("primaryEmail")
        )
        return Fetched(leavers, users=accounts)

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
            aliases=_aliases(user),
            problems=tuple(problems),
            object_id=str(user["id"]) if user.get("id") else None,
            tenant_id=GOOGLE_TENANT,
        )


def _aliases(user: dict) -> tuple[str, ...]:
    return tuple(str(alias) for alias in user.get("aliases") or ())


def _manager(user: dict) -> str | None:
    managers = [r.get("value") for r in user.get("relations") or () if r.get("type") == "manager"]
    return managers[0] if managers else None
