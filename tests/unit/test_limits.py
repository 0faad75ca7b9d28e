"""What the check could not read, as tables (server/limits.py): each part is a finding, never a way out (issue 12)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from server import limits, policy
from server.messages import SUPPORTED_LOCALES, finding_message, render
from server.model import (
    Approval,
    ApprovalStatus,
    Attachment,
    Cut,
    Field,
    OutgoingMessage,
    Phase,
    RawRecipient,
    RecipientClass,
    Verdict,
    default_ladder,
    fingerprint,
)
from tests.builders import NOW, client_contact, make_departure, make_message, make_settings

ALLOW, WARN, SIGN_OFF, BLOCK = Verdict.ALLOW, Verdict.WARN, Verdict.REQUIRE_APPROVAL, Verdict.BLOCK
OUTSIDE = "sales@supplier.example"  # nobody's client: allow during notice
JUNK = '"x y"@nowhere.example'
HASH = "ab" * 32


def message(to=(OUTSIDE,), *, unreadable=(), unchecked=(), cut=None, attachments=(), body="Hello") -> OutgoingMessage:
    base = make_message(to=to, body=body, attachments=[(a.name, a.size) for a in attachments])
    raw = tuple(RawRecipient(v, Field.TO) for v in unreadable), tuple(RawRecipient(v, Field.BCC) for v in unchecked)
    return OutgoingMessage(base.recipients, base.subject, base.body, tuple(attachments), *raw, cut or Cut())


def decide(msg: OutgoingMessage, phase: str = "notice", **settings) -> policy.Decision:
    sender = None if phase == "none" else make_departure(phase=phase)
    return policy.evaluate(msg, sender=sender, recipients={}, settings=make_settings(**settings), now=NOW)


def found(decision) -> dict[str, Verdict]:
    return {f.code: f.verdict for f in decision.findings}


# --- each part the check could not read, in each phase ----------------------------------------------------------

PARTS = {
    "unreadable recipient": message(unreadable=[JUNK]),
    "recipients past the limit": message(unchecked=["p1@elsewhere.example"]),
    "body cut": message(cut=Cut(body=True, body_sha256=HASH)),
    "attachments over the limit": message(attachments=[Attachment("a.pdf", 1, HASH)] * 3, cut=Cut(attachments=1)),
    "attachment not hashed": message(attachments=[Attachment("a.pdf", 1)]),
    "too large to read": OutgoingMessage((), cut=Cut(whole=True)),
}
TABLE = [
    # part, phase, verdict, code, the code's own verdict
    ("unreadable recipient", "notice", SIGN_OFF, limits.UNREADABLE_RECIPIENT, SIGN_OFF),
    ("unreadable recipient", "garden_leave", BLOCK, limits.UNREADABLE_RECIPIENT, BLOCK),
    ("unreadable recipient", "departed", BLOCK, limits.UNREADABLE_RECIPIENT, BLOCK),
    ("recipients past the limit", "notice", SIGN_OFF, limits.TOO_MANY_RECIPIENTS, SIGN_OFF),
    ("recipients past the limit", "garden_leave", BLOCK, limits.TOO_MANY_RECIPIENTS, BLOCK),
    ("recipients past the limit", "departed", BLOCK, limits.TOO_MANY_RECIPIENTS, BLOCK),
    ("body cut", "notice", WARN, limits.BODY_TRUNCATED, WARN),
    ("body cut", "garden_leave", WARN, limits.BODY_TRUNCATED, WARN),  # the outside recipient warns there anyway
    ("attachments over the limit", "notice", SIGN_OFF, limits.TOO_MANY_ATTACHMENTS, SIGN_OFF),
    ("attachments over the limit", "departed", BLOCK, limits.TOO_MANY_ATTACHMENTS, SIGN_OFF),
    ("attachment not hashed", "notice", ALLOW, limits.ATTACHMENT_UNHASHED, ALLOW),
    ("too large to read", "notice", BLOCK, limits.MESSAGE_TOO_LARGE, BLOCK),
    ("too large to read", "garden_leave", BLOCK, limits.MESSAGE_TOO_LARGE, BLOCK),
]


@pytest.mark.parametrize(("part", "phase", "verdict", "code", "own"), TABLE, ids=[f"{t[0]}-{t[1]}" for t in TABLE])
def test_each_part_the_check_could_not_read_is_a_finding_of_a_leavers_decision(part, phase, verdict, code, own):
    decision = decide(PARTS[part], phase)

    assert decision.verdict == verdict
    assert found(decision)[code] == own


@pytest.mark.parametrize("part", list(PARTS))
@pytest.mark.parametrize("monitor_only", [False, True], ids=["enforcing", "monitor-only"])
def test_a_colleague_is_allowed_whatever_the_check_could_not_read(part, monitor_only):
    decision = decide(PARTS[part], "none", monitor_only=monitor_only)

    assert (decision.verdict, decision.findings) == (ALLOW, ())


def test_in_monitor_only_mode_a_leaver_is_allowed_and_told_what_it_would_be():
    decision = decide(PARTS["too large to read"], monitor_only=True)

    assert (decision.verdict, decision.would_be) == (ALLOW, BLOCK)


# --- reading the recipients a mail client names (the check API and the Gmail add-on alike) -------------------------

TO, CC, BCC = Field.TO, Field.CC, Field.BCC
READINGS = [
    # values by field, limit -> read (key, field), unreadable (value, field), unchecked (value, field)
    ({TO: ["Kim <kim@contoso.example>", JUNK]}, 500, [("kim@contoso.example", TO)], [(JUNK, TO)], []),
    ({BCC: ["a@x.example"], TO: ["b@x.example"]}, 1, [("b@x.example", TO)], [], [("a@x.example", BCC)]),
    ({TO: [JUNK], CC: ["a@x.example", "b@x.example"]}, 2, [("a@x.example", CC)], [(JUNK, TO)], [("b@x.example", CC)]),
    ({TO: ["", "   ", "kim", "a@b"]}, 500, [], [("", TO), ("   ", TO), ("kim", TO), ("a@b", TO)], []),
    ({TO: [], CC: []}, 500, [], [], []),
]


@pytest.mark.parametrize(("values", "limit", "read", "unreadable", "unchecked"), READINGS)
def test_recipients_are_read_to_the_limit_in_to_cc_bcc_order_and_nothing_is_left_out(
    values, limit, read, unreadable, unchecked
):
    message = limits.read_recipients(values, limit)

    assert [(r.address.key, r.field) for r in message.recipients] == read
    assert message.unreadable == tuple(RawRecipient(v, f) for v, f in unreadable)
    assert message.unchecked == tuple(RawRecipient(v, f) for v, f in unchecked)
    assert message.recipient_count == sum(len(v) for v in values.values())


# --- how strictly an unreadable recipient is judged --------------------------------------------------------------

LADDER_EDITS = [
    # the cells an admin set for (client contact, client domain, external) in notice -> the unreadable verdict
    ((SIGN_OFF, SIGN_OFF, ALLOW), SIGN_OFF),
    ((WARN, WARN, ALLOW), WARN),
    ((ALLOW, ALLOW, ALLOW), WARN),  # never below warn
    ((WARN, BLOCK, ALLOW), BLOCK),
    ((ALLOW, ALLOW, BLOCK), BLOCK),
]


@pytest.mark.parametrize(("cells", "verdict"), LADDER_EDITS)
def test_an_unreadable_recipient_is_judged_by_the_strictest_of_the_client_and_external_cells(cells, verdict):
    ladder = default_ladder()
    classes = (RecipientClass.CLIENT_CONTACT, RecipientClass.CLIENT_DOMAIN, RecipientClass.EXTERNAL)
    ladder.update({(Phase.NOTICE, cls): cell for cls, cell in zip(classes, cells, strict=True)})

    assert limits.unknown_recipient_verdict(ladder, Phase.NOTICE) == verdict
    assert decide(message(unreadable=[JUNK]), ladder=ladder).verdict == verdict


def test_an_unreadable_recipient_leaves_the_other_recipients_judged_as_ever():
    decision = decide(message(to=[OUTSIDE, "bob@northwind.example"], unreadable=[JUNK]), "garden_leave")

    assert found(decision) == {
        "external_recipient_during_garden_leave": WARN,
        limits.UNREADABLE_RECIPIENT: BLOCK,
    }


def test_a_signal_in_the_body_steps_unread_recipients_up_with_the_clients():
    decision = decide(message(unreadable=[JUNK], unchecked=["p@x.example"], body="Call me on +34 612 345 678"))

    assert found(decision) == {
        limits.UNREADABLE_RECIPIENT: BLOCK,
        limits.TOO_MANY_RECIPIENTS: BLOCK,
        policy.SOLICITATION_SIGNAL: BLOCK,
    }


CUT = Cut(body=True, body_sha256=HASH)
KIM = "kim@contoso.example"


@pytest.mark.parametrize(
    ("to", "clients", "verdict"),
    [
        ([KIM, "bob@northwind.example"], {KIM: client_contact()}, SIGN_OFF),  # successor in copy: eased, not here
        ([KIM], {KIM: client_contact()}, SIGN_OFF),
        ([OUTSIDE], {}, WARN),  # nobody's client: a warning says what was not read
    ],
    ids=["client-with-successor", "client", "outsider"],
)
def test_a_body_cut_unread_past_the_limit_needs_sign_off_when_it_goes_to_a_client(to, clients, verdict):
    """The unread end may hold what a signal would have caught (a padded body): a client mail is not eased past it."""
    msg = message(to=to, cut=CUT, body="€" * 10 + " see you")
    decision = policy.evaluate(msg, sender=make_departure(), recipients=clients, settings=make_settings(), now=NOW)

    assert found(decision)[limits.BODY_TRUNCATED] == verdict
    assert decision.verdict == verdict


def test_a_body_cut_with_an_unreadable_recipient_needs_sign_off():
    decision = decide(message(unreadable=[JUNK], cut=CUT))

    assert found(decision)[limits.BODY_TRUNCATED] == SIGN_OFF


def test_an_unreadable_value_is_named_once_and_cut_for_showing():
    decision = decide(message(unreadable=[JUNK, JUNK, "z" * 1000]))

    (finding,) = decision.findings
    assert finding.recipients == (JUNK, "z" * 319 + "…")


def test_too_many_recipients_counts_them_all_and_names_the_limit():
    decision = decide(message(to=[OUTSIDE], unreadable=[JUNK], unchecked=["a@x.example", "b@x.example"]))

    finding = next(f for f in decision.findings if f.code == limits.TOO_MANY_RECIPIENTS)
    assert dict(finding.params) == {"count": "4", "limit": "2"}


# --- approvals ---------------------------------------------------------------------------------------------------


def approved(msg) -> Approval:
    return Approval(7, fingerprint(msg), ApprovalStatus.APPROVED, None)


@pytest.mark.parametrize("part", ["unreadable recipient", "recipients past the limit", "attachments over the limit"])
def test_hr_can_sign_off_what_the_check_could_not_read(part):
    msg = PARTS[part]

    decision = policy.evaluate(
        msg, sender=make_departure(), recipients={}, settings=make_settings(), approvals=[approved(msg)], now=NOW
    )

    assert (decision.verdict, decision.approval_id) == (ALLOW, 7)


def test_no_sign_off_can_release_a_message_too_large_to_read():
    msg = PARTS["too large to read"]

    decision = policy.evaluate(
        msg, sender=make_departure(), recipients={}, settings=make_settings(), approvals=[approved(msg)], now=NOW
    )

    assert decision.verdict == BLOCK


# --- the fingerprint -----------------------------------------------------------------------------------------------


def fingerprint_before_issue_12(msg: OutgoingMessage) -> str:
    """The canonical form approvals were bound to before: a plain message must keep its fingerprint."""
    canonical = {f.value: sorted(a.key for a in msg.addresses(f)) for f in Field}
    canonical["subject"] = re.sub(r"\s+", " ", msg.subject).strip()
    canonical["body"] = re.sub(r"\s+", " ", msg.body).strip()
    canonical["attachments"] = sorted([a.name, a.size] for a in msg.attachments)
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def test_a_plain_message_keeps_the_fingerprint_it_had():
    msg = make_message(to=[OUTSIDE], cc=["b@x.example"], attachments=[("a.pdf", 3)])

    assert fingerprint(msg) == fingerprint_before_issue_12(msg)


VARIANTS = {
    "content hash": message(attachments=[Attachment("a.pdf", 1, HASH)]),
    "another content hash": message(attachments=[Attachment("a.pdf", 1, "cd" * 32)]),
    "no content hash": message(attachments=[Attachment("a.pdf", 1)]),
    "unreadable recipient": message(unreadable=[JUNK]),
    "another unreadable recipient": message(unreadable=['"x z"@nowhere.example']),
    "a recipient past the limit": message(unchecked=[JUNK]),
    "body cut, hashed": message(cut=Cut(body=True, body_sha256=HASH)),
    "body cut, another end": message(cut=Cut(body=True, body_sha256="cd" * 32)),
    "body cut, unhashed": message(cut=Cut(body=True)),
    "subject cut": message(cut=Cut(subject=True, subject_sha256=HASH)),
    "plain": message(),
}


def test_the_fingerprint_tells_apart_every_part_an_approval_is_bound_to():
    assert len({fingerprint(m) for m in VARIANTS.values()}) == len(VARIANTS)


def test_the_order_of_unreadable_recipients_does_not_change_the_fingerprint():
    assert fingerprint(message(unreadable=["a b", "c d"])) == fingerprint(message(unreadable=["c d", "a b"]))


# --- what the user reads -----------------------------------------------------------------------------------------


def a_finding(code: str) -> policy.Finding:
    decision = next(decide(m) for m in PARTS.values() if code in found(decide(m)))
    return next(f for f in decision.findings if f.code == code)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("code", limits.CODES)
def test_every_finding_of_what_was_not_read_reads_as_a_sentence_in_every_language(code, locale):
    text = finding_message(a_finding(code), locale)

    assert text.strip() and "{" not in text and "}" not in text
    assert locale == "en" or text != finding_message(a_finding(code), "en")
    if code == limits.UNREADABLE_RECIPIENT:
        assert JUNK in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("part", list(PARTS))
def test_banner_and_dialog_stay_within_outlooks_limits(part, locale):
    rendered = render(decide(PARTS[part], "garden_leave"), locale)

    assert len(rendered.banner) <= 150 and len(rendered.dialog) <= 500
    assert rendered.banner.startswith("LeaverGuard") and "{" not in rendered.banner


def test_a_blocking_banner_counts_unreadable_recipients_like_flagged_ones():
    rendered = render(decide(message(to=[], unreadable=[JUNK, "a b"]), "garden_leave"), "en")

    assert rendered.banner == "LeaverGuard: recipients you may not write to now: 2. Sending will be blocked."


def test_a_sign_off_banner_without_a_client_says_why_rather_than_counting_clients():
    rendered = render(decide(message(to=[], unreadable=[JUNK])), "en")

    assert rendered.banner.startswith("LeaverGuard: Addresses LeaverGuard cannot read, which may be a client's: ")
