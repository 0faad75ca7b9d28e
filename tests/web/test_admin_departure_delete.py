"""Deleting a departure entered by mistake: admin only, with a reason and a confirmation, audited; synced ones not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server import store
from server import tables as t

from .console_helpers import ALICE, ask_signoff, audit_rows, check, seed
from .register_helpers import (
    ADMIN,
    HR,
    VIEWER,
    audit_kinds,
    count,
    field_error,
    last_audit,
    leaver,
    post,
    saved,
    signed_in,
    text,
    version_of,
)

MISTAKE = "Typed Zoe's address instead of Zoey's: Zoe is not leaving."


def zoe(engine, **values) -> int:
    values = {"aliases": ("z.ray@northwind.example",), "personal_addresses": ("zoe.private@gmail.com",)} | values
    [departure_id] = saved(engine, leaver("zoe@northwind.example", **values))
    return departure_id


def delete(client, departure_id: int, reason: str = MISTAKE, **form):
    """Open the confirmation page, then confirm with `reason` (and the page's version unless `form` gives one)."""
    confirmation = client.get(f"/admin/departures/{departure_id}/delete")
    fields = {"reason": reason, "version": version_of(confirmation)} | form
    return post(client, f"/admin/departures/{departure_id}/delete", fields)


def test_an_admin_deletes_a_departure_entered_by_mistake_with_its_aliases_and_personal_addresses(admin, engine):
    departure_id = zoe(engine)
    page = text(admin.get(f"/admin/departures/{departure_id}"))
    confirmation = admin.get(f"/admin/departures/{departure_id}/delete")

    answer = delete(admin, departure_id)

    assert f'href="/admin/departures/{departure_id}/delete"' in page
    assert confirmation.status_code == 200 and "Delete zoe@northwind.example?" in text(confirmation)
    assert 'name="reason"' in text(confirmation) and "z.ray@northwind.example" in text(confirmation)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/departures"
    assert "Deleted zoe@northwind.example" in text(admin.get("/admin/departures"))
    assert count(engine, t.departures) == count(engine, t.departure_addresses) == 0
    assert count(engine, t.departure_personal_addresses) == 0
    assert admin.get(f"/admin/departures/{departure_id}").status_code == 404


def test_a_deletion_is_audited_with_who_the_reason_and_every_value_of_the_record(admin, engine):
    departure_id = zoe(engine, successor="bob@northwind.example")

    delete(admin, departure_id, reason=f"  {MISTAKE}  ")

    event = last_audit(engine, "departure.deleted")
    assert event["actor"] == ADMIN
    assert event["details"]["id"] == departure_id and event["details"]["email"] == "zoe@northwind.example"
    assert event["details"]["reason"] == MISTAKE
    assert event["details"]["before"] | {"notice_date": None, "last_working_date": None} == {
        "email": "zoe@northwind.example",
        "notice_date": None,
        "last_working_date": None,
        "garden_leave_date": "",
        "successor": "bob@northwind.example",
        "aliases": ["z.ray@northwind.example"],
        "personal_addresses": ["zoe.private@gmail.com"],
        "status": "active",
        "source": "manual",
    }


def test_deleting_a_leaver_keeps_the_audit_trail_and_the_sign_off_requests(console, engine):
    seed(engine)
    client = console.test_client()
    check(client)
    approval_id = ask_signoff(client)
    with engine.connect() as conn:
        alice = store.find_departure(conn, ALICE)

    answer = delete(signed_in(client, ADMIN), alice.id)

    assert answer.status_code == 302
    with engine.connect() as conn:
        assert conn.scalars(select(t.approval_requests.c.id)).all() == [approval_id]
    assert [e["actor"] for e in audit_rows(engine, "check")] == [ALICE]
    assert audit_rows(engine, "approval.requested") and audit_rows(engine, "departure.deleted")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_deletion_needs_a_reason_and_without_one_nothing_is_deleted(admin, engine, reason):
    departure_id = zoe(engine)

    answer = delete(admin, departure_id, reason=reason)

    assert answer.status_code == 400
    assert field_error(answer, "reason") in (
        "is required: say why this record was a mistake",
        "is longer than 1000 characters",
    )
    assert count(engine, t.departures) == 1 and audit_kinds(engine) == []


@pytest.mark.parametrize("person", [HR, VIEWER])
def test_only_an_admin_may_delete_hr_and_viewers_get_403_and_see_no_delete_button(console, engine, person):
    departure_id = zoe(engine)
    version = version_of(signed_in(console.test_client(), ADMIN).get(f"/admin/departures/{departure_id}"))
    client = signed_in(console.test_client(), person)

    page = text(client.get(f"/admin/departures/{departure_id}"))
    opened = client.get(f"/admin/departures/{departure_id}/delete")
    answer = post(client, f"/admin/departures/{departure_id}/delete", {"reason": MISTAKE, "version": version})

    assert "/delete" not in page
    assert (opened.status_code, answer.status_code) == (403, 403)
    assert "it needs the role admin" in text(answer)
    assert count(engine, t.departures) == 1 and audit_kinds(engine) == []


@pytest.mark.parametrize("source", ["entra", "hr-csv", "personio"])
def test_a_synced_departure_cannot_be_deleted_and_the_page_says_to_withdraw_it(admin, engine, source):
    departure_id = zoe(engine, source=source)
    version = version_of(admin.get(f"/admin/departures/{departure_id}"))

    page = text(admin.get(f"/admin/departures/{departure_id}"))
    opened = admin.get(f"/admin/departures/{departure_id}/delete")
    answer = post(admin, f"/admin/departures/{departure_id}/delete", {"reason": MISTAKE, "version": version})

    assert f'href="/admin/departures/{departure_id}/delete"' not in page
    assert f"cannot be deleted here: the next run of the {source} sync would add it again" in page
    assert "Withdraw the resignation" in page
    assert opened.status_code == 409 and "Withdraw the resignation instead" in text(opened)
    assert answer.status_code == 409 and 'name="reason"' not in text(answer)
    assert count(engine, t.departures) == 1 and audit_kinds(engine) == []


def test_a_deletion_from_a_page_opened_before_someone_elses_change_is_a_409_and_deletes_nothing(admin, engine):
    departure_id = zoe(engine)
    stale = version_of(admin.get(f"/admin/departures/{departure_id}/delete"))
    saved(engine, leaver("zoe@northwind.example", successor="carol@northwind.example"))  # someone else's save

    answer = post(admin, f"/admin/departures/{departure_id}/delete", {"reason": MISTAKE, "version": stale})

    assert answer.status_code == 409 and "changed by someone else since you opened it" in text(answer)
    assert count(engine, t.departures) == 1 and audit_kinds(engine) == []


def test_deleting_a_record_deleted_meanwhile_is_a_404(admin, engine):
    departure_id = zoe(engine)
    version = version_of(admin.get(f"/admin/departures/{departure_id}/delete"))
    assert delete(admin, departure_id).status_code == 302

    answer = post(admin, f"/admin/departures/{departure_id}/delete", {"reason": MISTAKE, "version": version})

    assert answer.status_code == 404 and audit_kinds(engine) == ["departure.deleted"]
    assert admin.get(f"/admin/departures/{departure_id}/delete").status_code == 404


def test_a_deletion_without_the_csrf_token_is_refused_and_deletes_nothing(admin, engine):
    departure_id = zoe(engine)
    version = version_of(admin.get(f"/admin/departures/{departure_id}/delete"))

    answer = admin.post(f"/admin/departures/{departure_id}/delete", data={"reason": MISTAKE, "version": version})

    assert answer.status_code == 400 and count(engine, t.departures) == 1
