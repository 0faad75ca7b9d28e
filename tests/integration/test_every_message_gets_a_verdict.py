"""No message a mail client can send escapes a verdict (issue 12): the former ways around the check, on both databases.

Each trick that used to make the server refuse the check (a junk recipient, a quoted local part, a body over
1 MB, 501 recipients, 251 attachments, a request too large to read) now gets a verdict that holds a leaver's
message and lets a colleague's go, and leaves an audit row; a check still refused (a 4xx for what no mail client
sends) is audited as an attempt.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime

import pytest
import requests
from werkzeug.serving import make_server

from server import create_app, db, store
from server.model import PolicySettings

from ..builders import closed_port
from .signoff_helpers import add_leaver, ask, decide, link_path, queued, sign_in

CHECK = "/api/v1/check"
ALICE = "alice@northwind.example"  # on notice
DMITRI = "dmitri@northwind.example"  # on garden leave
ERIN = "erin@northwind.example"  # departed
CAROL = "carol@northwind.example"  # not leaving
KIM = "kim@contoso.example"  # a client contact
BOB = "bob@northwind.example"  # Alice's successor
HR = "hr@northwind.example"
OUTSIDE = "someone@elsewhere.example"  # nobody's client
JUNK = '"x y"@nowhere.example'
QUOTED = '"kim"@contoso.example'
EUROS = "€" * 340_000  # 1.02 MB of UTF-8
SIGNAL = "Stay in touch after I leave: +34 612 345 678.\n"


def dev(email: str) -> dict[str, str]:
    return {"Authorization": f"Dev {email}"}


def check(http, sender: str, **payload):
    payload.setdefault("to", [])
    return http.post(CHECK, headers=dev(sender), json=payload)


def audit_rows(engine) -> list[dict]:
    with engine.connect() as conn:
        return store.audit_events(conn, limit=1000)


def codes(body: dict) -> list[str]:
    return [f["code"] for f in body["findings"]]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# Each trick as a request body, and the verdict (and the finding that says why) for each kind of sender.
TRICKS = {
    "junk recipient": {"to": [JUNK]},
    "quoted local part": {"to": [QUOTED]},
    "body over 1 MB": {"to": [KIM], "body": EUROS},
    "blocked message padded past the body limit": {"to": [KIM], "body": SIGNAL + EUROS},
    # The signal after the padding, and the successor in copy to ease the client's verdict to a warning.
    "signal hidden after the padding": {"to": [KIM], "cc": [BOB], "body": EUROS + SIGNAL},
    "501 recipients": {"to": [f"p{i}@elsewhere.example" for i in range(501)]},
    "251 attachments": {"to": [OUTSIDE], "attachments": [{"name": f"f{i}.pdf", "size": i} for i in range(251)]},
}
EXPECTED = [
    ("junk recipient", ALICE, "require_approval", "unreadable_recipient"),
    ("junk recipient", DMITRI, "block", "unreadable_recipient"),
    ("junk recipient", ERIN, "block", "unreadable_recipient"),
    ("quoted local part", ALICE, "require_approval", "unreadable_recipient"),
    ("quoted local part", DMITRI, "block", "unreadable_recipient"),
    ("body over 1 MB", ALICE, "require_approval", "body_truncated"),
    ("body over 1 MB", DMITRI, "block", "body_truncated"),
    ("blocked message padded past the body limit", ALICE, "block", "solicitation_signal"),
    ("signal hidden after the padding", ALICE, "require_approval", "body_truncated"),
    ("501 recipients", ALICE, "require_approval", "too_many_recipients"),
    ("501 recipients", DMITRI, "block", "too_many_recipients"),
    ("501 recipients", ERIN, "block", "too_many_recipients"),
    ("251 attachments", ALICE, "require_approval", "too_many_attachments"),
    *[(trick, CAROL, "allow", None) for trick in TRICKS],
]


@pytest.mark.parametrize(
    ("trick", "sender", "verdict", "code"), EXPECTED, ids=[f"{t}-{s[:5]}" for t, s, *_ in EXPECTED]
)
def test_each_former_way_around_the_check_gets_a_verdict_and_an_audit_row(
    client, northwind, engine, trick, sender, verdict, code
):
    response = check(client, sender, **TRICKS[trick])

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["verdict"] == verdict
    assert (code in codes(body)) if code else body["findings"] == []
    (row,) = audit_rows(engine)
    assert (row["kind"], row["actor"], row["verdict"]) == ("check", sender, verdict)


def test_an_unreadable_recipient_is_named_and_the_other_recipients_are_still_judged(client, northwind):
    body = check(client, DMITRI, to=[JUNK, OUTSIDE], cc=[KIM]).get_json()

    found = {f["code"]: f for f in body["findings"]}
    assert found["unreadable_recipient"]["recipients"] == [JUNK]
    assert found["client_recipient_during_garden_leave"]["recipients"] == [KIM]
    assert found["external_recipient_during_garden_leave"]["recipients"] == [OUTSIDE]
    assert JUNK in body["dialog"]


@pytest.mark.parametrize(
    "value",
    ["kim", "a@b", "x@-bad.example", "two@a.example, three@a.example", "@nowhere.example", "a..b@contoso.example", ""],
)
def test_every_string_a_client_may_name_as_a_recipient_is_judged_and_never_a_400(client, northwind, value):
    response = check(client, ALICE, bcc=[value])

    assert response.status_code == 200
    (finding,) = response.get_json()["findings"]
    assert (finding["code"], finding["verdict"], finding["recipients"]) == (
        "unreadable_recipient",
        "require_approval",
        [value],
    )


def test_a_long_unreadable_value_is_shown_cut_but_bound_whole(client, northwind):
    long_value, other = "a" * 5000, "a" * 4999 + "b"
    first = check(client, ALICE, to=[long_value]).get_json()
    second = check(client, ALICE, to=[other]).get_json()

    assert len(first["findings"][0]["recipients"][0]) == 320
    assert first["fingerprint"] != second["fingerprint"]


def test_a_signal_in_the_body_steps_an_unreadable_recipient_up_as_it_would_a_client(client, northwind):
    body = check(client, ALICE, to=[JUNK], body=SIGNAL).get_json()

    assert body["verdict"] == "block"
    assert {f["code"]: f["verdict"] for f in body["findings"]}["unreadable_recipient"] == "block"


def test_past_the_recipient_limit_the_first_recipients_are_still_judged(client, northwind):
    body = check(client, DMITRI, to=[KIM] + [f"p{i}@elsewhere.example" for i in range(600)]).get_json()

    found = {f["code"]: f for f in body["findings"]}
    assert found["client_recipient_during_garden_leave"]["recipients"] == [KIM]
    assert (
        "601 recipients" in found["too_many_recipients"]["message"] and "500" in found["too_many_recipients"]["message"]
    )
    assert len(body["banner"]) <= 150 and len(body["dialog"]) <= 500


def test_a_banner_for_too_many_recipients_says_why_rather_than_counting_clients(client, northwind):
    body = check(client, ALICE, mode="preview", to=[f"p{i}@elsewhere.example" for i in range(501)]).get_json()

    assert body["verdict"] == "require_approval"
    assert body["banner"].startswith("LeaverGuard: 501 recipients")


# --- the body limit, counted in bytes ---------------------------------------------------------------------------

# "Добрый день " is 22 bytes in UTF-8; the 12 x's make it exactly 1,000,000.
CYRILLIC_MEGABYTE = "Добрый день " * 45_454 + "x" * 12


def test_a_body_of_exactly_the_limit_is_read_whole(client, northwind):
    body = check(client, ALICE, to=[OUTSIDE], body=CYRILLIC_MEGABYTE).get_json()

    assert body["verdict"] == "allow" and body["findings"] == []


def test_one_byte_over_the_body_limit_is_cut_and_said_so_and_makes_a_leavers_message_at_least_a_warning(
    client, northwind
):
    body = check(client, ALICE, to=[OUTSIDE], body=CYRILLIC_MEGABYTE[:-1] + "ж").get_json()

    assert body["verdict"] == "warn"
    assert codes(body) == ["body_truncated"]


def test_the_add_ins_own_cut_is_a_finding_and_the_whole_bodys_hash_is_bound(client, northwind):
    part = "Hello Kim, the rest of the thread follows."
    cut = {"to": [KIM], "body": part, "body_truncated": True}
    one = check(client, ALICE, **cut, body_sha256=sha(part + " A")).get_json()
    two = check(client, ALICE, **cut, body_sha256=sha(part + " B")).get_json()
    whole = check(client, ALICE, to=[KIM], body=part).get_json()

    assert "body_truncated" in codes(one)
    assert len({one["fingerprint"], two["fingerprint"], whole["fingerprint"]}) == 3


def test_a_body_the_server_cuts_is_bound_through_the_hash_of_what_it_did_not_read(client, northwind):
    one = check(client, ALICE, to=[KIM], body=EUROS + "A").get_json()
    two = check(client, ALICE, to=[KIM], body=EUROS + "B").get_json()

    assert one["fingerprint"] != two["fingerprint"]


def test_a_subject_over_two_thousand_characters_is_cut_not_refused_and_bound_whole(client, northwind):
    one = check(client, ALICE, to=[KIM], subject="s" * 3000)
    two = check(client, ALICE, to=[KIM], subject="s" * 3001)

    assert one.status_code == 200 and one.get_json()["verdict"] == "require_approval"
    assert one.get_json()["fingerprint"] != two.get_json()["fingerprint"]


# --- a request too large to read ---------------------------------------------------------------------------------


def too_large(app) -> str:
    """A check whose request is over Flask's read limit (MAX_CONTENT_LENGTH): control characters escape to 6 bytes."""
    return json.dumps({"to": [KIM], "body": "\u0001" * (app.config["MAX_CONTENT_LENGTH"] // 5)})


@pytest.mark.parametrize(
    ("sender", "verdict", "findings"),
    [(ALICE, "block", ["message_too_large"]), (DMITRI, "block", ["message_too_large"]), (CAROL, "allow", [])],
)
def test_a_request_too_large_to_read_is_answered_with_a_verdict_for_its_caller(
    app, client, northwind, engine, sender, verdict, findings
):
    response = client.post(CHECK, headers=dev(sender), data=too_large(app), content_type="application/json")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["verdict"], codes(body)) == (verdict, findings)
    (row,) = audit_rows(engine)
    assert (row["actor"], row["verdict"]) == (sender, verdict)


def test_a_request_too_large_to_read_gets_its_verdict_over_a_real_connection(app, northwind):
    """The unread rest of the body is drained, so the client reads the answer instead of a connection reset."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}{CHECK}"
        headers = dev(ALICE) | {"Content-Type": "application/json"}
        response = requests.post(url, data=too_large(app).encode(), headers=headers, timeout=30)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    assert response.status_code == 200
    assert response.json()["verdict"] == "block"


def test_a_request_too_large_to_read_from_nobody_is_still_a_401(app, client, northwind, engine):
    response = client.post(CHECK, data=too_large(app), content_type="application/json")

    assert response.status_code == 401
    assert audit_rows(engine) == []


# --- checks still refused are audited as attempts --------------------------------------------------------------

REFUSED = [
    ("not JSON", {"data": '{"to": [', "content_type": "application/json"}, 400, "invalid_json", []),
    ("a number for an address", {"json": {"to": [5]}}, 400, "invalid_request", ["to[0]"]),
    ("an unknown field", {"json": {"to": [], "html": "<p>"}}, 400, "invalid_request", ["html"]),
    ("a bad attachment hash", {"json": {"to": [], "attachments": [{"name": "a", "size": 1, "sha256": "x"}]}}, 400,
     "invalid_request", ["attachments[0].sha256"]),
    ("a hash of an uncut body", {"json": {"to": [], "body": "x", "body_sha256": "0" * 64}}, 400, "invalid_request",
     ["body_sha256"]),
    ("not sent as JSON", {"data": "to=kim", "content_type": "text/plain"}, 415, "unsupported_media_type", []),
]  # fmt: skip


@pytest.mark.parametrize(("case", "kwargs", "status", "code", "fields"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_check_from_a_known_caller_leaves_an_audit_row_with_the_refusal(
    client, northwind, engine, case, kwargs, status, code, fields
):
    response = client.post(CHECK, headers=dev(ALICE), **kwargs)

    assert response.status_code == status
    (row,) = audit_rows(engine)
    assert (row["kind"], row["actor"], row["verdict"]) == ("check", ALICE, "refused")
    assert row["details"]["refusal"] == {"status": status, "code": code, "fields": fields}
    assert "<p>" not in json.dumps(row["details"])  # what was refused is named, never quoted


def test_a_refused_check_that_cannot_be_audited_is_a_503_not_a_500(tmp_path):
    url = f"postgresql+psycopg://x@127.0.0.1:{closed_port()}/x"
    app = create_app({"ENV": "development", "TESTING": True, "DATABASE_URL": url})
    app.instance_path = str(tmp_path)

    response = app.test_client().post(CHECK, headers=dev(ALICE), json={"to": [5]})

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    db.dispose(app)


def test_a_refused_preview_is_not_audited(client, northwind, engine):
    response = check(client, ALICE, mode="preview", to=[5])

    assert response.status_code == 400
    assert audit_rows(engine) == []


def test_a_caller_who_cannot_be_identified_is_logged_not_audited(client, northwind, engine, caplog):
    caplog.set_level("WARNING", logger="server.web.addin_api")

    response = client.post(CHECK, headers={"Authorization": "Basic eDp5"}, json={"to": [KIM]})

    assert response.status_code == 401
    assert audit_rows(engine) == []
    (record,) = [r for r in caplog.records if r.getMessage() == "caller not identified"]
    assert record.path == CHECK and "Basic" in record.reason


def test_a_refused_send_shows_in_the_leavers_evidence(client, northwind, engine):
    from server.console import evidence

    check(client, ALICE, to=[5])

    (row,) = audit_rows(engine)
    assert evidence.counts(row)
    assert evidence.rows(evidence.build(ALICE, [ALICE], [row], []))[0]["findings"] == "invalid_request"


# --- attachments bound by content --------------------------------------------------------------------------------

PDF = {"name": "handover.pdf", "size": 1234}


def test_a_leavers_attachment_without_a_content_hash_is_said_to_be_bound_by_name_and_size_only(client, northwind):
    body = check(
        client, ALICE, to=[OUTSIDE], attachments=[PDF, PDF | {"name": "b.pdf", "sha256": "ab" * 32}]
    ).get_json()

    (finding,) = body["findings"]
    assert (finding["code"], finding["verdict"], body["verdict"]) == ("attachment_unhashed", "allow", "allow")
    assert "handover.pdf" in finding["message"] and "b.pdf" not in finding["message"]


def test_the_audit_row_of_a_send_names_no_attachment(client, northwind, engine):
    check(client, ALICE, to=[OUTSIDE], attachments=[PDF])

    (row,) = audit_rows(engine)
    assert [f["code"] for f in row["details"]["findings"]] == ["attachment_unhashed"]
    assert "handover.pdf" not in json.dumps(row, default=str)


def test_a_colleagues_attachments_are_not_looked_at(client, northwind):
    body = check(client, CAROL, to=[KIM], attachments=[PDF]).get_json()

    assert (body["verdict"], body["findings"], body["fingerprint"]) == ("allow", [], None)


def test_the_fingerprint_covers_the_attachments_content(client, northwind):
    prints = {
        check(client, ALICE, to=[KIM], attachments=[PDF | extra]).get_json()["fingerprint"]
        for extra in ({"sha256": "ab" * 32}, {"sha256": "AB" * 32}, {"sha256": "cd" * 32}, {})
    }

    assert len(prints) == 3  # the hash's case does not matter; its value, or its absence, does


@pytest.fixture
def with_hr(app):
    app.config["HR_APPROVERS"] = (HR,)
    return app


def test_an_approval_does_not_let_through_an_attachment_swapped_for_one_of_the_same_name_and_size(
    with_hr, client, northwind
):
    approved = {
        "to": [KIM],
        "subject": "Handover",
        "body": "Bob takes over.",
        "attachments": [PDF | {"sha256": "ab" * 32}],
    }
    swapped = approved | {"attachments": [PDF | {"sha256": "cd" * 32}]}
    request = approved | {"justification": "The handover plan.", "attestation": True}
    assert client.post("/api/v1/approvals", headers=dev(ALICE), json=request).status_code == 201
    http = with_hr.test_client()
    sign_in(http, HR)
    assert decide(http, link_path(queued(northwind, "approval.request")[0]["text_body"]), "approve").status_code < 400

    assert check(client, ALICE, **swapped).get_json()["verdict"] == "require_approval"
    assert check(client, ALICE, **approved).get_json()["verdict"] == "allow"


def test_hr_is_asked_about_an_unreadable_recipient_by_its_value(with_hr, client, northwind):
    request = {"to": [KIM, JUNK], "subject": "Hi", "body": "Hello", "justification": "Handover.", "attestation": True}

    assert client.post("/api/v1/approvals", headers=dev(ALICE), json=request).status_code == 201

    text = queued(northwind, "approval.request")[0]["text_body"]
    assert f"TO: {JUNK} (not read as an address by LeaverGuard" in text
    assert "Addresses LeaverGuard cannot read" in text


# --- monitor-only --------------------------------------------------------------------------------------------------


def test_in_monitor_only_mode_a_trick_is_allowed_and_reported_as_what_it_would_be(client, northwind):
    with northwind.begin() as conn:
        store.save_settings(conn, PolicySettings(monitor_only=True), datetime.now(UTC))
    body = check(client, ALICE, to=[JUNK]).get_json()

    assert (body["verdict"], body["would_be"]) == ("allow", "require_approval")


# --- a successor who is leaving too -----------------------------------------------------------------------------


def test_copying_a_successor_who_is_leaving_too_does_not_ease_a_client_mail(client, northwind, engine):
    eased = check(client, ALICE, to=[KIM], cc=[BOB]).get_json()
    add_leaver(engine, BOB)  # the successor gives notice as well: a team lift-out

    held = check(client, ALICE, to=[KIM], cc=[BOB]).get_json()

    assert eased["verdict"] == "warn"
    assert (held["verdict"], "successor_in_copy" in codes(held)) == ("require_approval", False)


def test_a_nul_character_in_the_text_is_read_as_a_replacement_character_on_both_databases(client, northwind, app):
    """PostgreSQL's text cannot hold NUL: a sign-off request with one in its text or a recipient was a 500 there."""
    app.config["HR_APPROVERS"] = (HR,)
    message = {"subject": "Hand\u0000over", "body": "Hello\u0000Kim", "cc": ["a\u0000b@elsewhere.example"]}

    checked = check(client, ALICE, to=[KIM], **message).get_json()
    asked = ask(client, to=[KIM], **message, justification="Farewell\u0000note")

    assert asked.status_code == 201, asked.get_data(as_text=True)[:300]
    assert asked.get_json()["approval"]["fingerprint"] == checked["fingerprint"]
