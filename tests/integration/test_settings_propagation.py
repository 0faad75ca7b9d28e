"""A saved change applies at the very next check, in every process sharing the database.

Two apps on one database stand in for two gunicorn workers (or two replicas):
each has its own settings cache.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server import create_app, db, demo, store
from server.model import PolicySettings, Verdict
from server.tables import audit_events

ALICE = {"Authorization": "Dev alice@northwind.example"}
CAROL = {"Authorization": "Dev carol@northwind.example"}
TO_KIM = {"to": ["kim@contoso.example"], "subject": "Handover", "body": "Hello Kim"}


@pytest.fixture
def second_worker(app, database_url, tmp_path):
    other = create_app({"ENV": "development", "TESTING": True, "DATABASE_URL": database_url, "LOG_FORMAT": "text"})
    other.instance_path = str(tmp_path)
    yield other.test_client()
    db.dispose(other)


@pytest.fixture
def northwind(engine):
    demo.seed(engine, datetime.now(UTC))
    return engine


def verdict(client, headers=ALICE, payload=TO_KIM) -> str:
    return client.post("/api/v1/check", headers=headers, json=payload).get_json()["verdict"]


def test_a_ladder_change_saved_by_one_worker_applies_at_the_other_workers_next_check(client, second_worker, northwind):
    assert (verdict(client), verdict(second_worker)) == ("require_approval", "require_approval")

    with northwind.begin() as conn:
        settings = store.load_settings(conn)
        ladder = dict(settings.ladder)
        ladder[next(k for k in ladder if k[0] == "notice" and k[1] == "client_contact")] = Verdict.BLOCK
        store.save_settings(conn, PolicySettings(ladder=ladder), datetime.now(UTC))

    assert (verdict(client), verdict(second_worker)) == ("block", "block")


def test_monitor_only_switched_on_applies_at_the_next_check(client, northwind):
    assert verdict(client) == "require_approval"

    with northwind.begin() as conn:
        store.save_settings(conn, PolicySettings(monitor_only=True), datetime.now(UTC))

    assert verdict(client) == "allow"


def test_a_new_company_domain_applies_at_the_next_check(client, second_worker, northwind):
    to_partner = {"to": ["sam@partner.example"]}
    with northwind.begin() as conn:  # make mail to colleagues visible: internal during notice -> warn
        ladder = dict(store.load_settings(conn).ladder)
        ladder[next(k for k in ladder if k[0] == "notice" and k[1] == "internal")] = Verdict.WARN
        store.save_settings(conn, PolicySettings(ladder=ladder), datetime.now(UTC))
    assert verdict(second_worker, payload=to_partner) == "allow"  # an external recipient during notice

    with northwind.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example", "partner.example"], datetime.now(UTC))

    assert verdict(second_worker, payload=to_partner) == "warn"


def test_a_colleague_who_is_not_leaving_gets_no_fingerprint_because_their_message_is_not_read(client, northwind):
    answer = client.post("/api/v1/check", headers=CAROL, json=TO_KIM).get_json()

    assert (answer["verdict"], answer["fingerprint"], answer["findings"]) == ("allow", None, [])
    with northwind.connect() as conn:
        (row,) = conn.execute(audit_events.select()).mappings().all()
    assert row["fingerprint"] is None


def test_a_leaver_gets_the_fingerprint_an_approval_would_be_bound_to(client, northwind):
    answer = client.post("/api/v1/check", headers=ALICE, json=TO_KIM).get_json()

    assert answer["fingerprint"].startswith("sha256:") and len(answer["fingerprint"]) == 71
