"""The clients format: its columns, a row as a ClientRow, and the problem of a key two rows disagree on.

`Account, Domain, ContactEmail, ContactName, OwnerEmail`, one row a domain or a
contact (or both) of an account. Whether two rows disagree is checked across
the file, in SQL (server/bulk_clients.py); only its wording is here. A domain the
policy refuses as a client domain (the company's, webmail: server.directory) is
a problem of its row.

Pure: stdlib, server.model and server.directory only. Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..directory import client_domain_problem
from ..model import Address, PolicySettings
from .cells import Parsed, RowParser
from .reading import CsvFormat, LineError, Record

CLIENTS = CsvFormat(
    "clients",
    columns=("Account", "Domain", "ContactEmail", "ContactName", "OwnerEmail"),
    required=("Account",),
    one_of=("Domain", "ContactEmail"),
)


@dataclass(frozen=True, slots=True)
class ClientRow:
    """One row of a clients file: a domain or a contact (or both) of an account."""

    account: str
    domain: str | None
    contact: Address | None
    contact_name: str
    owner: str | None


def parse_client(record: Record, settings: PolicySettings | None = None) -> Parsed[ClientRow]:
    """One row of a clients file as a ClientRow; whether two rows disagree is checked across the file.

    With `settings`, a domain that may not be a client domain under them is a problem of the row.
    """
    row = RowParser(record)
    account = row.name("Account", required=True)
    domain = row.domain("Domain")
    if domain and settings and (problem := client_domain_problem(domain, settings)):
        row.fail("Domain", problem)
    contact = row.address("ContactEmail")
    name = row.name("ContactName")
    owner = row.address("OwnerEmail", repeated=True)
    if not row.text("Domain") and not row.text("ContactEmail"):
        row.fail("", "needs a Domain or a ContactEmail (or both)", "")
    elif name and not row.text("ContactEmail"):
        row.fail("ContactName", "is given without a ContactEmail")
    if row.errors:
        return Parsed(row.line, None, tuple(row.errors))
    return Parsed(row.line, ClientRow(account, domain, contact, name, owner.email if owner else None))


def claimed_twice(line: int, column: str, value: str, first_line: int, first: str) -> LineError:
    """The problem of a later row that gives `value` to another account (or an account another owner)."""
    if column == "OwnerEmail":
        return LineError(line, column, value, f"differs from the account's owner on line {first_line} ({first})")
    return LineError(line, column, value, f"already belongs to account {first!r} on line {first_line}")
