"""The leavers group (google-group): a Google group kept equal to the employees on notice, for Gmail's DLP rules.

The one connector that writes to its outside system. `on_notice()` picks, from the
register, who is on notice or on garden leave on the company's today; `plan()` (pure)
compares them with the group's members, matching a member by the leaver's primary
address or an alias (Google lists a member by its primary address), so a second run
changes nothing. The connector lists the members first (nothing is written when that
fails), then adds and removes one member at a time, reporting each failure. Owners,
managers and members that are not users (a nested group, the whole customer) are never
removed: they are reported, since a DLP rule scoped to the group covers them too.
A run that would empty the group changes nothing and is refused unless an admin passes
--accept-drop: a register wiped by mistake must not lift the Gmail quarantine from
everyone on notice. (No share-of-members guard as for other syncs: people leaving the
group as their last day passes is the normal churn of a small group.)

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ...adapters.google_directory import GoogleDirectoryError, GroupMembers
from ...directory import phase_of
from ...model import Departure, InvalidAddress, Phase, normalise_address
from ..records import Kind, Problem, Rules

ON_NOTICE = (Phase.NOTICE, Phase.GARDEN_LEAVE)
_EMPTY_REGISTER = (
    "the register has nobody on notice, so every one of the group's {count} members would be removed;"
    " nothing was changed (run `sync google-group --accept-drop` if that is right)"
)


@dataclass(frozen=True, slots=True)
class MembershipPlan:
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    left_alone: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Pushed:
    """What a run did to the group; `failed` when a change the group needed could not be made."""

    added: int = 0
    removed: int = 0
    skipped: int = 0
    problems: tuple[Problem, ...] = ()
    failed: bool = False
    refused: str | None = None  # why nothing was changed, when the removals were too many


def on_notice(departures: Iterable[Departure], today: date) -> list[Departure]:
    return [d for d in departures if phase_of(d, today) in ON_NOTICE]


def plan(leavers: Sequence[Departure], members: Sequence[dict]) -> MembershipPlan:
    """Who to add (leavers not in the group) and remove (plain user members who are not leavers)."""
    owners = {_key(address): leaver.email for leaver in leavers for address in (leaver.email, *leaver.aliases)}
    present = {_key(str(m.get("email") or "")) for m in members}
    add = tuple(
        leaver.email for leaver in leavers if not any(_key(a) in present for a in (leaver.email, *leaver.aliases))
    )
    remove, left_alone = [], []
    for member in members:
        email = str(member.get("email") or "")
        if _key(email) in owners:
            continue
        if member.get("role", "MEMBER") == "MEMBER" and member.get("type", "USER") == "USER":
            remove.append(email)
        else:
            kind = f"{member.get('type', 'USER').lower()} {member.get('role', 'MEMBER').lower()}"
            left_alone.append(Problem(email, f"is a {kind} of the group, not on notice: left in place"))
    return MembershipPlan(add, tuple(remove), tuple(left_alone))


def _key(address: str) -> str:
    try:
        return normalise_address(address).key
    except InvalidAddress:
        return address.strip().lower()


class GoogleGroupConnector:
    name = "google-group"
    kind = Kind.MEMBERSHIP

    def __init__(self, client: Callable[[], GroupMembers]):
        self.client = client  # built per run: it reads the key file

    def push(self, departures: Sequence[Departure], rules: Rules) -> Pushed:
        """Make the group's members the employees on notice; raises GoogleDirectoryError if the list cannot be read."""
        members_api = self.client()
        leavers, members = on_notice(departures, rules.today), list(members_api.list())
        wanted = plan(leavers, members)
        if wanted.remove and not leavers and not rules.accept_drop:
            return Pushed(refused=_EMPTY_REGISTER.format(count=len(wanted.remove)))
        added = _each(wanted.add, members_api.insert, missing_is_done=False)
        removed = _each(wanted.remove, members_api.delete, missing_is_done=True)
        problems = (*wanted.left_alone, *added.problems, *removed.problems)
        skipped = len(wanted.left_alone) + added.skipped
        return Pushed(added.added, removed.added, skipped, problems, added.failed or removed.failed)


def _each(emails: Sequence[str], change: Callable[[str], None], *, missing_is_done: bool) -> Pushed:
    """Apply `change` to each address; `added` counts the changes made, whatever they were."""
    done, skipped, problems, failed = 0, 0, [], False
    for email in emails:
        try:
            change(email)
            done += 1
        except GoogleDirectoryError as exc:
            if exc.status == 409 or (exc.status == 404 and missing_is_done):
                continue  # already as wanted: another run or a person got there first
            if exc.status == 404:  # a register entry Google does not know: nothing to retry
                skipped += 1
                problems.append(Problem(email, "is not a user of this Google Workspace: not added"))
                continue
            problems.append(Problem(email, str(exc)))
            failed = True
    return Pushed(added=done, skipped=skipped, problems=tuple(problems), failed=failed)
