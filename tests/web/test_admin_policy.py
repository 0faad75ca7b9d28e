"""The policy page: who may change it, every bad input refused with its field named, stale forms refused,
changes audited and followed by the very next check (in every process), and "test a message"."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

import pytest

from server import create_app, db, store
from server.model import PolicySettings, Verdict
from server.services import policy_admin

from .console_helpers import (
    ADMIN,
    ALICE,
    CSRF,
    HR,
    KIM,
    ROLES,
    TO_KIM,
    VIEWER,
    audit_rows,
    check,
    form_fields,
    seed,
    sign_in,
)

CELL = "ladder.notice.client_contact"  # Alice (on notice) writing to Kim (a Contoso contact): require_approval


@pytest.fixture
def app(app):
    app.config.update(ROLES)
    seed(app.extensions["leaverguard.engine"])
    return app


def policy_form(client) -> dict[str, str]:
    """What the policy page's form posts as it stands (read from the rendered page, as a browser would)."""
    fields = form_fields(client.get("/admin/policy").get_data(as_text=True), "/admin/policy")
    assert fields["csrf_token"] == CSRF and CELL in fields
    return fields


def stored(engine) -> PolicySettings:
    with engine.connect() as conn:
        return store.load_settings(conn)


@pytest.fixture
def admin(client):
    return sign_in(client, ADMIN)


def test_an_admin_sees_the_ladder_as_stored_and_a_save_button(admin):
    page = admin.get("/admin/policy").get_data(as_text=True)

    assert policy_form(admin)[CELL] == "require_approval"
    assert policy_form(admin)["ladder.departed.webmail"] == "block"
    assert "Save the policy" in page and '<fieldset class="plain">' in page


@pytest.mark.parametrize("who", [VIEWER, HR])
def test_a_viewer_or_hr_sees_the_grid_disabled_and_no_save_button(client, who):
    page = sign_in(client, who).get("/admin/policy").get_data(as_text=True)

    assert '<fieldset class="plain" disabled>' in page
    assert "Save the policy" not in page
    assert "Changing it needs the admin role" in page


@pytest.mark.parametrize("who", [VIEWER, HR])
def test_a_viewer_or_hr_cannot_save_the_policy(client, engine, who):
    admin_form = policy_form(sign_in(client, ADMIN))
    before = stored(engine)

    response = sign_in(client, who).post("/admin/policy", data=admin_form | {CELL: "block"})

    assert response.status_code == 403
    assert "needs the role admin" in response.get_data(as_text=True)
    assert stored(engine) == before


def test_a_save_without_the_csrf_token_is_refused_and_saves_nothing(admin, engine):
    form = policy_form(admin) | {CELL: "block"}
    del form["csrf_token"]

    response = admin.post("/admin/policy", data=form)

    assert response.status_code == 400
    assert stored(engine).ladder[("notice", "client_contact")] == Verdict.REQUIRE_APPROVAL


BAD_INPUT = [
    pytest.param(CELL, "forbid", "'forbid' is not one of allow, warn, require_approval, block", id="ladder value"),
    pytest.param("webmail_domains", "gmail.com\nnot a domain!", "not", id="webmail domain"),
    pytest.param("webmail_domains", "northwind.example", "is one of the company's", id="webmail is the company's"),
    pytest.param("internal_domains", "gmx.*", "a wildcard is not allowed here", id="wildcard company domain"),
    pytest.param("timezone", "Europe/Atlantis", "'Europe/Atlantis' is not a time zone name", id="time zone"),
    pytest.param("fail_mode", "maybe", "'maybe' is not one of", id="fail mode"),
    pytest.param("text.en.banner.warn", "x" * 151, "at most 150 characters, not 151", id="banner too long"),
    pytest.param("text.es.dialog.block", "y" * 501, "at most 500 characters, not 501", id="dialog heading too long"),
    pytest.param("text.ru.banner.block", "Осторожно: {count}", "unknown placeholder {count}", id="unknown placeholder"),
    pytest.param("version", "", "reload the page", id="form without its version"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_the_message_next_to_its_field_and_nothing_saved(
    admin, engine, field, value, message
):
    before, events = stored(engine), len(audit_rows(engine))

    response = admin.post("/admin/policy", data=policy_form(admin) | {"monitor_only": "on", field: value})

    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert re.search(rf'id="{re.escape(field)}-error" class="field-error">[^<]*{re.escape(message)}', page) or (
        field == "version" and message in page
    )
    assert stored(engine) == before  # monitor-only was switched on in the same form: not saved either
    assert len(audit_rows(engine)) == events


def test_the_refused_form_keeps_what_was_typed(admin):
    form = policy_form(admin) | {"timezone": "Mars/Olympus", "text.es.banner.warn": "Cuidado: {n} destinatarios"}

    refused = form_fields(admin.post("/admin/policy", data=form).get_data(as_text=True), "/admin/policy")

    assert refused["timezone"] == "Mars/Olympus"
    assert refused["text.es.banner.warn"] == "Cuidado: {n} destinatarios"


def test_a_form_opened_before_someone_elses_save_is_refused_and_overwrites_nothing(admin, engine):
    stale = policy_form(admin)
    assert admin.post("/admin/policy", data=policy_form(admin) | {CELL: "warn"}).status_code == 302

    response = admin.post("/admin/policy", data=stale | {"monitor_only": "on"})

    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    settings = stored(engine)
    assert settings.ladder[("notice", "client_contact")] == Verdict.WARN  # the other save stands
    assert settings.monitor_only is False
    assert form_fields(response.get_data(as_text=True), "/admin/policy")[CELL] == "warn"  # the current policy shown


def test_of_two_saves_from_the_same_version_exactly_one_wins(engine):
    now = datetime.now(UTC)
    version = stored(engine).version

    first = policy_admin.save_policy(
        engine, PolicySettings(monitor_only=True), expected_version=version, actor=ADMIN, now=now
    )
    with pytest.raises(policy_admin.StaleSettings):
        policy_admin.save_policy(
            engine, PolicySettings(successor_rule=False), expected_version=version, actor=ADMIN, now=now
        )

    assert first == version + 1
    assert (stored(engine).monitor_only, stored(engine).successor_rule) == (True, True)


def test_a_ladder_change_is_audited_with_only_what_changed_and_the_check_follows_at_once(admin, client, engine):
    assert check(client)["verdict"] == "require_approval"
    version = stored(engine).version

    response = admin.post("/admin/policy", data=policy_form(admin) | {CELL: "block"})

    assert response.status_code == 302
    assert f"version {version + 1}" in admin.get("/admin/policy").get_data(as_text=True)
    (event,) = audit_rows(engine, "policy.changed")
    assert event["actor"] == ADMIN
    assert event["details"] == {
        "version": version + 1,
        "before": {"ladder": {"notice.client_contact": "require_approval"}},
        "after": {"ladder": {"notice.client_contact": "block"}},
    }
    assert check(client)["verdict"] == "block"


@pytest.fixture
def second_worker(app, database_url, tmp_path):
    """Another app object on the same database: another gunicorn worker, with its own settings cache."""
    other = create_app({"ENV": "development", "TESTING": True, "DATABASE_URL": database_url, "LOG_FORMAT": "text"})
    other.instance_path = str(tmp_path)
    yield other.test_client()
    db.dispose(other)


def test_a_change_saved_through_one_worker_applies_at_the_other_workers_next_check(admin, client, second_worker):
    assert check(second_worker)["verdict"] == "require_approval"  # its cache now holds the old policy

    assert admin.post("/admin/policy", data=policy_form(admin) | {CELL: "warn"}).status_code == 302

    assert check(second_worker)["verdict"] == "warn"
    assert check(client)["verdict"] == "warn"


def test_company_domains_and_webmail_domains_are_saved_and_used(admin, client, engine):
    form = policy_form(admin) | {
        "internal_domains": "northwind.example, partner.example",
        "webmail_domains": "gmail.com\nGMX.*\nmail.example.org",
        "ladder.notice.internal": "warn",
        "ladder.notice.webmail": "block",
    }

    assert admin.post("/admin/policy", data=form).status_code == 302

    settings = stored(engine)
    assert settings.internal_domains == {"northwind.example", "partner.example"}
    assert settings.webmail_domains == {"gmail.com", "gmx.*", "mail.example.org"}
    assert check(client, {"to": ["sam@partner.example"]})["verdict"] == "warn"
    assert check(client, {"to": ["someone@gmx.de"]})["verdict"] == "block"


def test_custom_texts_appear_in_the_checks_banner_and_dialog_in_that_language_only(admin, client):
    form = policy_form(admin) | {
        "text.es.banner.require_approval": "Northwind: {n} cliente(s). Pide la aprobación a RR. HH.",
        "text.es.dialog.require_approval": "Para: RR. HH. de Northwind",
    }
    assert admin.post("/admin/policy", data=form).status_code == 302

    spanish = check(client, TO_KIM | {"client": {"locale": "es-ES"}})
    english = check(client, TO_KIM)

    assert spanish["banner"] == "Northwind: 1 cliente(s). Pide la aprobación a RR. HH."
    assert spanish["dialog"].startswith("Para: RR. HH. de Northwind\n")
    assert english["banner"] == "LeaverGuard: client recipients: 1. HR sign-off is needed to send."


def test_emptying_a_custom_text_brings_back_the_built_in_one(admin, client, engine):
    admin.post("/admin/policy", data=policy_form(admin) | {"text.en.banner.require_approval": "Ask HR first ({n})"})
    assert check(client)["banner"] == "Ask HR first (1)"

    admin.post("/admin/policy", data=policy_form(admin) | {"text.en.banner.require_approval": "  "})

    assert stored(engine).texts == {}
    assert check(client)["banner"] == "LeaverGuard: client recipients: 1. HR sign-off is needed to send."


def served_fail_mode(client) -> str:
    first_line = client.get("/addin/outlook/commands.js").get_data(as_text=True).split("\n", 1)[0]
    return json.loads(first_line.removeprefix("var LEAVERGUARD_CONFIG = ").removesuffix(";"))["failMode"]


def test_the_stored_fail_mode_reaches_the_add_in_and_empty_means_the_setting(app, admin):
    app.config["ADDIN_FAIL_MODE"] = "open"
    assert served_fail_mode(admin) == "open"

    admin.post("/admin/policy", data=policy_form(admin) | {"fail_mode": "closed"})
    assert served_fail_mode(admin) == "closed"

    admin.post("/admin/policy", data=policy_form(admin) | {"fail_mode": ""})
    assert served_fail_mode(admin) == "open"


def test_the_page_says_the_manifests_send_mode_is_fixed_when_it_is_generated(admin):
    page = admin.get("/admin/policy").get_data(as_text=True)

    assert "fixed when the manifest is generated" in page and "LEAVERGUARD_ADDIN_FAIL_MODE" in page


def test_saving_an_unchanged_form_writes_nothing(admin, engine):
    version = stored(engine).version

    response = admin.post("/admin/policy", data=policy_form(admin), follow_redirects=True)

    assert "Nothing changed." in response.get_data(as_text=True)
    assert stored(engine).version == version
    assert audit_rows(engine, "policy.changed") == []


# --- test a message -----------------------------------------------------------------------------------------------


def probe(client, **fields):
    form = {"csrf_token": CSRF, "sender": ALICE, "to": KIM, "cc": "", "bcc": "", "locale": "en"} | fields
    return client.post("/admin/policy/test", data=form)


def test_testing_a_message_shows_the_decision_and_records_and_sends_nothing(admin, engine):
    events = len(audit_rows(engine))

    response = probe(admin, subject="Handover", body="Hello Kim")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Require sign-off" in page and "client_recipient_during_notice" in page
    assert "LeaverGuard: client recipients: 1. HR sign-off is needed to send." in page
    assert len(audit_rows(engine)) == events


def test_testing_in_spanish_shows_the_spanish_texts(admin):
    page = probe(admin, locale="es").get_data(as_text=True)

    assert "Se necesita la aprobación de RR. HH." in page


def test_testing_a_colleagues_message_says_it_is_not_read(admin):
    page = probe(admin, sender="carol@northwind.example").get_data(as_text=True)

    assert "the sender is not leaving" in page


def test_bad_addresses_in_the_test_box_are_named(admin):
    response = probe(admin, to=f"{KIM}, not-an-address", cc="bob@@northwind.example", sender="alice")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not-an-address:" in page and "bob@@northwind.example:" in page and "alice:" in page


def test_a_viewer_cannot_use_the_test_box(client):
    assert probe(sign_in(client, VIEWER)).status_code == 403
