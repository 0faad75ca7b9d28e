"""Every Gmail draft gets a verdict (issue 12): the card judges a draft as the check API judges the same message.

Gmail shows a compose add-on the draft's recipients only, never its text or attachments (draftAccess METADATA), so
the former ways around the check reach the server as the recipients in Google's event, or as an event too large to
read. Each gets a verdict card that holds a leaver's message and changes nothing for a colleague; none is audited,
since the Gmail card is a preview (Gmail has no send-time check).
"""

from __future__ import annotations

import json
import threading

import pytest
import requests
from werkzeug.serving import make_server

from server import signoff_store, store
from server.model import Address
from tests import gmail_tokens as gt

from . import gmail_helpers as gh
from .signoff_helpers import queued

ALICE = "alice@northwind.example"  # on notice
DMITRI = "dmitri@northwind.example"  # on garden leave
ERIN = "erin@northwind.example"  # departed
CAROL = "carol@northwind.example"  # not leaving
KIM = "kim@contoso.example"  # a client contact
OUTSIDE = "someone@elsewhere.example"  # nobody's client
JUNK = '"x y"@nowhere.example'
QUOTED = '"kim"@contoso.example'
COMPOSE, RECHECK = "/gmail/compose", "/gmail/actions/recheck"
VERDICTS = {
    "allow": "<b>This message can be sent. No sign-off is needed.</b>",
    "require_approval": "<b>HR must sign off this message before you send it.</b>",
    "block": "<b>This message cannot be sent, and a sign-off cannot change that.</b>",
}
UNREADABLE_NOTE = "Addresses LeaverGuard cannot read, which may be a client's: "
TOO_LARGE_NOTE = "This message is too large for LeaverGuard to read, so it cannot be sent as it is."
UNREAD_SENTENCE = "Gmail sent LeaverGuard more than it can read"


def padding(count: int) -> list[str]:
    return [f"p{i}@elsewhere.example" for i in range(count)]


def too_large_to_read(app) -> list[str]:
    """More recipients than a request LeaverGuard reads can hold (MAX_CONTENT_LENGTH), a client's first."""
    address = "someone.with.a.long.name.{:06d}@" + "subsidiary." * 20 + "elsewhere.example"
    return [KIM] + [address.format(i) for i in range(app.config["MAX_CONTENT_LENGTH"] // len(address) + 1)]


def event(sender: str = ALICE, locale: str = "en", **draft) -> dict:
    return gt.event(user=gt.token(gt.key(), gt.user_claims(sender)), locale=locale, **draft)


def card_of(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return gh.only_card(response.get_json())


def audit_rows(engine) -> list[dict]:
    with engine.connect() as conn:
        return store.audit_events(conn, limit=1000)


# Each trick as the draft Google's event describes, and the card's verdict (and the note that says why) per sender.
TRICKS = {
    "junk recipient": lambda app: {"to": [JUNK]},
    "quoted local part": lambda app: {"to": [QUOTED]},
    "501 recipients": lambda app: {"to": padding(501)},
    # Gmail never shows an add-on the body: a draft with 1.02 MB of text reaches the server as its recipients.
    "body over 1 MB": lambda app: {"to": [KIM]},
    "blocked message padded past the recipient limit": lambda app: {"to": [KIM, *padding(600)]},
    "event too large to read": lambda app: {"to": too_large_to_read(app)},
}
EXPECTED = [
    ("junk recipient", ALICE, "require_approval", UNREADABLE_NOTE + JUNK),
    ("junk recipient", DMITRI, "block", UNREADABLE_NOTE + JUNK),
    ("junk recipient", ERIN, "block", UNREADABLE_NOTE + JUNK),
    ("quoted local part", ALICE, "require_approval", UNREADABLE_NOTE + QUOTED),
    ("quoted local part", DMITRI, "block", UNREADABLE_NOTE + QUOTED),
    ("501 recipients", ALICE, "require_approval", "501 recipients, more than the 500 LeaverGuard checks one by one"),
    ("501 recipients", ERIN, "block", "501 recipients, more than the 500 LeaverGuard checks one by one"),
    ("body over 1 MB", ALICE, "require_approval", None),
    ("blocked message padded past the recipient limit", DMITRI, "block", "601 recipients, more than the 500"),
    ("event too large to read", ALICE, "block", TOO_LARGE_NOTE),
    ("event too large to read", DMITRI, "block", TOO_LARGE_NOTE),
]


@pytest.mark.parametrize(
    ("trick", "sender", "verdict", "note"), EXPECTED, ids=[f"{t}-{s[:5]}" for t, s, *_ in EXPECTED]
)
def test_each_former_way_around_the_check_gets_a_verdict_on_a_leavers_gmail_card(
    gmail, app, engine, trick, sender, verdict, note
):
    card = card_of(gh.call(gmail, COMPOSE, event(sender, **TRICKS[trick](app))))

    lines = gh.texts(card)
    assert lines[0] == VERDICTS[verdict]
    assert note is None or any(line.startswith(note) for line in lines), lines
    assert audit_rows(engine) == []  # a Gmail card is a preview, as Outlook's are


@pytest.mark.parametrize("trick", TRICKS)
def test_each_former_way_around_the_check_changes_nothing_for_a_colleague_in_gmail(gmail, app, trick):
    card = card_of(gh.call(gmail, COMPOSE, event(CAROL, **TRICKS[trick](app))))
    plain = card_of(gh.call(gmail, COMPOSE, event(CAROL, to=[KIM])))

    assert gh.texts(card) == gh.texts(plain)
    assert gh.texts(card)[0] == VERDICTS["allow"]


def test_an_unreadable_value_is_named_on_the_card_and_the_other_recipients_are_still_judged(gmail):
    card = card_of(gh.call(gmail, COMPOSE, event(DMITRI, to=[JUNK, OUTSIDE], cc=[KIM])))

    lines = gh.texts(card)
    assert lines[lines.index(KIM) : lines.index(KIM) + 2] == [KIM, "Client · may not receive this"]
    assert lines[lines.index(OUTSIDE) : lines.index(OUTSIDE) + 2] == [OUTSIDE, "Outside the company · needs care"]
    assert f"{UNREADABLE_NOTE}{JUNK}. This cannot be sent." in lines


@pytest.mark.parametrize(
    ("given", "shown"),
    [([5], "5"), ([None], "null"), ([{"name": "Kim"}], '{"name": "Kim"}'), (42, "42"), ([""], "")],
    ids=["a number", "null", "an object", "a number for the list", "an empty string"],
)
def test_values_in_googles_event_that_are_no_address_are_judged_not_left_out(gmail, given, shown):
    draft = event(to=[OUTSIDE])
    draft["gmail"]["toRecipients"] = given

    card = card_of(gh.call(gmail, COMPOSE, draft))

    assert gh.texts(card)[0] == VERDICTS["require_approval"]
    assert f"{UNREADABLE_NOTE}{shown}. HR must sign off before this can be sent." in gh.texts(card)


def test_a_recipient_list_given_as_one_string_is_read_as_that_recipient(gmail):
    draft = event(DMITRI)
    draft["gmail"]["ccRecipients"] = KIM

    lines = gh.texts(card_of(gh.call(gmail, COMPOSE, draft)))

    assert (lines[0], lines[lines.index(KIM) + 1]) == (VERDICTS["block"], "Client · may not receive this")


def test_a_lone_surrogate_in_a_recipient_is_replaced_as_outlook_replaces_it_and_the_recipient_judged(gmail):
    body = json.dumps(event(to=["kim\ud800@contoso.example"]))  # the escape \ud800 alone is not text

    response = gmail.post(COMPOSE, data=body, content_type="application/json", headers=gt.headers(COMPOSE))

    lines = gh.texts(card_of(response))
    assert lines[:3] == [VERDICTS["require_approval"], "kim\ufffd@contoso.example", "Client · needs HR sign-off"]


# --- the same reading as the check API, sign-off included ----------------------------------------------------------


def test_a_draft_is_read_as_the_check_api_reads_it_and_hr_can_be_asked_past_the_recipient_limit(gmail, engine):
    recipients = [KIM, JUNK, *padding(600)]
    form = {"justification": ["The farewell list."], "attestation": ["yes"]}

    answer = gh.call(gmail, "/gmail/actions/signoff", event(to=recipients, form=form)).get_json()
    api = gmail.post(
        "/api/v1/check", headers={"Authorization": f"Dev {ALICE}"}, json={"mode": "preview", "to": recipients}
    ).get_json()

    assert answer["renderActions"]["action"]["notification"]["text"] == "Your request went to HR."
    assert "TO: " + JUNK in queued(engine, "approval.request")[0]["text_body"]
    with engine.connect() as conn:
        (request,) = signoff_store.requests_of(conn, Address("alice", "northwind.example").key)
    assert request["fingerprint"] == api["fingerprint"]  # the same message, read by the same function
    assert api["approval"]["status"] == "pending"


# --- an event too large to read, on every endpoint ------------------------------------------------------------------

UNREAD_ANSWERS = [
    (COMPOSE, ALICE, VERDICTS["block"]),
    (RECHECK, ALICE, VERDICTS["block"]),
    (COMPOSE, CAROL, VERDICTS["allow"]),
    ("/gmail/homepage", ALICE, "You are leaving the company: mail to clients may need HR sign-off."),
    ("/gmail/actions/signoff", ALICE, f"<b>{UNREAD_SENTENCE}"),
]


@pytest.mark.parametrize(
    ("path", "sender", "shown"), UNREAD_ANSWERS, ids=[f"{p}-{s[:5]}" for p, s, _ in UNREAD_ANSWERS]
)
def test_an_event_too_large_to_read_is_answered_with_a_card_for_its_user(gmail, app, engine, path, sender, shown):
    form = {"justification": ["x" * 100], "attestation": ["yes"]}

    response = gh.call(gmail, path, event(sender, to=too_large_to_read(app), form=form))

    assert any(line.startswith(shown) for line in gh.texts(card_of(response)))
    assert queued(engine, "approval.request") == []
    assert "Request HR sign-off" not in gh.buttons(card_of(response))


def test_a_justification_too_large_to_read_is_refused_on_the_form_and_hr_is_asked_nothing(gmail, app, engine):
    form = {"justification": ["€" * (app.config["MAX_CONTENT_LENGTH"] // 3 + 1)], "attestation": ["yes"]}

    response = gh.call(gmail, "/gmail/actions/signoff", event(to=[KIM], form=form))

    lines = gh.texts(card_of(response))
    assert lines[0].startswith(f"<b>{UNREAD_SENTENCE}") and "shorter justification" in lines[0]
    assert queued(engine, "approval.request") == []


def test_adding_the_successor_to_a_draft_too_large_to_read_only_says_why_and_keeps_the_cc(gmail, app):
    response = gh.call(gmail, "/gmail/actions/add-successor", event(to=too_large_to_read(app), cc=[CAROL]))

    answer = response.get_json()
    assert list(answer["renderActions"]) == ["action"]  # no updateDraftActionMarkup: the Cc stays as it is
    assert answer["renderActions"]["action"]["notification"]["text"].startswith(UNREAD_SENTENCE)


@pytest.mark.parametrize(
    ("locale", "verdict"),
    [("es-419", "Este mensaje no se puede enviar"), ("ru", "Это письмо отправить нельзя")],
)
def test_an_event_too_large_to_read_is_answered_in_the_users_gmail_language(gmail, app, locale, verdict):
    card = card_of(gh.call(gmail, COMPOSE, event(locale=locale, to=too_large_to_read(app))))

    assert gh.texts(card)[0].startswith(f"<b>{verdict}")


@pytest.mark.parametrize(
    ("case", "user", "system", "status"),
    [
        ("a user token not Google's", "forged", {}, 401),
        ("no user token at all", None, {}, 413),
        ("a system token of another service account", ALICE, {"email": "mallory@evil.example"}, 401),
    ],
)
def test_an_event_too_large_to_read_from_nobody_known_is_refused_as_before(gmail, app, case, user, system, status):
    draft = event(to=too_large_to_read(app))
    if user != ALICE:
        draft["authorizationEventObject"]["userIdToken"] = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" if user else None

    response = gmail.post(COMPOSE, json=draft, headers=gt.headers(COMPOSE, **system))

    assert response.status_code == status
    assert "error" in response.get_json()


def test_an_event_too_large_to_read_gets_its_card_over_a_real_connection(gmail, app, google_certs):
    """The whole body is read while looking for the user's token, so Google reads the card, not a connection reset."""
    google_certs.add_passthru("http://127.0.0.1")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}{COMPOSE}"
        data = json.dumps(event(to=too_large_to_read(app))).encode()
        headers = gt.headers(COMPOSE) | {"Content-Type": "application/json"}
        response = requests.post(url, data=data, headers=headers, timeout=30)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    assert response.status_code == 200
    assert gh.texts(gh.only_card(response.json()))[0] == VERDICTS["block"]
