"""The OpenAPI document: valid, served, complete, and true of every answer the server gives.

Each response of a representative set of calls is validated (JSON Schema 2020-12)
against the schema the document gives for its path, method and status, so a
field added, renamed or dropped in the code fails here until the document says so.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import server
from server import create_app, db, demo, store
from server.model import PolicySettings

from ..builders import closed_port

DOCUMENT_PATH = Path(server.__file__).parent / "openapi.json"
BASE = "urn:leaverguard:openapi"
CHECK = "/api/v1/check"
ALICE = "alice@northwind.example"
KIM = "kim@contoso.example"
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registry(document) -> Registry:
    return Registry().with_resource(BASE, Resource.from_contents(document, default_specification=DRAFT202012))


def pointer(*parts: str) -> str:
    """A JSON pointer fragment into the document (`/` and `~` escaped)."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def documented_response(document: dict, path: str, method: str, status: int) -> tuple[str, dict]:
    """(JSON pointer, object) of the documented response, following a $ref into components/responses.

    An unknown path (404) or a method the path lacks (405) has no operation of its
    own: those use the shared NotFound and MethodNotAllowed responses.
    """
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:
        name = {404: "NotFound", 405: "MethodNotAllowed"}[status]
        return pointer("components", "responses", name), document["components"]["responses"][name]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which the document does not list"
    response = responses[str(status)]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        return pointer("components", "responses", name), document["components"]["responses"][name]
    return pointer("paths", path, method.lower(), "responses", str(status)), response


def assert_documented(document: dict, registry: Registry, path: str, method: str, response) -> None:
    """`response` (a Flask test response) is what the document says `method path` answers with its status."""
    where, documented = documented_response(document, path, method, response.status_code)
    assert response.mimetype in documented["content"], f"{response.mimetype} not documented at {where}"
    schema = {"$ref": f"{BASE}{where}/content/{response.mimetype.replace('/', '~1')}/schema"}
    body = json.loads(response.get_data(as_text=True))
    errors = sorted(Draft202012Validator(schema, registry=registry).iter_errors(body), key=str)
    assert not errors, f"{method} {path} -> {response.status_code}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors
    )
    for header in documented.get("headers", {}):
        assert header in response.headers, f"{header} header documented at {where} but missing"


def schema_validator(registry: Registry, name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{BASE}#/components/schemas/{name}"}, registry=registry)


def test_the_document_is_a_valid_openapi_3_1_document(document):
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_the_document_is_served_as_json_at_api_v1_openapi_json(client, document):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == document


def test_every_api_route_and_method_of_the_app_is_documented_and_nothing_else(app, document):
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())  # /x/<int:id> is /x/{id}
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/readyz")
        for method in rule.methods
        if method.lower() in HTTP_METHODS
    }
    documented = {
        (path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS
    }

    assert served == documented


def test_every_documented_error_code_is_one_the_server_can_produce(document):
    from server.approvals import Refusal
    from server.web.addin_api import _LIMIT_CODES
    from server.web.errors import _HTTP_CODES

    codes = set(document["components"]["schemas"]["ErrorCode"]["enum"])
    own = {"invalid_json", "invalid_request", "internal_error"} | {r.value for r in Refusal}
    own |= set(_LIMIT_CODES.values())

    assert set(_HTTP_CODES.values()) | own == codes


# --- every answer matches the document ---------------------------------------------


@pytest.fixture
def northwind(engine):
    assert demo.seed(engine, datetime.now(UTC))
    return engine


def dev(email: str) -> dict[str, str]:
    return {"Authorization": f"Dev {email}"}


CHECKS_200 = {
    "colleague_allow": ("carol@northwind.example", {"to": [KIM], "body": "Hi"}),
    "leaver_warn_webmail": (ALICE, {"to": ["someone@gmail.com"], "client": {"locale": "ru"}}),
    "leaver_require_approval": (ALICE, {"to": [KIM], "cc": [], "bcc": [], "subject": "Handover", "body": "Hello"}),
    "leaver_successor_in_copy": (ALICE, {"to": [KIM], "cc": ["bob@northwind.example"], "mode": "preview"}),
    "leaver_solicitation": (ALICE, {"to": [KIM], "body": "Stay in touch: +34 612 345 678", "client": {"locale": "es"}}),
    "garden_leave_block": ("dmitri@northwind.example", {"to": [KIM, "x@gmail.com", "y@elsewhere.example"]}),
    "departed_block": (
        "erin@northwind.example",
        {"to": ["erin.home@gmail.com"], "attachments": [{"name": "a", "size": 1}]},
    ),
    "withdrawn_allow": ("frank@northwind.example", {"to": [KIM], "from": "frank@northwind.example"}),
    "five_hundred_recipients": (ALICE, {"to": [f"p{i}@contoso.example" for i in range(500)]}),
    "unreadable_recipients": (ALICE, {"to": ['"x y"@nowhere.example', '"kim"@contoso.example', "kim", ""]}),
    "too_many_recipients": (ALICE, {"to": [f"p{i}@x.example" for i in range(501)], "mode": "preview"}),
    "body_cut_by_the_server": (ALICE, {"to": [KIM], "body": "x" * 1_000_001, "subject": "s" * 2001}),
    "body_cut_by_the_add_in": (ALICE, {"to": [KIM], "body": "x", "body_truncated": True, "body_sha256": "AB" * 32}),
    "too_many_attachments": (ALICE, {"to": [KIM], "attachments": [{"name": f"f{i}", "size": i} for i in range(251)]}),
    "hashed_attachment": (ALICE, {"to": [KIM], "attachments": [{"name": "a.pdf", "size": 1, "sha256": "ab" * 32}]}),
}


@pytest.mark.parametrize("case", list(CHECKS_200))
def test_each_kind_of_decision_matches_the_documented_200(client, northwind, document, registry, case):
    sender, payload = CHECKS_200[case]

    response = client.post(CHECK, headers=dev(sender), json=payload)

    assert response.status_code == 200
    assert_documented(document, registry, CHECK, "POST", response)
    assert schema_validator(registry, "CheckRequest").is_valid(payload)


def test_a_monitor_only_decision_matches_the_documented_200(client, northwind, document, registry):
    with northwind.begin() as conn:
        store.save_settings(conn, PolicySettings(monitor_only=True), datetime.now(UTC))
    for sender in (ALICE, "carol@northwind.example"):
        response = client.post(CHECK, headers=dev(sender), json={"to": [KIM]})

        assert response.get_json()["monitor_only"] is True
        assert_documented(document, registry, CHECK, "POST", response)


def test_the_response_schema_catches_drift_in_a_decision(client, northwind, registry):
    body = client.post(CHECK, headers=dev(ALICE), json={"to": [KIM]}).get_json()
    validator = schema_validator(registry, "CheckResponse")
    assert validator.is_valid(body)

    drifted = [
        body | {"extra": 1},
        body | {"would_be": "block"},
        body | {"verdict": "deny"},
        body | {"fingerprint": "sha256:xyz"},
        body | {"banner": "x" * 151},
        body | {"approval": {"status": "none", "id": 3}},
        body | {"findings": [body["findings"][0] | {"matches": "+34 612"}]},
        {k: v for k, v in body.items() if k != "phase"},
    ]
    assert [validator.is_valid(b) for b in drifted] == [False] * len(drifted)


ERRORS = [
    ("invalid_json", "POST", CHECK, dev(ALICE), {"data": "{", "content_type": "application/json"}, 400),
    ("invalid_request", "POST", CHECK, dev(ALICE), {"json": {"to": ["kim", 5], "colour": "red"}}, 400),
    ("not_an_object", "POST", CHECK, dev(ALICE), {"data": "null", "content_type": "application/json"}, 400),
    ("inf_value", "POST", CHECK, dev(ALICE), {"data": '{"to": 1e999}', "content_type": "application/json"}, 400),
    ("missing_auth", "POST", CHECK, {}, {"json": {"to": []}}, 401),
    ("basic_auth", "POST", CHECK, {"Authorization": "Basic eDp5"}, {"json": {"to": []}}, 401),
    ("unknown_route", "GET", "/api/v1/nothing-here", {}, {}, 404),
    ("wrong_method", "GET", CHECK, dev(ALICE), {}, 405),
    ("wrong_method_meta", "POST", "/api/v1/ping", {}, {}, 405),
    (
        "bad_hash",
        "POST",
        CHECK,
        dev(ALICE),
        {"json": {"to": [], "attachments": [{"name": "a", "size": 1, "sha256": 1}]}},
        400,
    ),
    (
        "approval_over_read_limit",
        "POST",
        "/api/v1/approvals",
        dev(ALICE),
        {"data": "x" * 3_300_000, "content_type": "application/json"},
        413,
    ),
    ("not_json", "POST", CHECK, dev(ALICE), {"data": "to=kim", "content_type": "text/plain"}, 415),
]


@pytest.mark.parametrize(("case", "method", "path", "headers", "kwargs", "status"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_matches_the_documented_envelope(
    client, northwind, document, registry, case, method, path, headers, kwargs, status
):
    response = client.open(path, method=method, headers=headers, **kwargs)

    assert response.status_code == status
    assert_documented(document, registry, path, method, response)


@pytest.mark.parametrize(
    ("setting", "code"),
    [
        ("SIGNOFF_REQUESTS_PER_HOUR", "too_many_signoff_requests"),
        ("SIGNOFF_MAILS_PER_APPROVER_PER_HOUR", "approver_mailbox_full"),
    ],
)
def test_a_sign_off_request_over_an_hourly_limit_matches_the_documented_429(
    app, client, northwind, document, registry, setting, code
):
    app.config.update({"HR_APPROVERS": ("hr@northwind.example",), setting: 1})
    ask = {"to": [KIM], "justification": "A farewell note.", "attestation": True}
    assert client.post("/api/v1/approvals", headers=dev(ALICE), json=ask).status_code == 201

    response = client.post("/api/v1/approvals", headers=dev(ALICE), json=ask | {"subject": "Another"})

    assert (response.status_code, response.get_json()["error"]["code"]) == (429, code)
    assert_documented(document, registry, "/api/v1/approvals", "POST", response)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/api/v1/ping", "/api/v1/openapi.json"])
def test_each_meta_endpoint_matches_its_documented_200(client, document, registry, path):
    response = client.get(path)

    assert response.status_code == 200
    assert_documented(document, registry, path, "GET", response)


def test_a_check_too_large_to_read_matches_the_documented_200(client, northwind, document, registry):
    response = client.post(CHECK, headers=dev(ALICE), data="x" * 3_300_000, content_type="application/json")

    assert response.status_code == 200
    assert response.get_json()["findings"][0]["code"] == "message_too_large"
    assert_documented(document, registry, CHECK, "POST", response)


def test_the_check_documents_no_413_since_it_never_answers_one(document):
    assert "413" not in document["paths"][CHECK]["post"]["responses"]


def test_readyz_and_check_on_an_unreachable_database_match_the_documented_503(document, registry, tmp_path):
    app = create_app({"ENV": "development", "DATABASE_URL": f"postgresql+psycopg://x@127.0.0.1:{closed_port()}/x"})
    app.instance_path = str(tmp_path)

    response = app.test_client().get("/readyz")
    check = app.test_client().post(CHECK, headers=dev(ALICE), json={"to": []})

    assert (response.status_code, check.status_code) == (503, 503)
    assert_documented(document, registry, "/readyz", "GET", response)
    assert_documented(document, registry, CHECK, "POST", check)
    db.dispose(app)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"to": [], "recipients": []},
        {"to": "kim@contoso.example"},
        {"to": [], "mode": "draft"},
        {"to": [], "attachments": [{"name": "a", "size": -1}]},
        {"to": [], "attachments": [{"name": "a", "size": 1.5}]},
        {"to": [], "client": {"locale": 5}},
        {"to": [5]},
        {"to": [], "attachments": [{"name": "a", "size": 1, "sha256": "not-hex"}]},
        {"to": [], "body_sha256": "ab" * 32},
        {"to": [], "body_truncated": False, "body_sha256": "ab" * 32},
        {"to": [], "body_truncated": "yes"},
    ],
)
def test_requests_the_server_rejects_are_ones_the_request_schema_rejects_too(client, registry, payload):
    assert client.post(CHECK, headers=dev(ALICE), json=payload).status_code == 400
    assert not schema_validator(registry, "CheckRequest").is_valid(payload)
