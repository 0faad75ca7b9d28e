"""POST /api/v1/check end to end, on SQLite and PostgreSQL.

The README's demo promises, who the caller is, the audit row, monitor-only mode,
languages and text limits, every kind of bad input no mail client sends (a 4xx
JSON answer, audited as a refused attempt), and authentication in development
and production. What a mail client can send always gets a verdict:
test_every_message_gets_a_verdict.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from server import create_app, db, demo, store
from server.auth import AuthError, Identity
from server.model import PolicySettings, normalise_address
from server.tables import approval_requests, audit_events

CHECK = "/api/v1/check"
ALICE = "alice@northwind.example"
CAROL = "carol@northwind.example"
KIM = "kim@contoso.example"


def dev(email: str) -> dict[str, str]:
    return {"Authorization": f"Dev {email}"}


def check(http, sender: str, headers: dict | None = None, **payload):
    """POST a check as `sender` (Dev scheme); `to` defaults to no recipients."""
    payload.setdefault("to", [])
    return http.post(CHECK, headers=dev(sender) | (headers or {}), json=payload)


def post_raw(http, data, sender: str = ALICE, content_type: str = "application/json"):
    return http.post(CHECK, headers=dev(sender), data=data, content_type=content_type)


def audit_count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(audit_events))


def audit_rows(engine) -> list[dict]:
    with engine.connect() as conn:
        return store.audit_events(conn, limit=1000)


def assert_refused(engine, code: str) -> dict:
    """The one audit row is a refused check with `code`; returns it."""
    (row,) = audit_rows(engine)
    assert (row["kind"], row["verdict"], row["details"]["refusal"]["code"]) == ("check", "refused", code)
    return row


def stored_text(row: dict) -> str:
    """Everything an audit row holds but its timestamp (whose digits could match anything), lowercased."""
    return json.dumps({k: v for k, v in row.items() if k != "at"}, default=str, ensure_ascii=False).lower()


def strict_json(response):
    """The body parsed as strict JSON: NaN and Infinity, which Python would accept, are refused."""

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def assert_error(response, status: int, code: str) -> dict:
    """`response` is the JSON error envelope with `status` and `code`; returns the inner error."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = strict_json(response)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture
def now():
    return datetime.now(UTC)


@pytest.fixture
def northwind(engine, now):
    """The demo organisation of the README, seeded for today."""
    assert demo.seed(engine, now)
    return engine


# --- the README's promises ---------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "verdict", "phase", "codes"),
    [
        (ALICE, "require_approval", "notice", ["client_recipient_during_notice"]),
        (CAROL, "allow", "none", []),
        ("dmitri@northwind.example", "block", "garden_leave", ["client_recipient_during_garden_leave"]),
        ("erin@northwind.example", "block", "departed", ["client_recipient_during_departed"]),
        ("frank@northwind.example", "allow", "withdrawn", []),
        ("a.smith@northwind.example", "require_approval", "notice", ["client_recipient_during_notice"]),
        ("A.Smith@Northwind.EXAMPLE", "require_approval", "notice", ["client_recipient_during_notice"]),
    ],
)
def test_each_demo_person_writing_to_a_client_gets_the_verdict_the_readme_promises(
    client, northwind, sender, verdict, phase, codes
):
    response = check(client, sender, to=[KIM], subject="Handover", body="Hello Kim")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["verdict"], body["phase"]) == (verdict, phase)
    assert [f["code"] for f in body["findings"]] == codes
    assert all(f["recipients"] == [KIM] for f in body["findings"])
    assert body["monitor_only"] is False
    assert "would_be" not in body
    assert body["approval"] == {"status": "none", "id": None}


def test_the_readmes_curl_example_gets_the_answer_printed_in_the_readme(client, northwind):
    response = check(
        client, ALICE, mode="send", to=[KIM], subject="Handover", body="Hello Kim, Bob takes over from Monday."
    )

    body = response.get_json()
    assert body["findings"] == [
        {
            "code": "client_recipient_during_notice",
            "verdict": "require_approval",
            "recipients": [KIM],
            "message": "Client recipients: kim@contoso.example. You are on notice: "
            "HR must sign off before this can be sent.",
        }
    ]
    assert body["banner"] == "LeaverGuard: client recipients: 1. HR sign-off is needed to send."
    assert body["dialog"].startswith("This message needs HR sign-off before it can be sent:\n")


@pytest.mark.parametrize(
    ("recipient", "verdict", "codes"),
    [
        ("kim@sales.contoso.example", "require_approval", ["client_recipient_during_notice"]),
        ("ana.garcia@gmail.com", "require_approval", ["client_recipient_during_notice"]),
        ("Ana.Garcia+news@googlemail.com", "require_approval", ["client_recipient_during_notice"]),
        ("anyone@tailspin.example", "require_approval", ["client_recipient_during_notice"]),
        ("alice.private@gmail.com", "warn", ["own_personal_address_during_notice"]),
        ("someone@yandex.ru", "warn", ["webmail_recipient_during_notice"]),
        ("x@elsewhere.example", "allow", []),
        ("bob@northwind.example", "allow", []),
    ],
)
def test_the_demo_leaver_gets_the_ladders_verdict_for_each_kind_of_recipient(
    client, northwind, recipient, verdict, codes
):
    body = check(client, ALICE, to=[recipient]).get_json()

    assert (body["verdict"], [f["code"] for f in body["findings"]]) == (verdict, codes)


def test_a_colleague_who_is_not_leaving_gets_no_banner_and_no_dialog(client, northwind):
    body = check(client, CAROL, to=[KIM], cc=["ana.garcia@gmail.com"], body="Hello").get_json()

    assert (body["verdict"], body["findings"], body["banner"], body["dialog"]) == ("allow", [], "", "")


def test_the_demo_leavers_banner_and_dialog_explain_the_sign_off(client, northwind):
    body = check(client, ALICE, to=[KIM], body="Hello Kim").get_json()

    assert "HR" in body["banner"] and len(body["banner"]) <= 150
    assert KIM in body["dialog"] and len(body["dialog"]) <= 500
    assert KIM in body["findings"][0]["message"]


def test_a_colleague_who_puts_the_leavers_address_in_from_is_still_the_colleague(client, northwind, engine):
    body = check(client, CAROL, **{"from": ALICE, "to": [KIM]}).get_json()

    assert (body["verdict"], body["phase"]) == ("allow", "none")
    assert audit_rows(engine)[0]["actor"] == CAROL


def test_the_leaver_who_puts_a_colleagues_address_in_from_is_still_the_leaver(client, northwind, engine):
    body = check(client, ALICE, **{"from": CAROL, "to": [KIM]}).get_json()

    assert (body["verdict"], body["phase"]) == ("require_approval", "notice")
    row = audit_rows(engine)[0]
    assert (row["actor"], row["details"]["from"]) == (ALICE, CAROL)


def test_the_successor_in_copy_steps_the_sign_off_down_to_a_warning(client, northwind):
    body = check(client, ALICE, to=[KIM], cc=["bob@northwind.example"]).get_json()

    assert body["verdict"] == "warn"
    assert [f["code"] for f in body["findings"]] == ["client_recipient_during_notice", "successor_in_copy"]


def test_the_fingerprint_ignores_recipient_order_and_whitespace_but_not_the_text(client, northwind):
    first = check(client, ALICE, to=[KIM, "x@contoso.example"], subject="Hand  over", body="Hello\n Kim")
    second = check(client, ALICE, to=["x@contoso.example", KIM], subject="Hand over", body="Hello Kim", mode="preview")
    third = check(client, ALICE, to=[KIM, "x@contoso.example"], subject="Hand over", body="Hello Bob")

    assert first.get_json()["fingerprint"] == second.get_json()["fingerprint"]
    assert first.get_json()["fingerprint"] != third.get_json()["fingerprint"]


def test_an_approved_sign_off_lets_the_same_message_through_once(client, northwind, engine, now):
    message = {"to": [KIM], "subject": "Farewell", "body": "Bob takes over from me."}
    fingerprint = check(client, ALICE, mode="preview", **message).get_json()["fingerprint"]
    with engine.begin() as conn:
        approval_id = conn.execute(
            insert(approval_requests).values(
                sender_key=ALICE,
                sender_email=ALICE,
                fingerprint=fingerprint,
                status="approved",
                recipients=[KIM],
                attachments=[],
                created_at=now,
                expires_at=None,
            )
        ).inserted_primary_key[0]

    body = check(client, ALICE, **message).get_json()
    again = check(client, ALICE, **message).get_json()

    assert body["verdict"] == "allow"
    assert body["approval"] == {"status": "consumed", "id": approval_id}  # the send used it up
    assert body["findings"][-1]["code"] == "approved"
    assert again["verdict"] == "require_approval"  # an approval lets exactly one send through


# --- the audit log -------------------------------------------------------------


def test_each_send_check_writes_one_audit_row_and_a_preview_writes_none(client, northwind, engine):
    sent = [check(client, ALICE, to=[KIM]).get_json(), check(client, CAROL, to=[KIM]).get_json()]
    check(client, ALICE, to=[KIM], mode="preview")

    rows = audit_rows(engine)
    assert len(rows) == 2
    assert [(r["kind"], r["actor"], r["verdict"], r["fingerprint"]) for r in reversed(rows)] == [
        ("check", ALICE, "require_approval", sent[0]["fingerprint"]),
        ("check", CAROL, "allow", sent[1]["fingerprint"]),
    ]


def test_the_audit_row_keeps_no_subject_no_body_and_no_quoted_solicitation(client, northwind, engine):
    body_text = "Let us stay in touch: my personal number is +44 7700 900123, or write to alice.private@gmail.com"
    response = check(client, ALICE, to=[KIM], subject="Pineapple confidential", body=body_text)

    assert response.get_json()["verdict"] == "block"
    signal = response.get_json()["findings"][-1]
    assert signal["code"] == "solicitation_signal"
    assert set(signal["signals"]) == {"phone_number", "personal_email", "new_company_phrase"}
    (row,) = audit_rows(engine)
    stored = stored_text(row)
    for word in (
        "pineapple",
        "confidential",
        "stay in touch",
        "+44 7700",
        "900123",
        "alice.private",
        "personal number",
    ):
        assert word not in stored
    assert "solicitation_signal" in [f["code"] for f in row["details"]["findings"]]
    assert all("matches" not in f for f in row["details"]["findings"])


def test_a_colleagues_audit_row_holds_no_recipient_address(client, northwind, engine):
    check(client, CAROL, to=[KIM], cc=["ana.garcia@gmail.com"], bcc=["someone@tailspin.example"], body="Hi Kim")

    (row,) = audit_rows(engine)
    stored = stored_text(row)
    for fragment in ("kim", "contoso", "ana.garcia", "gmail", "tailspin", "hi kim"):
        assert fragment not in stored
    assert row["details"]["recipient_count"] == 3
    assert "findings" not in row["details"]


# --- monitor-only --------------------------------------------------------------


@pytest.fixture
def monitor_only(northwind, now):
    with northwind.begin() as conn:
        store.save_settings(conn, PolicySettings(monitor_only=True), now)


def test_in_monitor_only_mode_the_leaver_is_allowed_and_told_what_the_verdict_would_be(client, monitor_only, engine):
    body = check(client, ALICE, to=[KIM]).get_json()

    assert (body["verdict"], body["would_be"], body["monitor_only"]) == ("allow", "require_approval", True)
    assert [f["code"] for f in body["findings"]] == ["client_recipient_during_notice"]
    (row,) = audit_rows(engine)
    assert row["verdict"] == "allow"
    assert (row["details"]["would_be"], row["details"]["monitor_only"]) == ("require_approval", True)


def test_in_monitor_only_mode_a_colleague_would_be_allowed_too(client, monitor_only):
    body = check(client, CAROL, to=[KIM]).get_json()

    assert (body["verdict"], body["would_be"], body["monitor_only"]) == ("allow", "allow", True)


# --- languages and text limits ---------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "accept_language", "expected"),
    [
        ("es-ES", None, "Destinatarios clientes"),
        ("ru", None, "Адресаты-клиенты"),
        ("es_MX", "ru", "Destinatarios clientes"),
        ("", "ru-RU,ru;q=0.9,en;q=0.5", "Адресаты-клиенты"),
        (None, "fr-FR, es;q=0.8", "Destinatarios clientes"),
        ("de-DE", "fr-FR", "Client recipients"),
        (None, None, "Client recipients"),
    ],
)
def test_texts_are_in_the_clients_locale_then_accept_language_then_english(
    client, northwind, locale, accept_language, expected
):
    payload = {"to": [KIM]}
    if locale is not None:
        payload["client"] = {"app": "outlook", "platform": "OfficeOnline", "locale": locale}
    headers = {"Accept-Language": accept_language} if accept_language else {}

    body = check(client, ALICE, headers=headers, **payload).get_json()

    assert body["findings"][0]["message"].startswith(expected)
    assert body["findings"][0]["code"] == "client_recipient_during_notice"  # codes are never translated


@pytest.mark.parametrize("locale", ["en", "es", "ru"])
def test_with_five_hundred_recipients_the_banner_and_dialog_stay_within_outlooks_limits(client, northwind, locale):
    clients = [f"person{i}@contoso.example" for i in range(200)]
    webmail = [f"someone{i}@gmail.com" for i in range(150)]
    outside = [f"x{i}@elsewhere.example" for i in range(150)]

    response = check(client, ALICE, to=clients, cc=webmail, bcc=outside, client={"locale": locale})

    assert response.status_code == 200
    body = response.get_json()
    assert body["verdict"] == "require_approval"
    assert len(body["banner"]) <= 150 and "200" in body["banner"]
    assert len(body["dialog"]) <= 500 and body["dialog"].endswith("…")


# --- bad input no mail client sends: a 4xx JSON answer, audited as a refused attempt ------------


def test_malformed_json_is_a_400_invalid_json(client, northwind, engine):
    assert_error(post_raw(client, '{"to": ["kim@contoso.example"'), 400, "invalid_json")
    assert_refused(engine, "invalid_json")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("to=kim%40contoso.example", "application/x-www-form-urlencoded"),
        ('{"to": []}', "text/plain"),
        ('{"to": []}', None),
    ],
)
def test_a_body_that_is_not_sent_as_json_is_a_415(client, northwind, engine, data, content_type):
    assert_error(post_raw(client, data, content_type=content_type), 415, "unsupported_media_type")
    assert_refused(engine, "unsupported_media_type")


@pytest.mark.parametrize("data", ["[]", '"to"', "1", "null", "true", '[{"to": []}]'])
def test_a_body_that_is_json_but_not_an_object_is_a_400_invalid_request(client, northwind, engine, data):
    error = assert_error(post_raw(client, data), 400, "invalid_request")

    assert "object" in error["message"]
    assert_refused(engine, "invalid_request")


def test_a_missing_to_is_named_in_the_details(client, northwind, engine):
    response = client.post(CHECK, headers=dev(ALICE), json={"subject": "Hi"})

    error = assert_error(response, 400, "invalid_request")
    assert [d["field"] for d in error["details"]] == ["to"]
    assert assert_refused(engine, "invalid_request")["details"]["refusal"]["fields"] == ["to"]


@pytest.mark.parametrize(
    ("payload", "field", "value"),
    [
        ({"to": KIM}, "to", KIM),
        ({"to": [], "cc": {"kim": KIM}}, "cc", "{'kim': 'kim@contoso.example'}"),
        ({"to": [42]}, "to[0]", 42),
        ({"to": [], "body": 5}, "body", 5),
        ({"to": [], "body": ["Hello"]}, "body", "['Hello']"),
        ({"to": [], "subject": False}, "subject", False),
        ({"to": [], "mode": "sent"}, "mode", "sent"),
        ({"to": [], "from": 7}, "from", 7),
        ({"to": [], "from": "not an address"}, "from", "not an address"),
        ({"to": [], "attachments": [{"name": "a.pdf", "size": -1}]}, "attachments[0].size", -1),
        ({"to": [], "attachments": [{"name": "a.pdf", "size": True}]}, "attachments[0].size", True),
        ({"to": [], "attachments": [{"name": "a.pdf", "size": 1.5}]}, "attachments[0].size", 1.5),
        ({"to": [], "attachments": [{"name": "a.pdf", "size": "12"}]}, "attachments[0].size", "12"),
        ({"to": [], "attachments": [{"name": "", "size": 1}]}, "attachments[0].name", ""),
        ({"to": [], "attachments": "a.pdf"}, "attachments", "a.pdf"),
        ({"to": [], "client": "outlook"}, "client", "outlook"),
        ({"to": [], "client": {"locale": 5}}, "client.locale", 5),
        ({"to": [], "client": {"app": "x" * 101}}, "client.app", "x" * 101),
    ],
)
def test_a_field_of_the_wrong_type_is_a_400_naming_the_field_and_its_value(
    client, northwind, engine, payload, field, value
):
    error = assert_error(client.post(CHECK, headers=dev(ALICE), json=payload), 400, "invalid_request")

    assert error["details"] == [{"field": field, "problem": error["details"][0]["problem"], "value": value}]
    assert_refused(engine, "invalid_request")


def test_unknown_fields_are_rejected_by_name(client, northwind, engine):
    payload = {"to": [KIM], "recipients": [KIM], "html": "<p>Hi</p>", "sender": ALICE}

    error = assert_error(client.post(CHECK, headers=dev(ALICE), json=payload), 400, "invalid_request")

    assert [d["field"] for d in error["details"]] == ["html", "recipients", "sender"]
    assert {d["problem"] for d in error["details"]} == {"unknown field"}
    assert_refused(engine, "invalid_request")


# "Добрый день " is 22 bytes in UTF-8 and 72 on the wire as \u escapes; the 12 x's make it exactly 1,000,000.
CYRILLIC_MEGABYTE = "Добрый день " * 45_454 + "x" * 12


def test_a_cyrillic_body_of_exactly_one_megabyte_is_checked_although_its_json_is_three(client, northwind, engine):
    assert len(CYRILLIC_MEGABYTE.encode("utf-8")) == 1_000_000

    response = check(client, ALICE, to=[KIM], body=CYRILLIC_MEGABYTE)

    assert response.status_code == 200
    assert response.get_json()["verdict"] == "require_approval"
    assert audit_count(engine) == 1


@pytest.mark.parametrize("path", ["/api/v1/chek", "/api/v2/check", "/api/", "/api/v1/check/extra"])
def test_an_unknown_api_route_is_a_json_404(client, path):
    error = assert_error(client.post(path, headers=dev(ALICE), json={"to": []}), 404, "not_found")

    assert path in error["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_the_wrong_method_on_the_check_is_a_json_405_that_says_what_is_allowed(client, engine, method):
    response = client.open(CHECK, method=method, headers=dev(ALICE), json={"to": []})

    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert audit_count(engine) == 0


ODD_BODIES = [
    "null",
    "[]",
    '"x"',
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "{}",
    '{"to": 1e309}',
    '{"to": [1e309]}',
    '{"to": [NaN]}',
    '{"to": [-Infinity]}',
    '{"to": [], "attachments": [{"name": "a", "size": 1e309}]}',
    '{"to": [], "attachments": [{"name": "a", "size": NaN}]}',
    '{"to": [], "attachments": [{"name": "a", "size": 1e308}]}',
    '{"to": [], "attachments": [{"name": "a", "size": ' + "9" * 5000 + "}]}",
    '{"to": [], "attachments": [null, [], "a.pdf", {"name": null, "size": null}]}',
    '{"to": [[]]}',
    '{"to": [{}]}',
    '{"to": [null]}',
    '{"to": null}',
    '{"to": [], "to": 5}',
    '{"to": [], "mode": ["send"]}',
    '{"to": [], "mode": {"send": true}}',
    '{"to": [], "mode": null}',
    '{"to": [], "from": ""}',
    '{"to": [], "from": ["alice@northwind.example"]}',
    '{"to": [], "body": {"nested": {"deeper": [1, 2, {"deepest": null}]}}}',
    '{"to": [], "client": {"app": {"name": "outlook"}, "locale": ["es"]}}',
    '{"to": [], "client": null}',
    '{"' + "k" * 10_000 + '": 1, "to": []}',
    "[" * 100_000 + "]" * 100_000,
    '{"to": ' + "[" * 5_000 + "]" * 5_000 + "}",
    '{"to": [], "client": ' + '{"a": ' * 3_000 + "1" + "}" * 3_000 + "}",
    '{"to": ["\\ud800@contoso.example"]}',
    '{"to": ["kim@contoso.example"], "body": "Hello \\udfff Kim"}',
    '{"to": ["kim@contoso.example"], "subject": "\\ud83d"}',
    '{"to": [], "attachments": [{"name": "\\udc00.pdf", "size": 1}]}',
    '{"\\ud800": 1, "to": []}',
    '{"to": []',
    '{"to": [],}',
    "{'to': []}",
    "",
    " ",
    "\ufeff{}",
]


@pytest.mark.parametrize("data", ODD_BODIES, ids=[f"odd{i}" for i in range(len(ODD_BODIES))])
def test_an_odd_body_is_answered_with_a_4xx_json_error_and_never_a_500(client, northwind, engine, data):
    response = post_raw(client, data)

    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert set(strict_json(response)["error"]) == {"code", "message", "details"}
    assert_refused(engine, strict_json(response)["error"]["code"])


# Odd, but strings where strings belong: what a mail client could send, so a verdict and never a 4xx.
ODD_BUT_SENDABLE = [
    '{"to": ["' + "a" * 200_000 + '"]}',
    '{"to": ["' + "a" * 100 + "@" + "b" * 300 + '.example"]}',
    '{"to": ["kim@' + "a." * 200 + 'example"]}',
    '{"to": ["a\\u0000@contoso.example"]}',
    '{"to": ["kim@contoso.example"], "subject": "' + "s" * 100_000 + '"}',
]


@pytest.mark.parametrize("data", ODD_BUT_SENDABLE, ids=[f"sendable{i}" for i in range(len(ODD_BUT_SENDABLE))])
def test_an_odd_recipient_or_subject_is_answered_with_a_verdict_and_audited(client, northwind, engine, data):
    response = post_raw(client, data)

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert strict_json(response)["verdict"] == "require_approval"
    assert [r["verdict"] for r in audit_rows(engine)] == ["require_approval"]


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe{\x00}\x00", b'{"to": ["\xff@contoso.example"]}', b'{"to": ["\xed\xa0\x80@contoso.example"]}'],
)
def test_bytes_that_are_not_utf8_are_a_400(client, northwind, engine, data):
    response = post_raw(client, data)

    assert response.status_code == 400
    assert strict_json(response)["error"]["code"] in {"invalid_json", "invalid_request"}
    assert audit_rows(engine)[0]["verdict"] == "refused"


def test_a_nul_character_in_the_client_description_is_audited_on_both_databases(client, northwind, engine):
    response = check(client, ALICE, to=[KIM], client={"app": "out\u0000look", "platform": "PC"})

    assert response.status_code == 200
    assert audit_rows(engine)[0]["details"]["client"]["app"] == "out\ufffdlook"  # read as every NUL is (json_body)


# --- authentication ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("   ", "missing"),
        ("Dev", "credentials"),
        ("Dev    ", "credentials"),
        ("Dev alice", "e-mail address"),
        ("Dev alice@northwind.example bob@northwind.example", "e-mail address"),
        ("Dev <>", "e-mail address"),
        ("Basic YWxpY2U6c2VjcmV0", "'Basic'"),
        ("Bearer eyJhbGciOiJub25lIn0.e30.", "'Bearer'"),
        ("alice@northwind.example", "not accepted"),
    ],
)
def test_a_caller_who_cannot_be_identified_gets_a_401_and_no_audit_row(
    client, northwind, engine, authorization, reason
):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.post(CHECK, headers=headers, json={"to": [KIM]})

    error = assert_error(response, 401, "unauthorized")
    assert reason in error["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert audit_count(engine) == 0


def test_the_dev_scheme_name_is_case_insensitive(client, northwind):
    response = client.post(CHECK, headers={"Authorization": f"dEV {ALICE}"}, json={"to": [KIM]})

    assert response.get_json()["verdict"] == "require_approval"


def test_authentication_comes_before_reading_the_body(client, northwind):
    assert_error(client.post(CHECK, data="not json", content_type="text/plain"), 401, "unauthorized")


class FakeBearerVerifier:
    """Stands in for the Entra ID / Google verifiers: `Bearer token-for:<email>` is that user."""

    scheme = "bearer"

    def verify(self, credentials: str) -> Identity:
        if not credentials.startswith("token-for:"):
            raise AuthError("the token is not one we issued")
        return Identity(normalise_address(credentials.removeprefix("token-for:")), self.scheme)


@pytest.fixture
def production_client(database_url, northwind, tmp_path):
    app = create_app(
        {
            "ENV": "production",
            "TESTING": True,  # no housekeeping thread: it would hold a database connection past dispose
            "SECRET_KEY": "x" * 40,
            "BASE_URL": "https://lg.example",
            "DATABASE_URL": database_url,
            "TOKEN_VERIFIERS": [FakeBearerVerifier()],
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "smtp.lg.example",
            "MAIL_FROM": "leaverguard@lg.example",
        }
    )
    app.instance_path = str(tmp_path)
    yield app.test_client()
    db.dispose(app)


def test_in_production_the_dev_scheme_is_refused_with_a_401(production_client, engine):
    response = production_client.post(CHECK, headers=dev(ALICE), json={"to": [KIM]})

    error = assert_error(response, 401, "unauthorized")
    assert "'Dev'" in error["message"] and "bearer" in error["message"]
    assert audit_count(engine) == 0


def test_in_production_a_verified_bearer_token_names_the_caller(production_client, engine):
    response = production_client.post(CHECK, headers={"Authorization": f"Bearer token-for:{ALICE}"}, json={"to": [KIM]})

    assert response.status_code == 200
    assert response.get_json()["verdict"] == "require_approval"
    assert audit_rows(engine)[0]["actor"] == ALICE


def test_in_production_a_token_the_verifier_rejects_is_a_401_with_its_reason(production_client):
    response = production_client.post(CHECK, headers={"Authorization": "Bearer forged"}, json={"to": [KIM]})

    assert "not one we issued" in assert_error(response, 401, "unauthorized")["message"]


def test_each_check_is_logged_with_its_verdict_and_timing_but_no_address_or_text(client, northwind, caplog):
    caplog.set_level("INFO", logger="server.web.addin_api")

    client.post(CHECK, headers=dev(ALICE), json={"to": [KIM], "subject": "Secret plan", "body": "Hello Kim"})

    (record,) = [r for r in caplog.records if r.getMessage() == "check decided"]
    assert (record.verdict, record.phase, record.mode) == ("require_approval", "notice", "send")
    assert record.codes == ["client_recipient_during_notice"] and record.ms >= 0
    logged = json.dumps({k: str(v) for k, v in record.__dict__.items()})
    assert "contoso" not in logged and "Secret plan" not in logged and "Hello Kim" not in logged
