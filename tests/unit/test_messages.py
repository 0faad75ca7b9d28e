"""What the user reads: the language chosen, every finding in words, and banners and dialogs within Outlook's limits."""

from __future__ import annotations

import pytest

from server import policy
from server.messages import (
    BANNER_LIMIT,
    DIALOG_LIMIT,
    SUPPORTED_LOCALES,
    finding_message,
    negotiate_locale,
    render,
    truncate,
)
from server.model import LEAVING_PHASES, Decision, Finding, Phase, RecipientClass, Verdict, normalise_address
from server.signals import NEW_COMPANY_PHRASE, PERSONAL_EMAIL, PHONE_NUMBER
from tests.builders import NOW, client_contact, make_departure, make_message, make_settings

ALLOW, WARN, SIGN_OFF, BLOCK = Verdict.ALLOW, Verdict.WARN, Verdict.REQUIRE_APPROVAL, Verdict.BLOCK
FLAGGING = (WARN, SIGN_OFF, BLOCK)

# --- negotiate_locale ---------------------------------------------------------------------------------

LOCALES = [
    # candidates, in order of preference         language
    pytest.param(("es-ES",),                      "es", id="a region tag"),
    pytest.param(("ru_RU",),                      "ru", id="an underscore locale"),
    pytest.param(("RU",),                         "ru", id="capitals"),
    pytest.param(("en-GB",),                      "en", id="English with a region"),
    pytest.param(("fr-FR,ru;q=0.8",),             "ru", id="an Accept-Language header skipping French"),
    pytest.param(("fr-FR, es;q=0.9, ru;q=0.8",),  "es", id="the first supported entry of a header"),
    pytest.param(("de-DE,de;q=0.9",),             "en", id="no supported language: English"),
    pytest.param(("*",),                          "en", id="a wildcard: English"),
    pytest.param(("",),                           "en", id="an empty string: English"),
    pytest.param((None,),                         "en", id="None: English"),
    pytest.param((),                              "en", id="nothing at all: English"),
    pytest.param((None, "es-MX"),                 "es", id="the first candidate missing, the second used"),
    pytest.param(("fr", "ru-RU"),                 "ru", id="the first candidate unsupported, the second used"),
    pytest.param(("es", "ru"),                    "es", id="the first supported candidate wins"),
]  # fmt: skip


@pytest.mark.parametrize(("candidates", "language"), LOCALES)
def test_negotiate_locale(candidates, language):
    assert negotiate_locale(*candidates) == language


# --- every finding code in every language -------------------------------------------------------------

LADDER_CODES = [policy.finding_code(cls, phase) for phase in LEAVING_PHASES for cls in RecipientClass]
SPECIAL_CODES = [policy.SUCCESSOR_IN_COPY, policy.SOLICITATION_SIGNAL, policy.APPROVED]
RAW_WORDS = ["_during_", "garden_leave", "require_approval", PHONE_NUMBER, PERSONAL_EMAIL, NEW_COMPANY_PHRASE]


def a_finding(code: str, verdict: Verdict = SIGN_OFF) -> Finding:
    """A finding as the policy would produce it for `code`."""
    if code == policy.APPROVED:
        return Finding(code, ALLOW, params=(("approval_id", "7"),))
    if code == policy.SOLICITATION_SIGNAL:
        signals = ",".join([PHONE_NUMBER, PERSONAL_EMAIL, NEW_COMPANY_PHRASE])
        params = (("signals", signals), ("matches", "+34 612 345 678|a@gmail.com|stay in touch"))
        return Finding(code, verdict, ("dan@contoso.example",), params)
    if code == policy.SUCCESSOR_IN_COPY:
        return Finding(code, ALLOW, ("dan@contoso.example",))
    return Finding(code, verdict, ("dan@contoso.example",))


def test_the_code_list_covers_every_code_the_policy_produces():
    produced = set()
    for phase in ("notice", "garden_leave", "departed"):
        for body in ("Hello", "Stay in touch"):
            message = make_message(
                to=["dan@contoso.example", "x@gmail.com", "alice.private@gmail.com", "y@supplier.example"],
                cc=["bob@northwind.example"],
                body=body,
            )
            decision = policy.evaluate(
                message,
                sender=make_departure(phase=phase),
                recipients={normalise_address("dan@contoso.example").key: client_contact()},
                settings=make_settings(ladder=dict.fromkeys(make_settings().ladder, WARN)),
                now=NOW,
            )
            produced |= {f.code for f in decision.findings}

    assert produced - {policy.APPROVED} <= set(LADDER_CODES + SPECIAL_CODES)
    assert policy.SUCCESSOR_IN_COPY in produced
    assert policy.SOLICITATION_SIGNAL in produced


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("code", LADDER_CODES + SPECIAL_CODES)
def test_every_finding_code_reads_as_a_sentence_in_every_language(code, locale):
    for verdict in FLAGGING:
        message = finding_message(a_finding(code, verdict), locale)

        assert message.strip()
        assert "{" not in message
        assert "}" not in message
        assert not message.rstrip().endswith(":")
        assert not any(word in message for word in RAW_WORDS), message
        if code in LADDER_CODES or code == policy.SUCCESSOR_IN_COPY:
            assert "dan@contoso.example" in message


@pytest.mark.parametrize("locale", ["es", "ru"])
@pytest.mark.parametrize("code", LADDER_CODES + SPECIAL_CODES)
def test_every_finding_message_is_translated(code, locale):
    assert finding_message(a_finding(code), locale) != finding_message(a_finding(code), "en")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_ladder_message_changes_with_the_verdict(locale):
    code = policy.finding_code(RecipientClass.CLIENT_CONTACT, Phase.NOTICE)

    messages = {finding_message(a_finding(code, verdict), locale) for verdict in FLAGGING}

    assert len(messages) == len(FLAGGING)


def test_an_unsupported_locale_reads_in_english():
    finding = a_finding(policy.finding_code(RecipientClass.WEBMAIL, Phase.NOTICE), WARN)

    assert finding_message(finding, "fr") == finding_message(finding, "en")


# --- render: banner and dialog within the limits ------------------------------------------------------

LONG_RECIPIENTS = tuple(
    f"recipient.with.a.rather.long.name.{i:03d}@subsidiary.client-company.example" for i in range(500)
)


def busy_decision(verdict: Verdict, *, monitor_only: bool = False) -> Decision:
    """A decision naming 500 long recipients in every kind of finding."""
    findings = (
        Finding("client_recipient_during_notice", verdict, LONG_RECIPIENTS[:250]),
        Finding("webmail_recipient_during_notice", WARN, LONG_RECIPIENTS[250:]),
        Finding(policy.SUCCESSOR_IN_COPY, ALLOW, LONG_RECIPIENTS[:250]),
        Finding(policy.SOLICITATION_SIGNAL, verdict, LONG_RECIPIENTS[:250], (("signals", PHONE_NUMBER),)),
    )
    shown = ALLOW if monitor_only else verdict
    return Decision(shown, findings, Phase.NOTICE, verdict, monitor_only)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("verdict", FLAGGING)
def test_banner_and_dialog_stay_within_the_limits_with_500_long_recipients(verdict, locale):
    rendered = render(busy_decision(verdict), locale)

    assert 0 < len(rendered.banner) <= BANNER_LIMIT
    assert 0 < len(rendered.dialog) <= DIALOG_LIMIT
    assert rendered.dialog.endswith("…")
    assert len(rendered.finding_messages) == 4
    assert "{" not in rendered.banner + rendered.dialog


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("verdict", FLAGGING)
def test_a_short_decision_is_shown_whole(verdict, locale):
    decision = Decision(verdict, (a_finding("client_recipient_during_notice", verdict),), Phase.NOTICE, verdict)

    rendered = render(decision, locale)

    assert not rendered.dialog.endswith("…")
    assert rendered.dialog.endswith(rendered.finding_messages[0])
    assert "1" in rendered.banner


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_a_real_decision_about_500_recipients_fits(locale):
    clients = {normalise_address(a).key: client_contact() for a in LONG_RECIPIENTS[:250]}
    message = make_message(to=LONG_RECIPIENTS[:250], cc=[f"x{i}@gmail.com" for i in range(250)], body="Stay in touch")

    decision = policy.evaluate(message, sender=make_departure(), recipients=clients, settings=make_settings(), now=NOW)
    rendered = render(decision, locale)

    assert decision.verdict == BLOCK
    assert len(rendered.banner) <= BANNER_LIMIT
    assert len(rendered.dialog) <= DIALOG_LIMIT


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize(
    "decision",
    [
        pytest.param(Decision(ALLOW, (), Phase.NONE, ALLOW), id="a sender who is not leaving"),
        pytest.param(
            Decision(
                ALLOW,
                (a_finding("client_recipient_during_notice"), a_finding(policy.APPROVED)),
                Phase.NOTICE,
                ALLOW,
                approval_id=7,
            ),
            id="an approved message",
        ),
        pytest.param(Decision(ALLOW, (), Phase.NOTICE, ALLOW, monitor_only=True), id="monitor-only, nothing to report"),
    ],
)
def test_allow_shows_no_banner_and_no_dialog(decision, locale):
    rendered = render(decision, locale)

    assert rendered.banner == ""
    assert rendered.dialog == ""


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("verdict", FLAGGING)
def test_monitor_only_explains_the_findings_but_shows_the_sender_no_banner_or_dialog(verdict, locale):
    monitored = render(busy_decision(verdict, monitor_only=True), locale)
    enforced = render(busy_decision(verdict), locale)

    assert monitored.finding_messages == enforced.finding_messages
    assert (monitored.banner, monitored.dialog) == ("", "")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_verdict_has_its_own_banner_and_dialog(locale):
    rendered = [render(busy_decision(verdict), locale) for verdict in FLAGGING]

    assert len({r.banner for r in rendered}) == len(FLAGGING)
    assert len({r.dialog.splitlines()[0] for r in rendered}) == len(FLAGGING)


def test_a_sign_off_banner_counts_client_recipients():
    findings = (
        Finding("client_recipient_during_notice", SIGN_OFF, ("a@contoso.example", "b@contoso.example")),
        Finding("webmail_recipient_during_notice", WARN, ("x@gmail.com",)),
    )

    banner = render(Decision(SIGN_OFF, findings, Phase.NOTICE, SIGN_OFF), "en").banner

    assert ": 2." in banner


def test_a_warning_banner_counts_every_flagged_recipient_once():
    findings = (
        Finding("webmail_recipient_during_notice", WARN, ("x@gmail.com", "y@gmail.com")),
        Finding("own_personal_address_during_notice", WARN, ("alice.private@gmail.com",)),
        Finding(policy.SUCCESSOR_IN_COPY, ALLOW, ("x@gmail.com",)),
    )

    banner = render(Decision(WARN, findings, Phase.NOTICE, WARN), "en").banner

    assert ": 3." in banner


TRUNCATE = [
    # text        limit   result
    pytest.param("short",        10, "short",   id="shorter than the limit: unchanged"),
    pytest.param("exactly10!",   10, "exactly10!", id="exactly the limit: unchanged"),
    pytest.param("one word too many", 10, "one word…", id="cut before the limit with an ellipsis"),
    pytest.param("abcdefghijk",  10, "abcdefghi…", id="cut inside a word"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "limit", "result"), TRUNCATE)
def test_truncate(text, limit, result):
    assert truncate(text, limit) == result
    assert len(truncate(text, limit)) <= limit


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,ru;q=0.8,en;q=0.9", "en"),
        ("fr-FR,ru;q=0.9,en;q=0.8", "ru"),
        ("es;q=0.5,ru;q=0.5", "es"),
        ("ru;q=abc,es;q=0.1", "es"),
    ],
)
def test_accept_language_is_read_by_its_q_weights(header, expected):
    assert negotiate_locale(None, header) == expected
