"""The hubspot and salesforce connectors against recorded-shape answers: paging, throttling, tokens, a malformed
record (skipped, the rest applied), an empty answer (nothing deleted)."""

from __future__ import annotations

import pytest
import responses
from responses import matchers
from sqlalchemy import select

from server import tables
from server.sync import connectors
from server.sync.connectors.crm import domain_of
from server.sync.records import RunStatus
from server.sync.service import SyncSettings, run_once

from ..builders import NOW

SETTINGS = SyncSettings(max_drop_share=0.5, retries=0)
HUB = "https://api.hubapi.com/crm/v3"
SF = "https://northwind.my.salesforce.com"
QUERY = f"{SF}/services/data/v62.0/query"


def clock():
    return NOW


def no_sleep(_seconds):
    pass


def directory(engine) -> dict[str, tuple]:
    """Account name -> (owner, domains, contacts), as stored."""
    accounts, domains, contacts = tables.client_accounts, tables.client_domains, tables.client_contacts
    with engine.connect() as conn:
        rows = conn.execute(select(accounts.c.id, accounts.c.name, accounts.c.owner_email)).all()
        found = {}
        for account_id, name, owner in rows:
            ds = sorted(conn.scalars(select(domains.c.domain).where(domains.c.account_id == account_id)))
            cs = sorted(conn.scalars(select(contacts.c.email).where(contacts.c.account_id == account_id)))
            found[name] = (owner, ds, cs)
    return found


# --- HubSpot ------------------------------------------------------------------------------------------


def company(cid, name, domain, extra="", owner="7", contacts=()):
    properties = {"name": name, "domain": domain, "hs_additional_domains": extra, "hubspot_owner_id": owner}
    associations = {"contacts": {"results": [{"id": c, "type": "company_to_contact"} for c in contacts]}}
    return {"id": cid, "properties": properties, "associations": associations}


def hubspot():
    return connectors.build("hubspot", {"HUBSPOT_TOKEN": "pat-na1-secret"}, sleep=no_sleep)


@responses.activate
def test_hubspot_companies_are_paged_with_their_contacts_domains_and_owner(engine):
    responses.get(f"{HUB}/owners", json={"results": [{"id": "7", "email": "bob@northwind.example"}]})
    page_one = {
        "results": [company("1", "Contoso Ltd", "contoso.example", "contoso.test; contoso.org", contacts=("11", "12"))],
        "paging": {"next": {"after": "1"}},
    }
    responses.get(
        f"{HUB}/objects/companies",
        json=page_one,
        match=[
            matchers.query_param_matcher(
                {
                    "limit": "100",
                    "properties": "name,domain,hs_additional_domains,hubspot_owner_id",
                    "associations": "contacts",
                    "archived": "false",
                }
            )
        ],
    )
    responses.get(f"{HUB}/objects/companies", status=429, headers={"Retry-After": "10"})
    responses.get(
        f"{HUB}/objects/companies",
        json={
            "results": [company("2", "", "nameless.example"), company("3", "Fabrikam", "fabrikam.example", owner="")]
        },
    )
    people = [
        {"id": "11", "properties": {"email": "kim@contoso.example", "firstname": "Kim", "lastname": "Lee"}},
        {"id": "12", "properties": {"email": None, "firstname": "Phone only"}},
    ]
    responses.post(f"{HUB}/objects/contacts/batch/read", json={"status": "COMPLETE", "results": people})

    run = run_once(engine, hubspot(), SETTINGS, clock=clock)

    assert (run.status, run.added, run.skipped) == (RunStatus.SUCCESS, 3, 0)
    assert directory(engine) == {
        "Contoso Ltd": (
            "bob@northwind.example",
            ["contoso.example", "contoso.org", "contoso.test"],
            ["kim@contoso.example"],
        ),
        "nameless.example": ("bob@northwind.example", ["nameless.example"], []),  # named after its domain
        "Fabrikam": (None, ["fabrikam.example"], []),
    }
    assert responses.calls[1].request.headers["Authorization"] == "Bearer pat-na1-secret"


@responses.activate
def test_a_malformed_hubspot_company_is_skipped_and_an_empty_answer_deletes_nothing(engine):
    responses.get(f"{HUB}/owners", json={"results": []})
    responses.get(
        f"{HUB}/objects/companies",
        json={"results": [company("1", "Contoso", "contoso.example"), company("", "No id", "x.example")]},
    )
    responses.get(f"{HUB}/objects/companies", json={"results": []})
    responses.post(f"{HUB}/objects/contacts/batch/read", json={"results": []})

    first = run_once(engine, hubspot(), SETTINGS, clock=clock)
    empty = run_once(engine, hubspot(), SETTINGS, clock=clock)

    assert (first.added, first.errors) == (1, ("No id: has no id in the source",))
    assert (empty.status, list(directory(engine))) == (RunStatus.REFUSED, ["Contoso"])


@responses.activate
def test_a_refused_hubspot_token_is_a_clear_failure_without_the_token(engine):
    responses.get(f"{HUB}/owners", status=401, json={"status": "error", "message": "expired"})

    run = run_once(engine, hubspot(), SETTINGS, clock=clock)

    assert run.errors == ("HubSpot: the private app token was refused (401): check LEAVERGUARD_HUBSPOT_TOKEN",)


# --- Salesforce -----------------------------------------------------------------------------------------


def salesforce(domain_field="Website"):
    config = {
        "SALESFORCE_URL": SF,
        "SALESFORCE_CLIENT_ID": "3MVG9consumerkey",
        "SALESFORCE_CLIENT_SECRET": "sf-consumer-secret",
        "SYNC_SALESFORCE_DOMAIN_FIELD": domain_field,
    }
    return connectors.build("salesforce", config, sleep=no_sleep)


def token(value):
    responses.post(
        f"{SF}/services/oauth2/token", json={"access_token": value, "instance_url": SF, "token_type": "Bearer"}
    )


def soql(text):
    return [matchers.query_param_matcher({"q": text})]


CONTACTS = "SELECT Id, Email, Name, AccountId FROM Contact WHERE AccountId != null AND Email != null"
ACCOUNTS = "SELECT Id, Name, Website, Owner.Email FROM Account"


@responses.activate
def test_salesforce_accounts_and_contacts_are_paged_and_an_expired_token_is_renewed_once(engine):
    token("t1")
    token("t2")
    responses.get(
        QUERY,
        status=401,
        json=[{"errorCode": "INVALID_SESSION_ID", "message": "Session expired"}],
        match=soql(CONTACTS),
    )
    contacts = [{"Id": "c1", "Email": "kim@contoso.example", "Name": "Kim Lee", "AccountId": "a1"}]
    responses.get(QUERY, json={"done": True, "records": contacts}, match=soql(CONTACTS))
    first = [
        {
            "Id": "a1",
            "Name": "Contoso",
            "Website": "https://www.contoso.example/en",
            "Owner": {"Email": "bob@northwind.example"},
        }
    ]
    responses.get(
        QUERY,
        json={"done": False, "records": first, "nextRecordsUrl": "/services/data/v62.0/query/01g-2000"},
        match=soql(ACCOUNTS),
    )
    responses.get(f"{QUERY}/01g-2000", status=503)
    second = [
        {"Id": "a2", "Name": "Fabrikam", "Website": "fabrikam.example", "Owner": None},
        {"Id": "a3", "Name": None, "Website": None},
    ]
    responses.get(f"{QUERY}/01g-2000", json={"done": True, "records": second})

    run = run_once(engine, salesforce(), SETTINGS, clock=clock)

    assert (run.added, run.skipped, run.errors) == (2, 1, ("a3: has no name",))
    assert directory(engine) == {
        "Contoso": ("bob@northwind.example", ["contoso.example"], ["kim@contoso.example"]),
        "Fabrikam": (None, ["fabrikam.example"], []),
    }
    token_request = responses.calls[0].request
    assert "grant_type=client_credentials" in token_request.body


@responses.activate
def test_an_empty_salesforce_answer_deletes_nothing(engine):
    token("t1")
    responses.get(QUERY, json={"done": True, "records": []}, match=soql(CONTACTS))
    responses.get(
        QUERY,
        json={"done": True, "records": [{"Id": "a1", "Name": "Contoso", "Website": "contoso.example"}]},
        match=soql(ACCOUNTS),
    )
    responses.get(QUERY, json={"done": True, "records": []}, match=soql(ACCOUNTS))  # the second answer
    run_once(engine, salesforce(), SETTINGS, clock=clock)

    run = run_once(engine, salesforce(), SETTINGS, clock=clock)

    assert (run.status, list(directory(engine))) == (RunStatus.REFUSED, ["Contoso"])


@responses.activate
def test_refused_salesforce_credentials_fail_the_run_without_the_secret(engine):
    responses.post(
        f"{SF}/services/oauth2/token",
        status=400,
        json={"error": "invalid_client", "error_description": "invalid client credentials"},
    )

    run = run_once(engine, salesforce(), SETTINGS, clock=clock)

    assert run.status == RunStatus.FAILED
    assert "invalid_client: invalid client credentials" in run.errors[0] and "sf-consumer-secret" not in run.errors[0]


def test_a_domain_field_that_is_not_a_field_name_is_refused_before_it_reaches_soql():
    with pytest.raises(connectors.SourceUnavailable, match="is not a field name"):
        salesforce("Website FROM User --")


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.contoso.example/about", "contoso.example"),
        ("contoso.example", "contoso.example"),
        ("http://sales.contoso.example:8080", "sales.contoso.example"),
        ("", ""),
    ],
)
def test_a_web_site_is_reduced_to_its_domain(website, domain):
    assert domain_of(website) == domain
