"""The Gmail add-on as Gmail uses it: the compose card, Check again, HR sign-off from Gmail, and the successor in Cc.

Every card an answer carries is parsed into Google's own Card message (gmail_helpers.as_card).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from googleapiclient.http import HttpMockSequence

from server import demo, signoff_store, store
from server.model import Address, Field, OutgoingMessage, Recipient, fingerprint
from server.sync import connectors
from server.sync.records import RunStatus
from server.sync.service import SyncSettings, run_once
from tests import gmail_tokens as gt
from tests import google_keys

from . import gmail_helpers as gh
from .signoff_helpers import HR, decide, link_path, queued, sign_in

ALICE, BOB, CAROL = "alice@northwind.example", "bob@northwind.example", "carol@northwind.example"
KIM = "kim@contoso.example"
SIGNOFF = "/gmail/actions/signoff"
NOW = datetime.now(UTC)


@pytest.fixture
def client(gmail):
    """The conftest's Gmail app (the add-on on, HR approvers set, the demo seeded)."""
    return gmail


def compose(client, to=(), cc=(), *, sender=ALICE, locale="en", path="/gmail/compose") -> dict:
    user = gt.token(gt.key(), gt.user_claims(sender))
    response = gh.call(client, path, gt.event(list(to), list(cc), user=user, locale=locale))
    assert response.status_code == 200
    return gh.only_card(response.get_json())


def ask_hr(client, to=(KIM,), justification="A farewell note that introduces Bob.", attested=True, sender=ALICE):
    form = {"justification": [justification]} | ({"attestation": ["yes"]} if attested else {})
    user = gt.token(gt.key(), gt.user_claims(sender))
    return gh.call(client, SIGNOFF, gt.event(list(to), user=user, form=form))


# --- the compose card --------------------------------------------------------------------------


def test_a_leaver_writing_to_a_client_sees_why_and_can_ask_hr_and_add_the_successor(client):
    card = compose(client, to=[KIM, CAROL])

    lines = gh.texts(card)
    assert "<b>HR must sign off this message before you send it.</b>" in lines
    assert lines[lines.index(KIM) : lines.index(KIM) + 2] == [KIM, "Client · needs HR sign-off"]
    assert CAROL not in lines  # a colleague is not flagged
    assert gh.buttons(card) == {
        "Check again": f"{gt.BASE}/gmail/actions/recheck",
        "Request HR sign-off": f"{gt.BASE}/gmail/actions/signoff-form",
        "Add my successor in Cc": f"{gt.BASE}/gmail/actions/add-successor",
    }


def test_the_compose_trigger_answers_with_a_card_to_show(client):
    answer = gh.call(client, "/gmail/compose", gt.event([KIM])).get_json()

    assert list(answer) == ["action"] and list(answer["action"]["navigations"][0]) == ["pushCard"]


def test_a_colleague_sees_that_the_message_can_go_and_no_buttons_but_check_again(client):
    card = compose(client, to=[KIM], sender=CAROL)

    assert "<b>This message can be sent. No sign-off is needed.</b>" in gh.texts(card)
    assert list(gh.buttons(card)) == ["Check again"]


def test_a_leaver_entered_by_hand_under_an_alias_is_held_by_her_google_address_after_the_directory_sync(
    client, engine, tmp_path
):
    """Google's ID token names the account's primary address; HR typed her alias. The sync links the two."""
    grace, alias = "grace@northwind.example", "grace.h@northwind.example"
    with engine.begin() as conn:
        store.save_departure(conn, replace(demo.departures(date.today())[0], email=alias, aliases=()), NOW)
    before = compose(client, to=[KIM], sender=grace)
    key_file = google_keys.service_account_file(tmp_path, "sync@leaverguard-test.iam.gserviceaccount.com")
    account = {"id": "104385", "primaryEmail": grace, "aliases": [alias]}
    answers = HttpMockSequence([google_keys.token_answer(), google_keys.users_page([account])])
    settings = {"GOOGLE_SERVICE_ACCOUNT_FILE": key_file, "GOOGLE_ADMIN_SUBJECT": "admin@northwind.example"}

    run = run_once(engine, connectors.build("google-directory", settings, google_http=answers), SyncSettings())

    assert (run.status, run.updated) == (RunStatus.SUCCESS, 1)
    assert "<b>This message can be sent. No sign-off is needed.</b>" in gh.texts(before)
    assert "<b>HR must sign off this message before you send it.</b>" in gh.texts(
        compose(client, to=[KIM], sender=grace)
    )


def test_a_leaver_on_garden_leave_is_told_the_message_cannot_go_and_offered_no_sign_off(client):
    card = compose(client, to=[KIM], sender="dmitri@northwind.example")

    assert "<b>This message cannot be sent, and a sign-off cannot change that.</b>" in gh.texts(card)
    assert "Request HR sign-off" not in gh.buttons(card)


@pytest.mark.parametrize(
    ("locale", "verdict", "label"),
    [
        ("es-419", "RR. HH. debe aprobar este mensaje antes de que lo envíes.", "Cliente · requiere la aprobación"),
        ("ru", "Перед отправкой это письмо должен согласовать HR.", "Клиент · нужно согласование HR"),
    ],
)
def test_the_card_speaks_the_users_gmail_language(client, locale, verdict, label):
    card = compose(client, to=[KIM], locale=locale)

    assert f"<b>{verdict}</b>" in gh.texts(card)
    assert any(line.startswith(label) for line in gh.texts(card))


def test_without_recipients_the_card_asks_for_them(client):
    card = compose(client)

    assert gh.texts(card)[0] == "Add recipients, then press Check again."


def test_check_again_reads_the_recipients_gmail_sends_now_and_updates_the_card(client):
    response = gh.call(client, "/gmail/actions/recheck", gt.event([KIM], [BOB]))

    answer = response.get_json()
    card = gh.only_card(answer)
    assert list(answer["renderActions"]["action"]["navigations"][0]) == ["updateCard"]
    # Bob, the successor, in Cc: one step less (DESIGN.md section 4), and no successor button any more
    assert "<b>Please make sure this is business as usual before you send it.</b>" in gh.texts(card)
    assert list(gh.buttons(card)) == ["Check again"]


def test_the_homepage_tells_a_leaver_and_a_colleague_apart(client):
    leaver = compose(client, sender=ALICE, path="/gmail/homepage")
    colleague = compose(client, sender=CAROL, path="/gmail/homepage")

    assert "You are leaving the company: mail to clients may need HR sign-off." in gh.texts(leaver)
    assert "LeaverGuard has nothing to say about your mail." in gh.texts(colleague)


def test_the_logo_google_shows_is_a_public_png(app):
    response = app.test_client().get("/addin/gmail/logo.png")

    assert (response.status_code, response.mimetype) == (200, "image/png")
    assert response.data.startswith(b"\x89PNG")


# --- HR sign-off from Gmail --------------------------------------------------------------------


def test_request_hr_sign_off_opens_a_form_with_the_justification_and_the_attestation(client):
    answer = gh.call(client, "/gmail/actions/signoff-form", gt.event([KIM])).get_json()

    card = gh.only_card(answer)
    widgets = [w for s in card["sections"] for w in s["widgets"]]
    assert {"textInput", "selectionInput"} <= {kind for w in widgets for kind in w}
    assert gh.buttons(card) == {"Request sign-off": f"{gt.BASE}{SIGNOFF}"}


def test_a_sign_off_asked_from_gmail_reaches_hr_bound_to_the_recipients(client, engine):
    answer = ask_hr(client).get_json()

    (mail,) = queued(engine, "approval.request")
    assert mail["recipients"] == [HR]
    assert "A farewell note that introduces Bob." in mail["text_body"] and link_path(mail["text_body"])
    with engine.connect() as conn:
        (request,) = signoff_store.requests_of(conn, Address("alice", "northwind.example").key)
    message = OutgoingMessage((Recipient(Address("kim", "contoso.example"), Field.TO),))
    assert (request["subject"], request["body"], request["attestation"]) == ("", "", True)
    assert request["fingerprint"] == fingerprint(message)  # the recipients only: Gmail shows add-ons no text
    assert answer["renderActions"]["action"]["notification"]["text"] == "Your request went to HR."
    main = gh.only_card(answer)
    assert "Waiting for HR. Press Check again to see their decision." in gh.texts(main)
    assert "Request HR sign-off" not in gh.buttons(main)


def test_asking_again_for_the_same_recipients_sends_hr_nothing_new(client, engine):
    ask_hr(client)
    ask_hr(client, justification="Please!")

    assert len(queued(engine, "approval.request")) == 1


def test_after_hr_approves_check_again_shows_the_decision_and_hrs_comment(client, engine, app):
    ask_hr(client)
    path = link_path(queued(engine, "approval.request")[0]["text_body"])
    browser = app.test_client()
    sign_in(browser, HR)
    decide(browser, path, "approve", "Fine, keep it short.")

    card = compose(client, to=[KIM], path="/gmail/actions/recheck")

    assert any(line.startswith("HR signed off mail to exactly these recipients") for line in gh.texts(card))
    assert "HR's comment: Fine, keep it short." in gh.texts(card)
    assert "Request HR sign-off" not in gh.buttons(card)


def test_a_sign_off_without_a_justification_shows_the_form_again_and_asks_hr_nothing(client, engine):
    answer = ask_hr(client, justification="   ").get_json()

    card = gh.only_card(answer)
    assert "<b>Please say why this message needs to go.</b>" in gh.texts(card)
    assert queued(engine, "approval.request") == []


def test_a_justification_over_2000_characters_is_refused_and_kept_for_editing(client, engine):
    answer = ask_hr(client, justification="x" * 2001).get_json()

    card = gh.only_card(answer)
    assert "<b>Please keep the justification within 2,000 characters.</b>" in gh.texts(card)
    assert queued(engine, "approval.request") == []


@pytest.mark.parametrize(
    ("to", "sender", "complaint"),
    [
        ([CAROL], ALICE, "This message does not need a sign-off any more."),
        ([KIM], "dmitri@northwind.example", "This message is blocked; a sign-off cannot change that."),
    ],
)
def test_a_sign_off_hr_cannot_give_is_explained_on_the_form(client, engine, to, sender, complaint):
    card = gh.only_card(ask_hr(client, to=to, sender=sender).get_json())

    assert f"<b>{complaint}</b>" in gh.texts(card)
    assert queued(engine, "approval.request") == []


def test_over_the_hourly_limit_the_form_says_when_to_ask_again_and_hr_is_sent_nothing(client, app, engine):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 1
    ask_hr(client)

    card = gh.only_card(ask_hr(client, to=(KIM, "info@tailspin.example")).get_json())

    assert "<b>You have reached the limit of sign-off requests an hour (1). You can ask again in 60 min.</b>" in (
        gh.texts(card)
    )
    assert len(queued(engine, "approval.request")) == 1


def test_without_hr_approvers_the_form_says_to_tell_it(client, app, engine):
    app.config["HR_APPROVERS"] = ()

    card = gh.only_card(ask_hr(client).get_json())

    assert "No HR approver is set up for this message yet." in gh.texts(card)[0]


def test_an_approval_asked_in_gmail_covers_only_a_message_with_no_text_at_send_time(client, engine, app):
    """Documented limit: Gmail has no send check, and an Outlook send with a body is another message."""
    ask_hr(client)
    path = link_path(queued(engine, "approval.request")[0]["text_body"])
    browser = app.test_client()
    sign_in(browser, HR)
    decide(browser, path, "approve")
    api = {"Authorization": f"Dev {ALICE}"}

    with_text = client.post("/api/v1/check", headers=api, json={"to": [KIM], "body": "Hello Kim", "mode": "send"})
    without_text = client.post("/api/v1/check", headers=api, json={"to": [KIM], "mode": "send"})

    assert with_text.get_json()["verdict"] == "require_approval"
    assert without_text.get_json()["verdict"] == "allow"


# --- the successor in Cc ------------------------------------------------------------------------


def test_add_my_successor_replaces_the_cc_with_what_was_there_and_the_successor(client):
    answer = gh.call(
        client, "/gmail/actions/add-successor", gt.event([KIM], ["Carol <carol@northwind.example>"])
    ).get_json()

    markup = answer["renderActions"]["hostAppAction"]["gmailAction"]["updateDraftActionMarkup"]
    assert markup == {
        "updateCcRecipients": {"ccRecipients": [{"email": "Carol <carol@northwind.example>"}, {"email": BOB}]}
    }


def test_the_successor_comes_from_the_register_not_from_the_event(client):
    event = gt.event([KIM])
    event["commonEventObject"]["parameters"] = {"successor": "mallory@evil.example"}

    answer = gh.call(client, "/gmail/actions/add-successor", event).get_json()

    cc = answer["renderActions"]["hostAppAction"]["gmailAction"]["updateDraftActionMarkup"]["updateCcRecipients"]
    assert cc["ccRecipients"] == [{"email": BOB}]


@pytest.mark.parametrize(("sender", "cc"), [(CAROL, []), (ALICE, [BOB])])
def test_without_a_successor_to_add_the_action_only_says_so(client, sender, cc):
    user = gt.token(gt.key(), gt.user_claims(sender))

    answer = gh.call(client, "/gmail/actions/add-successor", gt.event([KIM], cc, user=user)).get_json()

    assert answer == {"renderActions": {"action": {"notification": {"text": "No successor is on record for you."}}}}
