"""Clients from CRMs: HubSpot companies and Salesforce Accounts, with their contacts and owners.

- hubspot: each company (`domain`, `hs_additional_domains`) with its
  associated contacts; the HubSpot owner's address as account owner.
- salesforce: each Account with a domain from a configurable field (default
  `Website`, a URL reduced to its host), its Contacts with an address, the
  Account owner's address.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from ...adapters.hubspot import HubSpotClient
from ...adapters.salesforce import SalesforceClient
from ..records import Account, Contact, Fetched, Kind
from ..service import SourceUnavailable

COMPANY_PROPERTIES = ("name", "domain", "hs_additional_domains", "hubspot_owner_id")
CONTACT_PROPERTIES = ("email", "firstname", "lastname")


class HubSpotConnector:
    name = "hubspot"
    kind = Kind.CLIENTS

    def __init__(self, client: HubSpotClient):
        self.client = client

    def fetch(self, context) -> Fetched:
        owners = {str(o.get("id")): o.get("email") for o in self.client.owners()}
        companies = list(self.client.companies(COMPANY_PROPERTIES))
        ids = sorted({c_id for company in companies for c_id in _contact_ids(company)})
        contacts = {str(c.get("id")): c.get("properties") or {} for c in self.client.contacts(ids, CONTACT_PROPERTIES)}
        return Fetched(tuple(_company(company, owners, contacts) for company in companies))


def _contact_ids(company: dict) -> list[str]:
    results = ((company.get("associations") or {}).get("contacts") or {}).get("results") or []
    return [str(r.get("id")) for r in results if r.get("id")]


def _company(company: dict, owners: dict, contacts: dict) -> Account:
    properties = company.get("properties") or {}
    domains = [properties.get("domain") or "", *str(properties.get("hs_additional_domains") or "").split(";")]
    people = [contacts[i] for i in _contact_ids(company) if i in contacts]
    return Account(
        ref=str(company.get("id") or ""),
        name=str(properties.get("name") or properties.get("domain") or ""),
        owner=owners.get(str(properties.get("hubspot_owner_id") or "")),
        domains=tuple(d.strip() for d in domains if d.strip()),
        contacts=tuple(Contact(p["email"], _name(p)) for p in people if p.get("email")),
    )


def _name(properties: dict) -> str:
    return " ".join(filter(None, (properties.get("firstname"), properties.get("lastname"))))


_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class SalesforceConnector:
    name = "salesforce"
    kind = Kind.CLIENTS

    def __init__(self, client: SalesforceClient, domain_field: str = "Website"):
        if not _FIELD.fullmatch(domain_field):  # it goes into SOQL: a field name and nothing else
            raise SourceUnavailable(f"salesforce: {domain_field!r} is not a field name")
        self.client, self.domain_field = client, domain_field

    def fetch(self, context) -> Fetched:
        people = defaultdict(list)
        soql = "SELECT Id, Email, Name, AccountId FROM Contact WHERE AccountId != null AND Email != null"
        for contact in self.client.query(soql):
            people[contact.get("AccountId")].append(Contact(contact.get("Email") or "", contact.get("Name") or ""))
        soql = f"SELECT Id, Name, {self.domain_field}, Owner.Email FROM Account"
        accounts = (self._account(a, people) for a in self.client.query(soql))
        return Fetched(tuple(accounts))

    def _account(self, account: dict, people: dict) -> Account:
        domain = domain_of(str(account.get(self.domain_field) or ""))
        return Account(
            ref=str(account.get("Id") or ""),
            name=str(account.get("Name") or ""),
            owner=(account.get("Owner") or {}).get("Email"),
            domains=(domain,) if domain else (),
            contacts=tuple(people.get(account.get("Id"), ())),
        )


def domain_of(value: str) -> str:
    """The host of a web site as people type it (`https://www.contoso.example/about`, `contoso.example`)."""
    text = value.strip()
    if not text:
        return ""
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return host.removeprefix("www.")
