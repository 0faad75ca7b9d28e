"""The admin console's register forms: what was typed, as model values, or a message for each field that is wrong.

Holds the parsing and the checks that need nothing stored (addresses through
model.normalise_address, dates, their order, the successor not being the
leaver), the wording of the checks that do (an address that belongs to
someone else, or that is no employee's: the services look it up and these
functions name it, with server.directory's rules), and the typed values of a
stored record for filling a form again.

Pure: stdlib, server.model and server.directory only. Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Generic, TypeVar

from ..directory import employee_address_problem
from ..model import Address, Departure, InvalidAddress, normalise_address, normalise_domain

T = TypeVar("T")
MAX_NAME_LENGTH = 200  # client_accounts.name and client_contacts.name (server/tables.py)
MAX_REASON_LENGTH = 1000  # why a departure was deleted: a sentence or two for the audit log
_LIST_SEPARATORS = re.compile(r"[\s,;]+")
DEPARTURE_FIELDS = (
    "email",
    "notice_date",
    "last_working_date",
    "garden_leave_date",
    "successor",
    "aliases",
    "personal_addresses",
)


@dataclass(frozen=True, slots=True)
class FormResult(Generic[T]):
    """The value a form describes, or (value None) a message for each field that is wrong."""

    value: T | None
    errors: dict[str, str] = field(default_factory=dict)


class _Fields:
    """The typed fields of one form being read, and the problems found in them."""

    def __init__(self, typed: Mapping[str, str]):
        self.typed = typed
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        return (self.typed.get(name) or "").strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def address(self, name: str, *, required: bool = False) -> Address | None:
        value = self.text(name)
        if not value:
            if required:
                self.fail(name, "is required")
            return None
        try:
            return normalise_address(value)
        except InvalidAddress as exc:
            self.fail(name, f"{value!r} is not an e-mail address: {exc.reason}")
            return None

    def addresses(self, name: str) -> tuple[Address, ...]:
        """A list of addresses typed one a line (or separated by commas, semicolons or spaces)."""
        found, wrong = {}, []
        for value in filter(None, _LIST_SEPARATORS.split(self.text(name))):
            try:
                address = normalise_address(value)
            except InvalidAddress as exc:
                wrong.append(f"{value!r} ({exc.reason})")
            else:
                found.setdefault(address.key, address)
        if wrong:
            self.fail(name, "not e-mail addresses: " + "; ".join(wrong))
        return tuple(found.values())

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.text(name)
        if not value:
            if required:
                self.fail(name, "is required")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def name(self, name: str, *, required: bool = False) -> str:
        value = self.text(name)
        if required and not value:
            self.fail(name, "is required")
        elif len(value) > MAX_NAME_LENGTH:
            self.fail(name, f"is longer than {MAX_NAME_LENGTH} characters")
        return value


# --- departures ----------------------------------------------------------------------


def departure_from_form(typed: Mapping[str, str]) -> FormResult[Departure]:
    """A Departure (active, entered by hand) from the departure form, or what is wrong with each field."""
    fields = _Fields(typed)
    email, successor = fields.address("email", required=True), fields.address("successor")
    notice, last = fields.date("notice_date", required=True), fields.date("last_working_date", required=True)
    garden = fields.date("garden_leave_date")
    aliases = tuple(a for a in fields.addresses("aliases") if email is None or a.key != email.key)
    personal = fields.addresses("personal_addresses")
    _check_dates(fields, notice, last, garden)
    _check_people(fields, email, aliases, successor, personal)
    if fields.errors:
        return FormResult(None, fields.errors)
    departure = Departure(email.email, notice, last, garden, successor.email if successor else None)
    return FormResult(replace(departure, aliases=_emails(aliases), personal_addresses=_emails(personal)))


def _check_people(
    fields: _Fields,
    email: Address | None,
    aliases: tuple[Address, ...],
    successor: Address | None,
    personal: tuple[Address, ...],
) -> None:
    """The successor is someone else; personal addresses are not work addresses of the leaver."""
    work_keys = {a.key for a in (email, *aliases) if a is not None}
    if successor and successor.key in work_keys:
        fields.fail("successor", "is the leaver themselves; name the colleague who takes over")
    if clash := [a.email for a in personal if a.key in work_keys]:
        fields.fail("personal_addresses", f"{', '.join(clash)}: a work address of the leaver, not a personal one")


def deletion_reason(typed: Mapping[str, str]) -> FormResult[str]:
    """Why a departure is deleted, as the admin typed it (required: the audit log keeps it)."""
    fields = _Fields(typed)
    reason = fields.text("reason")
    if not reason:
        fields.fail("reason", "is required: say why this record was a mistake")
    elif len(reason) > MAX_REASON_LENGTH:
        fields.fail("reason", f"is longer than {MAX_REASON_LENGTH} characters")
    return FormResult(None, fields.errors) if fields.errors else FormResult(reason)


def _emails(addresses: tuple[Address, ...]) -> tuple[str, ...]:
    return tuple(sorted(a.email for a in addresses))


def _check_dates(fields: _Fields, notice: date | None, last: date | None, garden: date | None) -> None:
    if notice and last and last < notice:
        fields.fail("last_working_date", f"is before the notice date ({notice.isoformat()})")
    if garden and notice and last and not notice <= garden <= last:
        period = f"{notice.isoformat()} to {last.isoformat()}"
        fields.fail("garden_leave_date", f"must be within the notice period ({period})")


def departure_fields(departure: Departure) -> dict[str, str]:
    """The form's fields filled with a departure's values."""
    return {
        "email": departure.email,
        "notice_date": departure.notice_date.isoformat(),
        "last_working_date": departure.last_working_date.isoformat(),
        "garden_leave_date": departure.garden_leave_date.isoformat() if departure.garden_leave_date else "",
        "successor": departure.successor or "",
        "aliases": "\n".join(departure.aliases),
        "personal_addresses": "\n".join(departure.personal_addresses),
    }


def sends_as(departure: Departure) -> dict[str, str]:
    """The address keys a departure sends as, with the form field each comes from."""
    keys = {normalise_address(alias).key: "aliases" for alias in departure.aliases}
    return keys | {normalise_address(departure.email).key: "email"}


def taken_addresses(departure: Departure, owners: Mapping[str, str]) -> dict[str, str]:
    """Messages for the addresses of `departure` that other leavers send as (`owners`: key -> their address)."""
    return _by_field(
        departure, lambda address: owners.get(address.key) and f"is already an address of {owners[address.key]}"
    )


def no_employee_addresses(
    departure: Departure, internal_domains: frozenset[str], contacts: Mapping[str, str]
) -> dict[str, str]:
    """Messages for the addresses of `departure` that are no employee's: outside the company's domains, or a
    client's contact (`contacts`: key -> the account's name)."""
    return _by_field(departure, lambda address: employee_address_problem(address, internal_domains, contacts))


def _by_field(departure: Departure, problem) -> dict[str, str]:
    """`problem(address)` of each address `departure` sends as, as messages by form field."""
    errors: dict[str, list[str]] = {}
    fields = sends_as(departure)
    for email in (departure.email, *departure.aliases):
        address = normalise_address(email)
        if found := problem(address):
            errors.setdefault(fields[address.key], []).append(f"{email} {found}")
    return {name: "; ".join(messages) for name, messages in errors.items()}


# --- client accounts ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountInput:
    name: str
    owner: str | None


def account_from_form(typed: Mapping[str, str]) -> FormResult[AccountInput]:
    fields = _Fields(typed)
    name = fields.name("name", required=True)
    owner = fields.address("owner")
    if fields.errors:
        return FormResult(None, fields.errors)
    return FormResult(AccountInput(name, owner.email if owner else None))


def domain_from_form(typed: Mapping[str, str]) -> FormResult[str]:
    value = (typed.get("domain") or "").strip()
    if not value:
        return FormResult(None, {"domain": "is required"})
    try:
        return FormResult(normalise_domain(value.removeprefix("@")))
    except ValueError as exc:
        return FormResult(None, {"domain": f"{value!r} is not a domain name: {exc}"})


def contact_from_form(typed: Mapping[str, str]) -> FormResult[tuple[Address, str]]:
    fields = _Fields(typed)
    address = fields.address("contact_email", required=True)
    name = fields.name("contact_name")
    if fields.errors:
        return FormResult(None, fields.errors)
    return FormResult((address, name))
