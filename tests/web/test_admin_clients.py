"""The Clients page: accounts with domains and contacts, search and pagination, the account page and its changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from server import store
from server import tables as t
from server.console import clients_store as directory_store
from server.model import normalise_address

from .register_helpers import (
    ADMIN,
    HR,
    VIEWER,
    audit_kinds,
    count,
    field_error,
    field_value,
    last_audit,
    post,
    signed_in,
    text,
    version_of,
)


def account(engine, name="Contoso Ltd", *, owner="bob@northwind.example", domains=(), contacts=(), source="manual"):
    """An account with its domains and contacts ((address, name) pairs); its id."""
    with engine.begin() as conn:
        account_id = store.ensure_account(conn, name, owner, source, datetime.now(UTC))
        for domain in domains:
            store.add_client_domain(conn, account_id, domain, source)
        for email, contact_name in contacts:
            store.add_client_contact(conn, account_id, normalise_address(email), contact_name, source)
    return account_id


def names_listed(response) -> list[str]:
    return re.findall(r'href="/admin/clients/\d+">([^<]+)</a>', text(response))


def stored_account(engine, account_id):
    with engine.connect() as conn:
        return directory_store.find_account(conn, account_id)


def domains_of(engine, account_id) -> set[str]:
    with engine.connect() as conn:
        query = select(t.client_domains.c.domain).where(t.client_domains.c.account_id == account_id)
        return set(conn.scalars(query))


def contacts_of(engine, account_id) -> set[str]:
    with engine.connect() as conn:
        query = select(t.client_contacts.c.email).where(t.client_contacts.c.account_id == account_id)
        return set(conn.scalars(query))


# --- the list and the searches ---------------------------------------------------------


def test_the_list_shows_each_account_with_domains_contact_count_owner_and_source(admin, engine):
    account(engine, "Contoso Ltd", domains=("contoso.example", "contoso.co.uk", "contoso.de", "contoso.fr"))
    account(engine, "Fabrikam", owner="carol@northwind.example", contacts=[("ana@gmail.com", "Ana")], source="hubspot")

    page = text(admin.get("/admin/clients"))

    assert names_listed(admin.get("/admin/clients")) == ["Contoso Ltd", "Fabrikam"]
    assert "contoso.co.uk, contoso.de, contoso.example and 1 more" in page
    assert "carol@northwind.example" in page and ">hubspot<" in page
    assert re.search(r'data-label="Contacts">1<', page)


def test_contact_counts_stop_at_the_cap_so_a_huge_account_costs_no_more(admin, engine, monkeypatch):
    monkeypatch.setattr(directory_store, "COUNT_CAP", 3)
    account(engine, "Big", contacts=[(f"p{n}@big.example", "") for n in range(5)])
    account(engine, "Small", contacts=[("one@small.example", "")])

    page = text(admin.get("/admin/clients"))

    assert re.findall(r'data-label="Contacts">([^<]+)<', page) == ["3+", "1"]
    assert "Contacts</dt><dd>3+" in text(admin.get(f"/admin/clients/{account(engine, 'Big')}"))


def test_the_accounts_are_paged_by_name_fifty_at_a_time_both_ways(admin, engine):
    for n in range(120):
        account(engine, f"Client {n:03d}")

    first = admin.get("/admin/clients")
    second = admin.get(re.search(r'href="([^"]+)" rel="next"', text(first)).group(1))
    third = admin.get(re.search(r'href="([^"]+)" rel="next"', text(second)).group(1))
    back = admin.get(re.search(r'href="([^"]+)" rel="prev"', text(third)).group(1))

    assert names_listed(first) == [f"Client {n:03d}" for n in range(50)]
    assert names_listed(second) == [f"Client {n:03d}" for n in range(50, 100)]
    assert names_listed(third) == [f"Client {n:03d}" for n in range(100, 120)] and 'rel="next"' not in text(third)
    assert names_listed(back) == names_listed(second)


@pytest.mark.parametrize(
    ("query", "accounts", "domains", "contacts"),
    [
        ("FABRI", ["Fabrikam"], ["fabrikam.example"], []),  # part of a name, any case
        ("contoso", ["Contoso Ltd"], ["contoso.example", "contoso.co.uk"], []),
        ("@contoso.ex", [], ["contoso.example"], []),
        ("kim", [], [], ["kim@contoso.example", "kim.lee@gmail.com"]),
        ("Kim.Lee+news@googlemail.com", [], [], ["kim.lee@gmail.com"]),  # a whole address is matched by its key
        ("zz", [], [], []),
    ],
)
def test_search_finds_account_names_and_domain_and_contact_prefixes(admin, engine, query, accounts, domains, contacts):
    account(engine, "Contoso Ltd", domains=("contoso.example", "contoso.co.uk"), contacts=[("kim@contoso.example", "")])
    account(engine, "Fabrikam", domains=("fabrikam.example",), contacts=[("kim.lee@gmail.com", "Kim Lee")])

    page = text(admin.get("/admin/clients", query_string={"q": query}))

    sections = dict(re.findall(r'<h2 id="h-(\w+)">.*?</h2>(.*?)</section>', page, re.S))
    assert re.findall(r'href="/admin/clients/\d+">([^<]+)</a></th>', sections["accounts"]) == accounts
    assert sorted(re.findall(r'<th scope="row" data-label="Domain">([^<]+)<', sections["domains"])) == sorted(domains)
    assert sorted(re.findall(r'<th scope="row" data-label="Contact">([^<]+)<', sections["contacts"])) == sorted(
        contacts
    )


def test_a_search_section_pages_on_its_own(admin, engine):
    account(engine, "Contoso Ltd", contacts=[(f"kim{n:03d}@contoso.example", "") for n in range(60)])

    first = text(admin.get("/admin/clients", query_string={"q": "kim"}))
    more = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    rest = text(admin.get(more.replace("&amp;", "&")))

    assert len(re.findall(r'data-label="Contact">kim', first)) == 50
    assert re.findall(r'data-label="Contact">(kim\d+)', rest) == [f"kim{n:03d}" for n in range(50, 60)]
    assert 'id="h-accounts"' not in rest


def test_no_page_of_the_directory_skips_rows_with_offset_or_counts_every_contact(admin, engine):
    account_id = account(engine, "Contoso Ltd", domains=("contoso.example",), contacts=[("kim@contoso.example", "")])
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        for path in ("/admin/clients", "/admin/clients?q=kim", f"/admin/clients/{account_id}"):
            assert admin.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listen)

    assert statements and not [s for s in statements if _has_offset(s)]
    contact_counts = [s for s in statements if "count(" in s.lower() and "client_contacts" in s]
    assert contact_counts and all("LIMIT" in s for s in contact_counts)


def _has_offset(statement: str) -> bool:
    """An OFFSET in the SQL. SQLAlchemy's SQLite dialect pairs every LIMIT with an `OFFSET ?` of its own, so there
    only a bare OFFSET counts; the PostgreSQL run sees every one."""
    return "OFFSET" in re.sub(r"LIMIT \? OFFSET \?", "", statement.upper())


# --- the account page and its changes --------------------------------------------------


def test_the_account_page_pages_its_contacts(admin, engine):
    account_id = account(engine, "Contoso Ltd", contacts=[(f"c{n:03d}@contoso.example", f"C {n}") for n in range(70)])

    first = text(admin.get(f"/admin/clients/{account_id}"))
    more = re.search(r'href="([^"]+)" rel="next">More contacts', first).group(1)
    rest = text(admin.get(more.replace("&amp;", "&")))

    assert re.findall(r'data-label="Address">(c\d+)@', first) == [f"c{n:03d}" for n in range(50)]
    assert re.findall(r'data-label="Address">(c\d+)@', rest) == [f"c{n:03d}" for n in range(50, 70)]


def test_an_admin_adds_an_account_and_it_is_audited(admin, engine):
    answer = post(admin, "/admin/clients/new", {"name": "Northwind Traders", "owner": "Bob@Northwind.example"})

    assert answer.status_code == 302
    account_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    added = stored_account(engine, account_id)
    assert (added.name, added.owner, added.source) == ("Northwind Traders", "bob@northwind.example", "manual")
    assert last_audit(engine, "client.account_added")["actor"] == ADMIN


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"name": ""}, "name", "is required"),
        ({"name": "x" * 201}, "name", "is longer than 200 characters"),
        ({"name": "Contoso Ltd"}, "name", "'Contoso Ltd' is already the name of another account"),
        ({"name": "New", "owner": "bob"}, "owner", "is not an e-mail address"),
    ],
)
def test_a_bad_account_is_refused_next_to_its_field_keeping_what_was_typed(admin, engine, typed, field, message):
    account(engine, "Contoso Ltd")

    answer = post(admin, "/admin/clients/new", typed)

    assert answer.status_code == 400 and message in field_error(answer, field)
    assert field_value(answer, "name") == typed["name"]
    assert count(engine, t.client_accounts) == 1


def test_renaming_an_account_and_changing_its_owner_is_audited_with_before_and_after(admin, engine):
    account_id = account(engine, "Contoso", owner="bob@northwind.example")
    opened = admin.get(f"/admin/clients/{account_id}")

    answer = post(
        admin,
        f"/admin/clients/{account_id}",
        {"name": "Contoso Ltd", "owner": "carol@northwind.example", "version": version_of(opened)},
    )

    assert answer.status_code == 302
    assert (stored_account(engine, account_id).name, stored_account(engine, account_id).owner) == (
        "Contoso Ltd",
        "carol@northwind.example",
    )
    details = last_audit(engine, "client.account_saved")["details"]
    assert details["before"]["name"] == "Contoso" and details["after"]["owner"] == "carol@northwind.example"


def test_domains_are_added_and_removed_and_each_change_is_audited(admin, engine):
    account_id = account(engine, "Contoso Ltd")
    path = f"/admin/clients/{account_id}"

    added = post(admin, f"{path}/domains", {"domain": " Contoso.Example. ", "version": version_of(admin.get(path))})
    after_adding = domains_of(engine, account_id)
    removed = post(
        admin, f"{path}/domains/remove", {"domain": "contoso.example", "version": version_of(admin.get(path))}
    )

    assert (added.status_code, removed.status_code) == (302, 302)
    assert after_adding == {"contoso.example"} and domains_of(engine, account_id) == set()
    assert audit_kinds(engine) == ["client.domain_added", "client.domain_removed"]


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("", "is required"),
        ("contoso", "is not a domain name"),
        ("fabrikam.example", "already belongs to the account 'Fabrikam'"),
        ("contoso.example", "already belongs to this account"),
    ],
)
def test_a_bad_domain_is_refused_naming_the_account_that_has_it(admin, engine, domain, message):
    account_id = account(engine, "Contoso Ltd", domains=("contoso.example",))
    account(engine, "Fabrikam", domains=("fabrikam.example",))
    path = f"/admin/clients/{account_id}"

    answer = post(admin, f"{path}/domains", {"domain": domain, "version": version_of(admin.get(path))})

    assert answer.status_code == 400 and message in field_error(answer, "domain")
    assert field_value(answer, "domain") == domain
    assert domains_of(engine, account_id) == {"contoso.example"} and audit_kinds(engine) == []


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("gmail.com", "gmail.com is a consumer webmail domain (the policy's webmail list)"),
        ("GMX.de", "gmx.de is a consumer webmail domain"),
        ("northwind.example", "northwind.example is one of the company's own domains"),
        ("mail.northwind.example", "mail.northwind.example is under the company's domain northwind.example"),
        ("northwind-group.example", "is a parent of the company's domain eu.northwind-group.example"),
    ],
)
def test_a_company_or_webmail_domain_is_refused_with_the_reason(admin, engine, domain, message):
    with engine.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example", "eu.northwind-group.example"], datetime.now(UTC))
    account_id = account(engine, "Contoso Ltd")
    path = f"/admin/clients/{account_id}"

    answer = post(admin, f"{path}/domains", {"domain": domain, "version": version_of(admin.get(path))})

    assert answer.status_code == 400 and message in field_error(answer, "domain")
    assert "Domain added." not in text(answer)
    assert domains_of(engine, account_id) == set() and audit_kinds(engine) == []


def test_contacts_are_added_and_removed(admin, engine):
    account_id = account(engine, "Contoso Ltd")
    path = f"/admin/clients/{account_id}"

    post(
        admin,
        f"{path}/contacts",
        {"contact_email": "Kim@Contoso.example", "contact_name": "Kim Akers", "version": version_of(admin.get(path))},
    )
    after_adding = contacts_of(engine, account_id)
    post(admin, f"{path}/contacts/remove", {"key": "kim@contoso.example", "version": version_of(admin.get(path))})

    assert after_adding == {"kim@contoso.example"} and contacts_of(engine, account_id) == set()
    assert audit_kinds(engine) == ["client.contact_added", "client.contact_removed"]


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"contact_email": ""}, "contact_email", "is required"),
        ({"contact_email": "kim@"}, "contact_email", "is not an e-mail address"),
        ({"contact_email": "ana.garcia@googlemail.com"}, "contact_email", "already belongs to the account 'Fabrikam'"),
        ({"contact_email": "new@contoso.example", "contact_name": "n" * 201}, "contact_name", "longer than 200"),
    ],
)
def test_a_bad_contact_is_refused_naming_the_account_that_has_it(admin, engine, typed, field, message):
    account_id = account(engine, "Contoso Ltd")
    account(engine, "Fabrikam", contacts=[("ana.garcia@gmail.com", "Ana")])
    path = f"/admin/clients/{account_id}"

    answer = post(admin, f"{path}/contacts", {**typed, "version": version_of(admin.get(path))})

    assert answer.status_code == 400 and message in field_error(answer, field)
    assert contacts_of(engine, account_id) == set()


def test_deleting_an_account_asks_first_then_takes_its_domains_and_contacts_with_it(admin, engine):
    account_id = account(engine, "Contoso Ltd", domains=("contoso.example",), contacts=[("kim@contoso.example", "")])

    confirm = admin.get(f"/admin/clients/{account_id}/delete")
    answer = post(admin, f"/admin/clients/{account_id}/delete", {"version": version_of(confirm)})

    assert "1 domains and 1 contacts are deleted with it" in text(confirm)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/clients"
    assert count(engine, t.client_accounts) == count(engine, t.client_domains) == count(engine, t.client_contacts) == 0
    assert last_audit(engine, "client.account_deleted")["details"]["name"] == "Contoso Ltd"


# --- concurrent changes -----------------------------------------------------------------


def test_a_concurrent_change_gets_a_409_with_the_current_values_and_nothing_is_overwritten(console, engine):
    account_id = account(engine, "Contoso", owner="bob@northwind.example")
    ada, other = signed_in(console.test_client(), ADMIN), signed_in(console.test_client(), ADMIN)
    path = f"/admin/clients/{account_id}"
    opened_by_ada, opened_by_other = ada.get(path), other.get(path)
    post(other, path, {"name": "Contoso", "owner": "carol@northwind.example", "version": version_of(opened_by_other)})

    answer = post(
        ada, path, {"name": "Contoso Ltd", "owner": "dave@northwind.example", "version": version_of(opened_by_ada)}
    )

    assert answer.status_code == 409 and "changed by someone else since you opened it" in text(answer)
    assert field_value(answer, "owner") == "carol@northwind.example" and "dave@northwind.example" in text(answer)
    assert (stored_account(engine, account_id).name, stored_account(engine, account_id).owner) == (
        "Contoso",
        "carol@northwind.example",
    )


def test_a_change_to_a_domain_or_contact_moves_the_accounts_version_on(admin, engine):
    account_id = account(engine, "Contoso")
    path = f"/admin/clients/{account_id}"
    opened = version_of(admin.get(path))
    post(admin, f"{path}/domains", {"domain": "contoso.example", "version": opened})

    answers = [
        post(admin, path, {"name": "Renamed", "version": opened}).status_code,
        post(admin, f"{path}/contacts", {"contact_email": "kim@contoso.example", "version": opened}).status_code,
        post(admin, f"{path}/delete", {"version": opened}).status_code,
    ]

    assert answers == [409, 409, 409]
    assert stored_account(engine, account_id).name == "Contoso" and contacts_of(engine, account_id) == set()


def test_changing_an_account_that_was_deleted_meanwhile_is_a_404(admin, engine):
    account_id = account(engine, "Contoso")
    opened = version_of(admin.get(f"/admin/clients/{account_id}"))
    with engine.begin() as conn:
        conn.execute(t.client_accounts.delete())

    answer = post(admin, f"/admin/clients/{account_id}/domains", {"domain": "contoso.example", "version": opened})

    assert answer.status_code == 404 and count(engine, t.client_domains) == 0


# --- synced accounts -------------------------------------------------------------------


def test_a_synced_account_warns_that_the_next_sync_may_overwrite_and_can_be_taken_over(admin, engine):
    account_id = account(engine, "Contoso", source="hubspot")
    path = f"/admin/clients/{account_id}"
    opened = admin.get(path)

    post(admin, path, {"name": "Contoso", "owner": "bob@northwind.example", "version": version_of(opened)})
    kept = stored_account(engine, account_id).source
    post(admin, path, {"name": "Contoso", "take_over": "1", "version": version_of(admin.get(path))})

    assert "the sync's next run may overwrite your changes" in text(opened)
    assert (kept, stored_account(engine, account_id).source) == ("hubspot", "manual")


# --- who may do what -------------------------------------------------------------------


def _every_post(account_id: int) -> list[str]:
    base = f"/admin/clients/{account_id}"
    return [
        "/admin/clients/new",
        base,
        f"{base}/domains",
        f"{base}/domains/remove",
        f"{base}/contacts",
        f"{base}/contacts/remove",
        f"{base}/delete",
    ]


@pytest.mark.parametrize("person", [VIEWER, HR])
def test_viewers_and_hr_get_403_on_every_post_and_nothing_changes(console, engine, person):
    account_id = account(engine, "Contoso", domains=("contoso.example",), contacts=[("kim@contoso.example", "")])
    version = version_of(signed_in(console.test_client(), ADMIN).get(f"/admin/clients/{account_id}"))
    client = signed_in(console.test_client(), person)
    data = {"name": "X", "domain": "contoso.example", "key": "kim@contoso.example", "contact_email": "a@b.example"}

    answers = {path: post(client, path, {**data, "version": version}).status_code for path in _every_post(account_id)}

    assert set(answers.values()) == {403}
    assert stored_account(engine, account_id).name == "Contoso" and count(engine, t.client_accounts) == 1
    assert domains_of(engine, account_id) == {"contoso.example"} and contacts_of(engine, account_id) == {
        "kim@contoso.example"
    }


@pytest.mark.parametrize("person", [VIEWER, HR])
def test_viewers_and_hr_see_the_directory_without_any_button_that_changes_it(console, engine, person):
    account_id = account(engine, "Contoso", domains=("contoso.example",), contacts=[("kim@contoso.example", "")])
    client = signed_in(console.test_client(), person)

    listing, page = text(client.get("/admin/clients")), text(client.get(f"/admin/clients/{account_id}"))

    assert "Contoso" in listing and "Add an account" not in listing and "multipart/form-data" not in listing
    assert "kim@contoso.example" in page and 'method="post"' not in page.split("<main>")[1]
    assert client.get(f"/admin/clients/{account_id}/delete").status_code == 403


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(admin, engine):
    account_id = account(engine, "Contoso")
    version = version_of(admin.get(f"/admin/clients/{account_id}"))

    answer = admin.post(f"/admin/clients/{account_id}/domains", data={"domain": "contoso.example", "version": version})

    assert answer.status_code == 400 and domains_of(engine, account_id) == set()


def test_an_unknown_account_is_a_404(admin):
    assert admin.get("/admin/clients/999999").status_code == 404
