"""The policy engine as tables: who writes to whom, in which phase, and what LeaverGuard answers (DESIGN.md §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server import policy
from server.directory import pick_client_match
from server.model import (
    LEAVING_PHASES,
    Approval,
    ApprovalStatus,
    Decision,
    Departure,
    DepartureStatus,
    Phase,
    RecipientClass,
    Verdict,
    default_ladder,
    fingerprint,
    normalise_address,
    strictest,
)
from tests.builders import COMPANY, DAY, NOW, TODAY, client_contact, client_domain, make_departure, make_message
from tests.builders import make_settings as settings_with

ALLOW, WARN, SIGN_OFF, BLOCK = Verdict.ALLOW, Verdict.WARN, Verdict.REQUIRE_APPROVAL, Verdict.BLOCK

SENDER = f"alice@{COMPANY}"
SUCCESSOR = f"bob@{COMPANY}"
COLLEAGUE = f"carol@{COMPANY}"
CLIENT = "dan@contoso.example"
OTHER_CLIENT = "erin@fabrikam-client.example"
CLIENT_ON_WEBMAIL = "dan.contoso@gmail.com"
OWN_PERSONAL = "alice.private@gmail.com"
WEBMAIL = "someone@yandex.ru"
EXTERNAL = "sales@supplier.example"

#: Client accounts as the store knows them: contacts by address key, accounts by domain.
CONTACTS = {
    normalise_address(CLIENT).key: client_contact(),
    normalise_address(CLIENT_ON_WEBMAIL).key: client_contact(),
    normalise_address(OTHER_CLIENT).key: client_contact("Fabrikam", owner=f"frank@{COMPANY}", account_id=2),
}
DOMAINS = {"contoso.example": client_domain()}


def client_matches(message) -> dict:
    """What the store hands the policy: the client match of every recipient that has one."""
    matches = {}
    for address in message.addresses():
        match = pick_client_match(address, CONTACTS, DOMAINS)
        if match is not None:
            matches[address.key] = match
    return matches


def decide(message, *, sender=None, settings=None, approvals=(), now=NOW, clients=None) -> Decision:
    return policy.evaluate(
        message,
        sender=make_departure() if sender is None else sender,
        recipients=client_matches(message) if clients is None else clients,
        settings=settings or settings_with(),
        approvals=approvals,
        now=now,
    )


def codes(decision: Decision) -> list[str]:
    return [f.code for f in decision.findings]


def finding(decision: Decision, code: str):
    (found,) = [f for f in decision.findings if f.code == code]
    return found


# --- the default ladder: every phase x every recipient class ------------------------------------------


#: One address for each kind of recipient, named as the table rows read.
TO = {
    "a colleague": COLLEAGUE,
    "a colleague on a subdomain": f"carol@eu.{COMPANY}",
    "a client contact": CLIENT,
    "a client's gmail": CLIENT_ON_WEBMAIL,
    "a client domain": "new.person@contoso.example",
    "a client subdomain": "ops@eu.contoso.example",
    "their own gmail": OWN_PERSONAL,
    "their own gmail, respelled": "Alice.Private+news@googlemail.com",
    "webmail": WEBMAIL,
    "a gmx.* domain": "someone@gmx.de",
    "an outsider": EXTERNAL,
}

#: The class each of the rows above is an example of (the respelled and subdomain rows repeat a class).
CLASS_OF = {
    "a colleague": RecipientClass.INTERNAL,
    "a client contact": RecipientClass.CLIENT_CONTACT,
    "a client domain": RecipientClass.CLIENT_DOMAIN,
    "their own gmail": RecipientClass.OWN_PERSONAL,
    "webmail": RecipientClass.WEBMAIL,
    "an outsider": RecipientClass.EXTERNAL,
}

LADDER = [
    # phase         writing to                        verdict   finding code
    ("notice",       "a colleague",                     ALLOW,    None),
    ("notice",       "a colleague on a subdomain",      ALLOW,    None),
    ("notice",       "a client contact",                SIGN_OFF, "client_recipient_during_notice"),
    ("notice",       "a client's gmail",                SIGN_OFF, "client_recipient_during_notice"),
    ("notice",       "a client domain",                 SIGN_OFF, "client_recipient_during_notice"),
    ("notice",       "a client subdomain",              SIGN_OFF, "client_recipient_during_notice"),
    ("notice",       "their own gmail",                 WARN,     "own_personal_address_during_notice"),
    ("notice",       "their own gmail, respelled",      WARN,     "own_personal_address_during_notice"),
    ("notice",       "webmail",                         WARN,     "webmail_recipient_during_notice"),
    ("notice",       "a gmx.* domain",                  WARN,     "webmail_recipient_during_notice"),
    ("notice",       "an outsider",                     ALLOW,    None),
    ("garden_leave", "a colleague",                     ALLOW,    None),
    ("garden_leave", "a client contact",                BLOCK,    "client_recipient_during_garden_leave"),
    ("garden_leave", "a client's gmail",                BLOCK,    "client_recipient_during_garden_leave"),
    ("garden_leave", "a client domain",                 BLOCK,    "client_recipient_during_garden_leave"),
    ("garden_leave", "a client subdomain",              BLOCK,    "client_recipient_during_garden_leave"),
    ("garden_leave", "their own gmail",                 BLOCK,    "own_personal_address_during_garden_leave"),
    ("garden_leave", "webmail",                         WARN,     "webmail_recipient_during_garden_leave"),
    ("garden_leave", "an outsider",                     WARN,     "external_recipient_during_garden_leave"),
    ("departed",     "a colleague",                     ALLOW,    None),
    ("departed",     "a client contact",                BLOCK,    "client_recipient_during_departed"),
    ("departed",     "a client's gmail",                BLOCK,    "client_recipient_during_departed"),
    ("departed",     "a client domain",                 BLOCK,    "client_recipient_during_departed"),
    ("departed",     "a client subdomain",              BLOCK,    "client_recipient_during_departed"),
    ("departed",     "their own gmail",                 BLOCK,    "own_personal_address_during_departed"),
    ("departed",     "webmail",                         BLOCK,    "webmail_recipient_during_departed"),
    ("departed",     "an outsider",                     BLOCK,    "external_recipient_during_departed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("phase", "recipient", "verdict", "code"),
    LADDER,
    ids=[f"a leaver in {phase} writing to {to} gets {verdict}" for phase, to, verdict, _ in LADDER],
)
def test_the_default_ladder_gives_each_phase_and_recipient_class_its_verdict(phase, recipient, verdict, code):
    address = TO[recipient]

    decision = decide(make_message(to=[address]), sender=make_departure(phase=phase))

    assert decision.phase == Phase(phase)
    assert decision.verdict == decision.would_be == verdict
    assert codes(decision) == ([code] if code else [])
    if code:
        assert decision.findings[0].verdict == verdict
        assert decision.findings[0].recipients == (normalise_address(address).email,)


def test_the_ladder_table_covers_every_cell_of_the_default_ladder():
    covered = {(Phase(phase), CLASS_OF[to]) for phase, to, _, _ in LADDER if to in CLASS_OF}

    assert covered == set(default_ladder())


def test_ladder_findings_group_the_recipients_of_one_class():
    decision = decide(make_message(to=[CLIENT, "ops@eu.contoso.example"], cc=[WEBMAIL]))

    assert decision.verdict == SIGN_OFF
    assert finding(decision, "client_recipient_during_notice").recipients == (CLIENT, "ops@eu.contoso.example")
    assert finding(decision, "webmail_recipient_during_notice").recipients == (WEBMAIL,)


# --- senders who are not leaving: allowed, body never read ---------------------------------------------


class SealedBody(str):
    """A message body that fails the test as soon as anything reads it."""

    def _read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    __getattribute__ = _read
    __str__ = __repr__ = __len__ = __iter__ = __getitem__ = __contains__ = _read
    __eq__ = __ne__ = __hash__ = __format__ = __add__ = __mod__ = _read


@pytest.fixture
def sealed_body(monkeypatch):
    """A body no one may read; and every way the policy could look at a body fails the test."""

    def fail(*args, **kwargs):
        raise AssertionError("the body was read")

    monkeypatch.setattr(policy, "find_signals", fail)
    monkeypatch.setattr(policy, "fingerprint", fail)
    return SealedBody("My new company: call me on +34 612 345 678, alice.new@gmail.com")


NOT_LEAVING = [
    pytest.param(None, id="a sender with no departure record"),
    pytest.param(make_departure(phase="before_notice"), id="a sender whose notice date is still to come"),
    pytest.param(make_departure(status=DepartureStatus.WITHDRAWN), id="a sender whose resignation was withdrawn"),
    pytest.param(
        make_departure(phase="departed", status=DepartureStatus.WITHDRAWN), id="a withdrawn record whose dates passed"
    ),
]


@pytest.mark.parametrize("sender", NOT_LEAVING)
@pytest.mark.parametrize("monitor_only", [False, True], ids=["enforcing", "monitor-only"])
def test_a_sender_who_is_not_leaving_is_allowed_without_reading_the_body(sender, monitor_only, sealed_body):
    message = make_message(to=[CLIENT, OWN_PERSONAL, WEBMAIL, EXTERNAL], body=sealed_body)

    decision = policy.evaluate(
        message,
        sender=sender,
        recipients=client_matches(message),
        settings=settings_with(monitor_only=monitor_only),
        approvals=[Approval(1, "sha256:whatever", ApprovalStatus.APPROVED, None)],
        now=NOW,
    )

    assert decision.verdict == decision.would_be == ALLOW
    assert decision.findings == ()
    assert decision.phase not in LEAVING_PHASES
    assert decision.approval_id is None
    assert decision.monitor_only is monitor_only


def test_the_sealed_body_does_go_off_when_a_leaver_writes_to_a_client(sealed_body):
    """The control for the test above: the same trap fires when the policy is meant to read the body."""
    with pytest.raises(AssertionError, match="the body was read"):
        decide(make_message(to=[CLIENT], body=sealed_body))


# --- phase boundaries ---------------------------------------------------------------------------------


def departure(notice, last, garden=None) -> Departure:
    """A departure with its dates counted in days from TODAY."""
    return Departure(
        email=SENDER,
        notice_date=TODAY + notice * DAY,
        last_working_date=TODAY + last * DAY,
        garden_leave_date=None if garden is None else TODAY + garden * DAY,
        successor=SUCCESSOR,
        personal_addresses=(OWN_PERSONAL,),
    )


BOUNDARIES = [
    # days from today: notice, last day, garden   phase    verdict for a client
    pytest.param(departure(+1, +30),     Phase.NONE,         ALLOW,    id="notice starts tomorrow: not yet leaving"),
    pytest.param(departure(0, +30),      Phase.NOTICE,       SIGN_OFF, id="notice date is today: on notice"),
    pytest.param(departure(-30, 0),      Phase.NOTICE,       SIGN_OFF, id="last working day is today: on notice"),
    pytest.param(departure(-30, -1),     Phase.DEPARTED,     BLOCK,    id="day after the last working day: departed"),
    pytest.param(departure(-30, +9, +1), Phase.NOTICE,       SIGN_OFF, id="garden leave starts tomorrow: on notice"),
    pytest.param(departure(-30, +9, 0),  Phase.GARDEN_LEAVE, BLOCK,    id="garden leave starts today: garden leave"),
    pytest.param(departure(-30, 0, -9),  Phase.GARDEN_LEAVE, BLOCK,    id="last day of garden leave: garden leave"),
    pytest.param(departure(-30, -1, -9), Phase.DEPARTED,     BLOCK,    id="day after garden leave ended: departed"),
]  # fmt: skip


@pytest.mark.parametrize(("sender", "phase", "verdict"), BOUNDARIES)
def test_phase_boundaries_include_the_day_named(sender, phase, verdict):
    decision = decide(make_message(to=[CLIENT]), sender=sender)

    assert decision.phase == phase
    assert decision.verdict == verdict


def at(day, hour, minute=0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


TIMEZONES = [
    # the instant    company timezone     phase of someone whose last day is the 22nd
    pytest.param(at(22, 23, 30), "UTC",              Phase.NOTICE,   id="late on the last day in UTC: on notice"),
    pytest.param(at(22, 23, 30), "Europe/Madrid",    Phase.DEPARTED, id="the same instant is the next day in Madrid"),
    pytest.param(at(23, 3),      "America/New_York", Phase.NOTICE,   id="still the last day in New York"),
]  # fmt: skip


@pytest.mark.parametrize(("now", "timezone", "phase"), TIMEZONES)
def test_today_is_the_date_in_the_company_timezone(now, timezone, phase):
    settings = settings_with(timezone=timezone)

    decision = decide(make_message(to=[CLIENT]), sender=departure(-30, 0), settings=settings, now=now)

    assert decision.phase == phase


# --- successor rule -----------------------------------------------------------------------------------

OWNER = f"olga@{COMPANY}"

SUCCESSOR_RULE = [
    # phase     recipients                                   owner      rule on  verdict   eased
    pytest.param("notice", dict(to=[CLIENT, SUCCESSOR]),      SUCCESSOR, True,  WARN,     True,
                 id="successor in To eases sign-off to a warning"),
    pytest.param("notice", dict(to=[CLIENT], cc=[SUCCESSOR]), SUCCESSOR, True,  WARN,     True,
                 id="successor in Cc eases sign-off to a warning"),
    pytest.param("notice", dict(to=[CLIENT], cc=["Bob+x@Northwind.Example"]), SUCCESSOR, True, WARN, True,
                 id="successor matched by address key"),
    pytest.param("notice", dict(to=[CLIENT], bcc=[SUCCESSOR]), SUCCESSOR, True, SIGN_OFF, False,
                 id="successor only in Bcc has no effect"),
    pytest.param("notice", dict(to=[CLIENT], cc=[OWNER]),     OWNER,     True,  WARN,     True,
                 id="the account owner in Cc eases it too"),
    pytest.param("notice", dict(to=[CLIENT], bcc=[OWNER]),    OWNER,     True,  SIGN_OFF, False,
                 id="the account owner only in Bcc has no effect"),
    pytest.param("notice", dict(to=[CLIENT], cc=[SENDER]),    SENDER,    True,  SIGN_OFF, False,
                 id="the leaver owning the account and copying themself has no effect"),
    pytest.param("notice", dict(to=[CLIENT], cc=[COLLEAGUE]), OWNER,     True,  SIGN_OFF, False,
                 id="a colleague who is neither successor nor owner has no effect"),
    pytest.param("notice", dict(to=[CLIENT], cc=[SUCCESSOR]), SUCCESSOR, False, SIGN_OFF, False,
                 id="successor in Cc has no effect when the rule is off"),
    pytest.param("garden_leave", dict(to=[CLIENT], cc=[SUCCESSOR]), SUCCESSOR, True, SIGN_OFF, True,
                 id="on garden leave a block steps down one level only"),
    pytest.param("notice", dict(to=[WEBMAIL], cc=[SUCCESSOR]), SUCCESSOR, True, WARN,     False,
                 id="successor in Cc does not ease a non-client recipient"),
]  # fmt: skip


@pytest.mark.parametrize(("phase", "recipients", "owner", "rule_on", "verdict", "eased"), SUCCESSOR_RULE)
def test_successor_rule(phase, recipients, owner, rule_on, verdict, eased):
    message = make_message(**recipients)
    sender = make_departure(phase=phase, successor=SUCCESSOR)
    clients = {normalise_address(CLIENT).key: client_contact(owner=owner)}

    decision = decide(message, sender=sender, clients=clients, settings=settings_with(successor_rule=rule_on))

    assert decision.verdict == verdict
    if eased:
        assert finding(decision, policy.SUCCESSOR_IN_COPY).recipients == (CLIENT,)
        assert finding(decision, policy.SUCCESSOR_IN_COPY).verdict == ALLOW
        assert finding(decision, f"client_recipient_during_{phase}").verdict == verdict
    else:
        assert policy.SUCCESSOR_IN_COPY not in codes(decision)


@pytest.mark.parametrize("person", [SUCCESSOR, OWNER], ids=["successor", "owner"])
def test_a_successor_or_owner_who_is_leaving_too_eases_nothing(person):
    """Two leavers must not unlock each other's clients by copying each other (a team lift-out)."""
    message = make_message(to=[CLIENT], cc=[person])
    clients = {normalise_address(CLIENT).key: client_contact(owner=OWNER)}

    decision = policy.evaluate(
        message,
        sender=make_departure(successor=SUCCESSOR),
        recipients=clients,
        settings=settings_with(),
        leaving=frozenset({normalise_address(person).key}),
        now=NOW,
    )

    assert decision.verdict == SIGN_OFF
    assert policy.SUCCESSOR_IN_COPY not in codes(decision)


def test_an_account_owner_in_copy_eases_only_the_clients_of_their_own_account():
    message = make_message(to=[CLIENT, OTHER_CLIENT], cc=[f"frank@{COMPANY}"])

    decision = decide(message, sender=make_departure(successor=None))

    assert decision.verdict == SIGN_OFF
    assert finding(decision, policy.SUCCESSOR_IN_COPY).recipients == (OTHER_CLIENT,)
    client_findings = {f.verdict: f.recipients for f in decision.findings if f.code == "client_recipient_during_notice"}
    assert client_findings == {SIGN_OFF: (CLIENT,), WARN: (OTHER_CLIENT,)}


def test_an_owner_who_is_the_leaver_under_an_alias_has_no_effect():
    alias = f"alice.smith@{COMPANY}"
    sender = make_departure(successor=None, aliases=[alias])
    clients = {normalise_address(CLIENT).key: client_contact(owner=alias)}

    decision = decide(make_message(to=[CLIENT], cc=[alias]), sender=sender, clients=clients)

    assert decision.verdict == SIGN_OFF
    assert policy.SUCCESSOR_IN_COPY not in codes(decision)


# --- solicitation signals -----------------------------------------------------------------------------

SOLICITATION = [
    # body                                                         signal kinds
    pytest.param("If anything comes up, call me on +34 612 345 678.", "phone_number",
                 id="a Spanish mobile number"),
    pytest.param("Мой мобильный: +7 916 123-45-67",                   "phone_number",
                 id="a Russian mobile number"),
    pytest.param("Write to me at alice.next@yahoo.com from now on.",  "personal_email",
                 id="a personal webmail address"),
    pytest.param("Copy Alice.Private+work@gmail.com if urgent.",      "personal_email",
                 id="the leaver's own personal address"),
    pytest.param("Next month I'm joining Fabrikam, my new company.",  "new_company_phrase",
                 id="a new company in English"),
    pytest.param("Let's STAY IN TOUCH.",                              "new_company_phrase",
                 id="stay in touch in capitals"),
    pytest.param("Te escribo para presentarte mi nueva empresa.",     "new_company_phrase",
                 id="a new company in Spanish"),
    pytest.param("Sigamos en contacto.",                              "new_company_phrase",
                 id="stay in touch in Spanish"),
    pytest.param("Расскажу о моей новой компании при встрече.",       "new_company_phrase",
                 id="a new company in Russian, inflected"),
    pytest.param("Давайте оставаться на связи!",                      "new_company_phrase",
                 id="stay in touch in Russian"),
    pytest.param("My new number is 612 345 678, stay in touch.",      "phone_number,new_company_phrase",
                 id="two kinds, each named once"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "kinds"), SOLICITATION)
def test_a_solicitation_signal_steps_a_leavers_mail_to_a_client_up_one_level(body, kinds):
    decision = decide(make_message(to=[CLIENT], cc=[COLLEAGUE], body=body))

    assert decision.verdict == BLOCK
    signal = finding(decision, policy.SOLICITATION_SIGNAL)
    assert signal.verdict == BLOCK
    assert signal.recipients == (CLIENT,)
    assert dict(signal.params)["signals"] == kinds
    assert finding(decision, "client_recipient_during_notice").verdict == BLOCK


def test_a_signal_finding_names_the_matched_text():
    decision = decide(make_message(to=[CLIENT], body="Call me on +34 612 345 678 or at alice.next@yahoo.com."))

    assert (
        dict(finding(decision, policy.SOLICITATION_SIGNAL).params)["matches"] == "+34 612 345 678|alice.next@yahoo.com"
    )


def test_the_leavers_own_personal_address_is_a_signal_even_off_webmail():
    sender = make_departure(personal=["alice@smith-family.example"])

    decision = decide(make_message(to=[CLIENT], body="Reach Alice@Smith-Family.example any time."), sender=sender)

    assert decision.verdict == BLOCK
    assert dict(finding(decision, policy.SOLICITATION_SIGNAL).params)["signals"] == "personal_email"


def test_the_leavers_own_personal_address_is_a_signal_even_when_it_is_also_in_copy():
    message = make_message(to=[CLIENT], cc=[OWN_PERSONAL], body=f"My other address: {OWN_PERSONAL}")

    decision = decide(message)

    assert decision.verdict == BLOCK
    assert dict(finding(decision, policy.SOLICITATION_SIGNAL).params)["signals"] == "personal_email"


NO_SOLICITATION = [
    # writing to          body                                                   settings    verdict
    pytest.param([CLIENT], "The contract runs from 22.11.2026 to 2026-12-31.",   {},          SIGN_OFF,
                 id="dates are not phone numbers"),
    pytest.param([CLIENT], "Closed 24.12.2026-6.1.2027; order 12345678.",        {},          SIGN_OFF,
                 id="a date range and a short reference are not phone numbers"),
    pytest.param([CLIENT_ON_WEBMAIL], "On Monday dan.contoso@gmail.com wrote:",  {},          SIGN_OFF,
                 id="the client's own webmail address quoted back"),
    pytest.param([CLIENT], "Call me on +34 612 345 678.", {"solicitation_signals": False}, SIGN_OFF,
                 id="signals switched off"),
    pytest.param([WEBMAIL], "My new company; call me on +34 612 345 678.",       {},          WARN,
                 id="no client among the recipients"),
    pytest.param([COLLEAGUE], "Stay in touch: alice.next@yahoo.com",             {},          ALLOW,
                 id="a colleague only"),
    pytest.param([CLIENT], "Bob takes over the account; his number is unchanged.", {},        SIGN_OFF,
                 id="an ordinary handover note"),
]  # fmt: skip


@pytest.mark.parametrize(("to", "body", "overrides", "verdict"), NO_SOLICITATION)
def test_the_solicitation_rule_does_not_fire(to, body, overrides, verdict):
    decision = decide(make_message(to=to, body=body), settings=settings_with(**overrides))

    assert decision.verdict == verdict
    assert policy.SOLICITATION_SIGNAL not in codes(decision)


def test_a_successor_in_copy_and_a_signal_cancel_out():
    decision = decide(make_message(to=[CLIENT], cc=[SUCCESSOR], body="Stay in touch!"))

    assert decision.verdict == SIGN_OFF
    assert {policy.SUCCESSOR_IN_COPY, policy.SOLICITATION_SIGNAL} <= set(codes(decision))


def test_a_signal_steps_up_only_the_client_recipients():
    decision = decide(make_message(to=[CLIENT, WEBMAIL], body="Stay in touch!"))

    assert finding(decision, "webmail_recipient_during_notice").verdict == WARN
    assert finding(decision, "client_recipient_during_notice").verdict == BLOCK


# --- approvals ----------------------------------------------------------------------------------------

SIGNED_OFF = make_message(to=[CLIENT], subject="Farewell", body="Bob Jones takes over from Monday.")
OTHER_TEXT = make_message(to=[CLIENT], subject="Farewell", body="Bob Jones takes over from Tuesday.")


def approval(status=ApprovalStatus.APPROVED, *, of=SIGNED_OFF, expires_at=NOW + DAY) -> Approval:
    return Approval(id=7, fingerprint=fingerprint(of), status=status, expires_at=expires_at)


APPROVED, PENDING, REJECTED, EXPIRED = (ApprovalStatus.APPROVED, ApprovalStatus.PENDING, ApprovalStatus.REJECTED,
                                        ApprovalStatus.EXPIRED)  # fmt: skip
SECOND = timedelta(seconds=1)

APPROVALS = [
    # approvals on file                            phase           verdict   approved
    pytest.param([approval()],                      "notice",       ALLOW,    True,
                 id="approved, same message, unexpired: allowed"),
    pytest.param([approval(expires_at=None)],       "notice",       ALLOW,    True,
                 id="approved without an expiry: allowed"),
    pytest.param([approval(REJECTED), approval()],  "notice",       ALLOW,    True,
                 id="an approved one among others: allowed"),
    pytest.param([approval(expires_at=NOW - SECOND)], "notice",     SIGN_OFF, False,
                 id="approved but expired: no effect"),
    pytest.param([approval(expires_at=NOW)],        "notice",       SIGN_OFF, False,
                 id="approved and expiring this instant: no effect"),
    pytest.param([approval(PENDING)],               "notice",       SIGN_OFF, False,
                 id="pending: no effect"),
    pytest.param([approval(REJECTED)],              "notice",       SIGN_OFF, False,
                 id="rejected: no effect"),
    pytest.param([approval(EXPIRED)],               "notice",       SIGN_OFF, False,
                 id="marked expired: no effect"),
    pytest.param([approval(of=OTHER_TEXT)],         "notice",       SIGN_OFF, False,
                 id="approved for another text: no effect"),
    pytest.param([],                                "notice",       SIGN_OFF, False,
                 id="no approvals: sign-off needed"),
    pytest.param([approval()],                      "garden_leave", BLOCK,    False,
                 id="an approval never lifts a block"),
]  # fmt: skip


@pytest.mark.parametrize(("approvals", "phase", "verdict", "approved"), APPROVALS)
def test_approvals(approvals, phase, verdict, approved):
    decision = decide(SIGNED_OFF, sender=make_departure(phase=phase), approvals=approvals)

    assert decision.verdict == decision.would_be == verdict
    if approved:
        assert decision.approval_id == 7
        assert finding(decision, policy.APPROVED).verdict == ALLOW
        assert dict(finding(decision, policy.APPROVED).params) == {"approval_id": "7"}
    else:
        assert decision.approval_id is None
        assert policy.APPROVED not in codes(decision)


def test_an_approval_keeps_the_findings_it_overrides():
    decision = decide(SIGNED_OFF, approvals=[approval()])

    assert codes(decision) == ["client_recipient_during_notice", policy.APPROVED]


def test_an_approval_lifts_a_warning_too():
    message = make_message(to=[WEBMAIL])

    decision = decide(message, approvals=[approval(of=message)])

    assert decision.verdict == ALLOW
    assert decision.approval_id == 7


def test_an_approval_survives_whitespace_and_recipient_order_changes():
    signed = make_message(to=[CLIENT, "ops@eu.contoso.example"], body="Bob takes over.\n\nRegards")
    sent = make_message(to=["OPS@eu.contoso.example", CLIENT], body="Bob  takes over. Regards ")

    decision = decide(sent, approvals=[approval(of=signed)])

    assert decision.verdict == ALLOW


# --- monitor-only -------------------------------------------------------------------------------------

MONITOR_ONLY = [
    # phase          writing to  would have been
    pytest.param("notice",       CLIENT,    SIGN_OFF, id="sign-off needed"),
    pytest.param("notice",       WEBMAIL,   WARN,     id="a warning"),
    pytest.param("garden_leave", CLIENT,    BLOCK,    id="a block"),
    pytest.param("notice",       COLLEAGUE, ALLOW,    id="allowed anyway"),
]  # fmt: skip


@pytest.mark.parametrize(("phase", "recipient", "would_be"), MONITOR_ONLY)
def test_monitor_only_allows_and_reports_what_the_verdict_would_have_been(phase, recipient, would_be):
    message, sender = make_message(to=[recipient]), make_departure(phase=phase)

    enforced = decide(message, sender=sender)
    monitored = decide(message, sender=sender, settings=settings_with(monitor_only=True))

    assert monitored.verdict == ALLOW
    assert monitored.would_be == would_be == enforced.verdict
    assert monitored.monitor_only is True
    assert monitored.findings == enforced.findings


# --- combining recipients -----------------------------------------------------------------------------

STRICTEST = [
    # phase        writing to                        verdict
    pytest.param("notice",       [COLLEAGUE, EXTERNAL, WEBMAIL], WARN,     id="colleague, outsider, webmail: warning"),
    pytest.param("notice",       [COLLEAGUE, WEBMAIL, CLIENT],   SIGN_OFF, id="colleague, webmail, client: sign-off"),
    pytest.param("garden_leave", [EXTERNAL, CLIENT, COLLEAGUE],  BLOCK,    id="outsider and client on leave: block"),
    pytest.param("departed",     [COLLEAGUE, f"dave@{COMPANY}"], ALLOW,    id="only colleagues after leaving: allowed"),
    pytest.param("notice",       [],                             ALLOW,    id="no recipients at all: allowed"),
]  # fmt: skip


@pytest.mark.parametrize(("phase", "to", "verdict"), STRICTEST)
def test_the_strictest_verdict_across_recipients_wins(phase, to, verdict):
    decision = decide(make_message(to=to), sender=make_departure(phase=phase))

    assert decision.verdict == verdict == strictest(f.verdict for f in decision.findings)


def test_a_recipient_in_to_cc_and_bcc_is_counted_once():
    decision = decide(make_message(to=[CLIENT], cc=["Dan+Copy@Contoso.Example"], bcc=[CLIENT]))

    assert [f.recipients for f in decision.findings] == [(CLIENT,)]


def test_an_edited_ladder_cell_is_honoured():
    ladder = default_ladder() | {(Phase.NOTICE, RecipientClass.EXTERNAL): BLOCK}

    decision = decide(make_message(to=[EXTERNAL, COLLEAGUE]), settings=settings_with(ladder=ladder))

    assert decision.verdict == BLOCK
    assert codes(decision) == ["external_recipient_during_notice"]


def test_an_edited_ladder_can_relax_a_cell_as_well():
    ladder = default_ladder() | {(Phase.GARDEN_LEAVE, RecipientClass.CLIENT_DOMAIN): WARN}
    sender = make_departure(phase="garden_leave")

    decision = decide(make_message(to=["ops@eu.contoso.example"]), sender=sender, settings=settings_with(ladder=ladder))

    assert decision.verdict == WARN


# A sender matched by an alias rather than their main address is the caller's concern: the policy is
# handed the departure record already looked up (services and store tests cover it).
