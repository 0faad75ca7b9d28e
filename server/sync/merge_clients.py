"""The merge rules of a CRM's answer about client accounts (the shared rules are in merge.py's docstring).

An account is found by its CRM id (names are neither unique nor stable: two of
one name are told apart by the id); its domains and contacts are replaced by
what the CRM lists, except a value another source's or a hand-entered account
holds (a conflict), one an earlier account of the answer took, one that is not
an address or a domain, and a domain the registers' rules refuse (the company's,
webmail: server.directory), each left out and reported while the rest applies.

Pure: stdlib, server.model and server.directory only. Must not import Flask, SQLAlchemy, the store or an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..directory import client_domain_problem
from ..model import normalise_domain
from .merge import _address, _Merge
from .records import Account, Claims, Conflict, Plan, PlannedAccount, Problem, Rules

MAX_NAME_LENGTH = 200


def plan_clients(
    records: Sequence[Account], owned: Mapping[str, PlannedAccount], others: Claims, rules: Rules
) -> Plan[PlannedAccount]:
    """The plan for one answer of a CRM; `owned` are the source's stored accounts by CRM id."""
    merge = _ClientMerge(owned, others, rules)
    for record in records:
        merge.take(record)
    return merge.plan()


class _ClientMerge(_Merge[PlannedAccount]):
    def __init__(self, owned: Mapping[str, PlannedAccount], others: Claims, rules: Rules):
        super().__init__(owned, others, rules)
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.contacts: set[str] = set()

    def take(self, record: Account) -> None:
        if not record.ref:
            self.skipped.append(Problem(record.name or "?", "has no id in the source"))
            return
        if record.ref in self.listed:
            self.skipped.append(Problem(record.ref, "is listed twice in the answer"))
            return
        self.listed.add(record.ref)
        name = record.name.strip()
        problems = list(record.problems) + _name_problems(name)
        if problems:
            self.skipped.extend(Problem(record.ref, p) for p in problems)
        elif name in self.others.names:
            self.conflicts.append(Conflict("account", name, self.others.names[name], record.ref))
        else:
            self._plan(self._account(record, self._unique_name(name, record.ref)))

    def _unique_name(self, name: str, ref: str) -> str:
        """The name, told apart by the CRM id when two accounts of the answer share it (CRM names are not unique)."""
        if name in self.names:
            name = f"{name[: MAX_NAME_LENGTH - len(ref) - 3]} ({ref})"
        self.names.add(name)
        return name

    def _account(self, record: Account, name: str) -> PlannedAccount:
        owner = _address(record.owner)
        if record.owner and owner is None:
            self.problems.append(Problem(record.ref, f"owner {record.owner!r} is not an e-mail address; left out"))
        stored = self.owned.get(record.ref)
        return PlannedAccount(
            ref=record.ref,
            name=name,
            owner=owner.email if owner else None,
            domains=self._domains(record),
            contacts=self._contacts(record),
            id=stored.id if stored else None,
        )

    def _domains(self, record: Account) -> tuple[str, ...]:
        kept = []
        for value in record.domains:
            try:
                domain = normalise_domain(value)
            except ValueError as exc:
                self.problems.append(Problem(record.ref, f"domain {value!r} left out: {exc}"))
                continue
            if refused := client_domain_problem(domain, self.rules.policy):
                self.problems.append(Problem(record.ref, f"domain {domain} {refused}; left out"))
            elif domain in self.others.domains:
                account, source = self.others.domains[domain]
                self.conflicts.append(Conflict("domain", domain, f"{source} ({account})", record.ref))
            elif domain in self.domains:
                self.problems.append(Problem(record.ref, f"domain {domain} belongs to an earlier account; left out"))
            else:
                self.domains.add(domain)
                kept.append(domain)
        return tuple(sorted(kept))

    def _contacts(self, record: Account) -> tuple[tuple[str, str, str], ...]:
        kept = []
        for contact in record.contacts:
            address = _address(contact.email)
            if address is None:
                self.problems.append(Problem(record.ref, f"contact {contact.email!r} is not an e-mail address"))
            elif address.key in self.others.contacts:
                account, source = self.others.contacts[address.key]
                self.conflicts.append(Conflict("contact", address.email, f"{source} ({account})", record.ref))
            elif address.key in self.contacts:
                self.problems.append(Problem(record.ref, f"contact {address.email} belongs to an earlier account"))
            else:
                self.contacts.add(address.key)
                kept.append((address.key, address.email, contact.name.strip()[:MAX_NAME_LENGTH]))
        return tuple(sorted(kept))

    def _plan(self, account: PlannedAccount) -> None:
        stored = self.owned.get(account.ref)
        self._sort(stored, account, stored is not None and stored.same_as(account))

    def plan(self) -> Plan[PlannedAccount]:
        return self._finish(tuple(sorted(self.owned[ref].id for ref in self.owned if ref not in self.listed)))


def _name_problems(name: str) -> list[str]:
    if not name:
        return ["has no name"]
    if len(name) > MAX_NAME_LENGTH:
        return [f"name is longer than {MAX_NAME_LENGTH} characters"]
    return []
