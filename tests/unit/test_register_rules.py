"""What the registers refuse, as tables: client domains that are the company's or webmail, leavers outside it."""

from __future__ import annotations

import pytest

from server.directory import client_contact_problem, client_domain_problem, work_address_problem
from server.model import PolicySettings, normalise_address

SETTINGS = PolicySettings(
    internal_domains=frozenset({"northwind.example", "eu.northwind-group.example"}),
    webmail_domains=frozenset({"gmail.com", "gmx.*", "yahoo.co.example"}),
)


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("northwind.example", "is one of the company's own domains: its addresses are colleagues, not clients"),
        ("mail.northwind.example", "is under the company's domain northwind.example"),
        ("northwind-group.example", "is a parent of the company's domain eu.northwind-group.example"),
        ("gmail.com", "is a consumer webmail domain (the policy's webmail list)"),
        ("gmx.de", "is a consumer webmail domain"),
        ("gmx.net", "is a consumer webmail domain"),
        ("co.example", "is a parent of the consumer webmail domain yahoo.co.example"),
    ],
)
def test_a_company_or_webmail_domain_or_one_above_them_is_no_client_domain(domain, problem):
    assert problem in client_domain_problem(domain, SETTINGS)


@pytest.mark.parametrize(
    "domain", ["contoso.example", "northwind.example.net", "gmail.com.contoso.example", "mail.gmail.com.example"]
)
def test_a_clients_own_domain_is_fine(domain):
    assert client_domain_problem(domain, SETTINGS) is None


def test_webmail_advice_says_to_add_the_clients_address_as_a_contact():
    assert client_domain_problem("gmail.com", SETTINGS).endswith(
        "every mailbox there would be a client; add the client's own addresses as contacts instead"
    )


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("alice@northwind.example", False),
        ("alice@uk.northwind.example", False),
        ("a@eu.northwind-group.example", False),
        ("alice.private@gmail.com", True),
        ("kim@contoso.example", True),
        ("alice@northwind-group.example", True),
    ],
)
def test_a_leavers_work_address_is_in_a_company_domain(address, refused):
    problem = work_address_problem(normalise_address(address), SETTINGS.internal_domains)

    assert (problem is not None) is refused
    if refused:
        assert problem == (
            "is not in the company's domains (eu.northwind-group.example, northwind.example):"
            " a leaver's work addresses are"
        )


def test_until_the_company_domains_are_set_any_work_address_is_taken():
    assert work_address_problem(normalise_address("kim@contoso.example"), frozenset()) is None


def test_a_client_contact_is_named_with_its_account():
    assert (
        client_contact_problem("Contoso Ltd")
        == "is a contact of the client account 'Contoso Ltd', not an employee's address"
    )
