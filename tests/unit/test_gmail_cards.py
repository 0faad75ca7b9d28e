"""The Gmail add-on's cards, built without an app: Google's Card message, its limits, escaping, and the texts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from google.apps import card_v1
from google.protobuf import json_format

from server import gmail_cards, gmail_texts
from server.manifests.gmail import ENDPOINTS
from server.model import ApprovalStatus, Decision, Finding, Phase, Verdict

URLS = {name: f"https://lg.example{path}" for name, path in ENDPOINTS.items()}
LANGUAGES = ("en", "es", "ru")


def parsed(card: dict) -> card_v1.Card:
    message = card_v1.Card.pb()()
    json_format.ParseDict(card, message, ignore_unknown_fields=False)
    return message


def widgets(card: dict) -> list[dict]:
    return [widget for section in card["sections"] for widget in section["widgets"]]


def held(*recipients: str, verdict: Verdict = Verdict.REQUIRE_APPROVAL, extra: tuple[Finding, ...] = ()) -> Decision:
    finding = Finding("client_recipient_during_notice", verdict, tuple(recipients))
    return Decision(verdict, (finding, *extra), Phase.NOTICE, verdict)


def state(decision: Decision, **fields) -> gmail_cards.ComposeState:
    messages = tuple(f"message for {f.code}" for f in decision.findings)
    return gmail_cards.ComposeState(decision, messages, recipient_count=len(decision.findings[0].recipients), **fields)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_card_parses_into_googles_card_message_in_every_language(lang):
    decision = held("kim@contoso.example", extra=(Finding("successor_in_copy", Verdict.ALLOW),))
    cards = [
        gmail_cards.compose_card(state(decision, approval=ApprovalStatus.REJECTED, hr_comment="No."), lang, URLS),
        gmail_cards.signoff_form_card(lang, URLS, error="Wrong", justification="Because"),
        gmail_cards.homepage_card(lang, leaving=True),
        gmail_cards.compose_card(unread(Verdict.BLOCK), lang, URLS),
    ]

    for card in cards:
        assert parsed(card).header.title == "LeaverGuard"


def test_five_hundred_flagged_recipients_stay_within_googles_hundred_widgets_and_the_buttons_stay():
    recipients = [f"person{i}@contoso.example" for i in range(500)]

    card = gmail_cards.compose_card(state(held(*recipients), successor="bob@northwind.example"), "en", URLS)

    assert len(widgets(card)) <= gmail_cards.MAX_WIDGETS
    lines = [w["decoratedText"]["text"] for w in widgets(card) if "decoratedText" in w]
    assert lines == recipients[: gmail_cards.MAX_LINES]
    assert {"textParagraph": {"text": "… and 450 more"}} in widgets(card)
    assert "buttonList" in widgets(card)[-2]
    parsed(card)


def test_a_card_over_the_widget_limit_is_refused_rather_than_cut_by_google():
    with pytest.raises(ValueError, match="100 widgets"):
        gmail_cards._card("en", [gmail_cards._section("", [gmail_cards._paragraph("x")] * 101)])


def test_long_texts_are_cut_to_the_limit_with_an_ellipsis():
    decision = held("kim@contoso.example", extra=(Finding("unreadable_recipient", Verdict.REQUIRE_APPROVAL),))
    card = gmail_cards.compose_card(replace(state(decision), finding_messages=("a", "x" * 5000)), "en", URLS)

    (text,) = [w["textParagraph"]["text"] for w in widgets(card) if "xxx" in w.get("textParagraph", {}).get("text", "")]
    assert len(text) == gmail_cards.TEXT_LIMIT and text.endswith("…")


def unread(verdict: Verdict) -> gmail_cards.ComposeState:
    """The card of an event LeaverGuard could not read: no recipient is known, a leaver's draft is still judged."""
    findings = (Finding("message_too_large", Verdict.BLOCK),) if verdict == Verdict.BLOCK else ()
    decision = Decision(verdict, findings, Phase.NOTICE if findings else Phase.NONE, verdict)
    messages = tuple(f"message for {f.code}" for f in findings)
    return gmail_cards.ComposeState(decision, messages, recipient_count=0, draft_read=False)


@pytest.mark.parametrize(
    ("verdict", "shown"),
    [
        (Verdict.BLOCK, "<b>This message cannot be sent, and a sign-off cannot change that.</b>"),
        (Verdict.ALLOW, "<b>This message can be sent. No sign-off is needed.</b>"),
    ],
)
def test_a_draft_that_could_not_be_read_shows_its_verdict_not_a_request_for_recipients(verdict, shown):
    card = gmail_cards.compose_card(unread(verdict), "en", URLS)

    texts = [w["textParagraph"]["text"] for w in widgets(card) if "textParagraph" in w]
    assert texts[0] == shown
    assert "Add recipients, then press Check again." not in texts


def test_what_people_wrote_is_shown_as_written_not_as_markup():
    decision = held("<b>kim</b>@contoso.example")

    card = gmail_cards.compose_card(
        state(decision, approval=ApprovalStatus.REJECTED, hr_comment="<i>no</i>"), "en", URLS
    )

    texts = [w.get("textParagraph", w.get("decoratedText", {})).get("text") for w in widgets(card)]
    assert "&lt;b&gt;kim&lt;/b&gt;@contoso.example" in texts
    assert "HR's comment: &lt;i&gt;no&lt;/i&gt;" in texts


def test_each_flagged_recipient_gets_one_line_from_its_first_finding():
    stepped = Finding("webmail_recipient_during_notice", Verdict.WARN, ("ana.garcia@gmail.com", "kim@contoso.example"))
    decision = Decision(
        Verdict.REQUIRE_APPROVAL,
        (held("kim@contoso.example").findings[0], stepped),
        Phase.NOTICE,
        Verdict.REQUIRE_APPROVAL,
    )

    assert gmail_cards.flagged_lines(decision, "en") == [
        ("kim@contoso.example", "Client · needs HR sign-off"),
        ("ana.garcia@gmail.com", "Personal webmail · needs care"),
    ]


@pytest.mark.parametrize(
    ("verdict", "approval", "offered"),
    [
        (Verdict.REQUIRE_APPROVAL, None, True),
        (Verdict.REQUIRE_APPROVAL, ApprovalStatus.REJECTED, True),
        (Verdict.REQUIRE_APPROVAL, ApprovalStatus.EXPIRED, True),
        (Verdict.REQUIRE_APPROVAL, ApprovalStatus.PENDING, False),
        (Verdict.REQUIRE_APPROVAL, ApprovalStatus.APPROVED, False),
        (Verdict.WARN, None, False),
        (Verdict.BLOCK, None, False),
    ],
)
def test_sign_off_is_offered_only_when_needed_and_not_already_asked_or_granted(verdict, approval, offered):
    assert gmail_cards.may_request(held("kim@contoso.example", verdict=verdict), approval) is offered


def test_set_cc_is_gmails_update_draft_markup():
    assert gmail_cards.set_cc(["a@x.example", "b@x.example"]) == {
        "renderActions": {
            "hostAppAction": {
                "gmailAction": {
                    "updateDraftActionMarkup": {
                        "updateCcRecipients": {"ccRecipients": [{"email": "a@x.example"}, {"email": "b@x.example"}]}
                    }
                }
            }
        }
    }


def test_every_gmail_text_exists_in_every_language_and_every_key_used_resolves():
    assert set(gmail_texts.TEXTS["en"]) == set(gmail_texts.TEXTS["es"]) == set(gmail_texts.TEXTS["ru"])
    for lang in LANGUAGES:
        for status in ApprovalStatus:
            assert gmail_texts.text(lang, "status" + status.value.capitalize())
        assert gmail_texts.text(lang, "recheck") != gmail_texts.text("en", "recheck") or lang == "en"


def test_no_gmail_text_promises_a_check_when_sending():
    """Gmail add-ons have no send hook: Outlook's "you will be asked when you send" must never show in Gmail."""
    for lang in LANGUAGES:
        for verdict in ("verdictWarn", "verdictRequireApproval", "statusPending", "statusApproved"):
            assert gmail_texts.text(lang, verdict) == gmail_texts.TEXTS[lang][verdict]
