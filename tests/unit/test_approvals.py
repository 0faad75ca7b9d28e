"""The pure sign-off rules, the texts of sign-off in each language, and the signed links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from server import links
from server.approval_texts import TEXTS, text
from server.approvals import (
    Refusal,
    Timing,
    approvers_for,
    effective_status,
    identity_keys,
    is_own_request,
    refusal,
    reminder_due,
    retry_after,
)
from server.model import ApprovalStatus, Decision, Phase, Verdict

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
A, W, R, B = Verdict.ALLOW, Verdict.WARN, Verdict.REQUIRE_APPROVAL, Verdict.BLOCK


@pytest.mark.parametrize(
    ("verdict", "would_be", "monitor_only", "expected"),
    [
        (R, R, False, None),
        (A, A, False, Refusal.NOT_NEEDED),
        (W, W, False, Refusal.NOT_NEEDED),
        (B, B, False, Refusal.BLOCKED),
        (A, R, True, None),  # monitor-only: what enforcement would answer counts
        (A, B, True, Refusal.BLOCKED),
        (A, W, True, Refusal.NOT_NEEDED),
    ],
)
def test_only_a_message_held_for_sign_off_can_be_put_to_hr(verdict, would_be, monitor_only, expected):
    decision = Decision(verdict, (), Phase.NOTICE, would_be, monitor_only)

    assert refusal(decision) == expected


HR_X, LEGAL, SALES = "hr@x.example", "legal@x.example", "sales@x.example"
ROUTES = {"Contoso": (LEGAL, SALES), "FABRIKAM": (SALES,), "Tailspin": ("tail@x.example",)}


@pytest.mark.parametrize(
    ("accounts", "expected"),
    [
        (set(), (HR_X,)),  # no client account: HR
        ({"Northwind Traders"}, (HR_X,)),  # an unrouted account: HR
        ({"contoso"}, (LEGAL, SALES)),  # names match ignoring case
        ({"Contoso", "Fabrikam"}, (SALES,)),  # only who is on both routes speaks for both
        ({"Contoso", "Tailspin"}, (HR_X,)),  # routes that share nobody: HR, not a union
        ({"Tailspin", "Northwind Traders"}, (HR_X,)),  # a Cc on an unrouted account: HR
        ({"Contoso", None}, (HR_X,)),  # a held recipient on no account: HR
        ({None}, (HR_X,)),
    ],
)
def test_a_request_goes_to_a_route_only_when_that_route_speaks_for_every_account_touched(accounts, expected):
    assert approvers_for(accounts, (HR_X,), ROUTES) == expected


@pytest.mark.parametrize(
    ("accounts", "hr", "sender", "expected"),
    [
        ({"Tailspin"}, (HR_X,), ("tail@x.example",), (HR_X,)),  # the only route approver is the sender: HR
        ({"Contoso"}, (HR_X,), ("legal@x.example",), (SALES,)),  # another route approver remains
        ({"Contoso"}, (HR_X,), ("Legal+notes@X.example",), (SALES,)),  # compared by address key
        (set(), (HR_X, "kim@x.example"), ("kim@x.example",), (HR_X,)),  # an HR approver who is leaving
        (set(), (HR_X,), ("hr@x.example",), ()),  # nobody else: the request is refused (no approvers)
        ({"Tailspin"}, (HR_X,), ("kim@x.example", "tail@x.example"), (HR_X,)),  # by an alias on record
    ],
)
def test_the_sender_is_never_asked_to_approve_their_own_request(accounts, hr, sender, expected):
    assert approvers_for(accounts, hr, ROUTES, identity_keys(*sender)) == expected


@pytest.mark.parametrize(
    ("person", "on_record", "own"),
    [
        ("alice@northwind.example", ("alice@northwind.example",), True),
        ("Alice@Northwind.Example", ("alice@northwind.example",), True),  # case
        ("alice+hr@northwind.example", ("alice@northwind.example",), True),  # a plus-tag
        ("a.smith@northwind.example", ("alice@northwind.example", "a.smith@northwind.example"), True),  # alias
        ("a.l.i.c.e@gmail.com", ("alice@northwind.example", "alice@gmail.com"), True),  # personal, gmail dots
        ("bob@northwind.example", ("alice@northwind.example", "a.smith@northwind.example"), False),
        ("not an address", ("alice@northwind.example",), False),
        ("alice@northwind.example", ("", "garbage", "alice@northwind.example"), True),  # bad values on record
    ],
)
def test_a_person_is_the_sender_under_any_address_on_their_record(person, on_record, own):
    assert is_own_request(person, identity_keys(*on_record)) is own


@pytest.mark.parametrize(
    ("minutes_ago", "limit", "wait"),
    [
        ([], 20, None),
        ([50] * 19, 20, None),  # the 20th is allowed
        ([50] * 20, 20, 600),  # the 21st waits until the oldest leaves the hour (10 minutes)
        ([50, 40] + [5] * 18, 20, 600),  # the oldest counted decides
        ([70, 65] + [30] * 20, 20, 1800),  # outside the window they do not count
        ([59.99] + [1] * 19, 20, 1),  # at least a second, rounded up
        ([50, 40, 30], 2, 1200),  # a limit lowered below the count: until enough have left
        ([0, 0], 2, 3600),
        ([-0.01, 30], 2, 1800),  # a time a moment after `now` (written by a racing request) counts
    ],
)
def test_a_request_over_the_limit_waits_until_the_oldest_counted_one_leaves_the_window(minutes_ago, limit, wait):
    times = [NOW - timedelta(minutes=m) for m in minutes_ago]

    assert retry_after(times, limit, timedelta(hours=1), NOW) == wait


@pytest.mark.parametrize(
    ("hours_since", "reminded", "due"),
    [(23, False, False), (24, False, True), (30, False, True), (30, True, False)],
)
def test_a_pending_request_gets_one_reminder_after_the_reminder_time(hours_since, reminded, due):
    created = NOW - timedelta(hours=hours_since)

    assert reminder_due(created, NOW if reminded else None, NOW, Timing()) is due


@pytest.mark.parametrize(
    ("status", "expires", "shown"),
    [
        (ApprovalStatus.PENDING, NOW + timedelta(seconds=1), ApprovalStatus.PENDING),
        (ApprovalStatus.PENDING, NOW, ApprovalStatus.EXPIRED),
        (ApprovalStatus.APPROVED, NOW - timedelta(hours=1), ApprovalStatus.EXPIRED),
        (ApprovalStatus.REJECTED, NOW - timedelta(hours=1), ApprovalStatus.REJECTED),
        (ApprovalStatus.CONSUMED, NOW - timedelta(hours=1), ApprovalStatus.CONSUMED),
    ],
)
def test_a_live_request_past_its_expiry_reads_as_expired(status, expires, shown):
    assert effective_status(status, expires, NOW) == shown


def test_every_language_has_every_sign_off_text_with_the_same_placeholders():
    placeholders = {key: set(re.findall(r"{(\w+)}", value)) for key, value in TEXTS["en"].items()}
    for lang, table in TEXTS.items():
        assert table.keys() == placeholders.keys(), lang
        for key, value in table.items():
            assert set(re.findall(r"{(\w+)}", value)) == placeholders[key], (lang, key)


def test_an_unknown_language_falls_back_to_english():
    assert text("de", "approve") == "Approve"
    assert text("ru", "approve") == "Одобрить"


def test_a_link_token_names_only_the_request_and_the_link_and_reads_back():
    token = links.sign("s" * 32, 12, 34)

    assert links.read("s" * 32, token, timedelta(hours=1)) == (12, 34)
    assert "@" not in token


def _tampered(token: str) -> str:
    """The same signature over another request: [1, 3] instead of [1, 2]."""
    other = links.sign("s" * 32, 1, 3)
    return other.split(".")[0] + "." + token.split(".", 1)[1]


@pytest.mark.parametrize(
    "token",
    [
        links.sign("another secret", 1, 2),
        _tampered(links.sign("s" * 32, 1, 2)),
        "",
        "a.b.c",
        __import__("itsdangerous").URLSafeTimedSerializer("s" * 32, salt=links._SALT).dumps({"approve": True}),
        __import__("itsdangerous").URLSafeTimedSerializer("s" * 32, salt="other").dumps([1, 2]),
    ],
    ids=["other-key", "tampered", "empty", "garbled", "signed-but-not-a-link", "other-purpose"],
)
def test_a_forged_tampered_or_foreign_token_is_invalid(token):
    with pytest.raises(links.LinkError) as caught:
        links.read("s" * 32, token, timedelta(hours=1))
    assert caught.value.reason == "invalid"


def test_a_token_older_than_its_lifetime_is_expired():
    token = links.sign("s" * 32, 1, 2)

    with pytest.raises(links.LinkError) as caught:
        links.read("s" * 32, token, timedelta(seconds=-1))
    assert caught.value.reason == "expired"
