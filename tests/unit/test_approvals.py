"""The pure sign-off rules, the texts of sign-off in each language, and the signed links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from server import links
from server.approval_texts import TEXTS, text
from server.approvals import Refusal, Timing, approvers_for, effective_status, refusal, reminder_due
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


@pytest.mark.parametrize(
    ("accounts", "routes", "expected"),
    [
        (set(), {}, ("hr@x.example",)),
        ({"Contoso"}, {}, ("hr@x.example",)),
        ({"Contoso"}, {"contoso": ("legal@x.example",)}, ("legal@x.example",)),
        (
            {"Contoso", "Fabrikam"},
            {"Contoso": ("b@x.example",), "FABRIKAM": ("a@x.example", "b@x.example")},
            ("a@x.example", "b@x.example"),
        ),
        ({"Tailspin"}, {"Contoso": ("legal@x.example",)}, ("hr@x.example",)),
    ],
)
def test_a_routed_account_goes_to_its_approvers_and_everything_else_to_hr(accounts, routes, expected):
    assert approvers_for(accounts, ("hr@x.example",), routes) == expected


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
