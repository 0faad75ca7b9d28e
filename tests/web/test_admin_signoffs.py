"""The sign-off queue and a request's page on the console: filters, pages, who may decide, first decision wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from server import signoff_store
from server.tables import approval_requests

from ..integration.signoff_helpers import decide as decide_by_link
from ..integration.signoff_helpers import link_path, queued
from .console_helpers import (
    ADMIN,
    CSRF,
    HR,
    HR_OTHER,
    ROLES,
    TO_KIM,
    VIEWER,
    ask_signoff,
    audit_rows,
    check,
    seed,
    sign_in,
    text_of,
)


@pytest.fixture
def app(app):
    app.config.update(ROLES)
    seed(app.extensions["leaverguard.engine"])
    return app


def decide(client, approval_id: int, decision: str = "approve", comment: str = "Fine: Bob is introduced."):
    data = {"csrf_token": CSRF, "decision": decision, "comment": comment}
    return client.post(f"/admin/signoffs/{approval_id}", data=data)


def queue_ids(client, view: str, **args) -> list[int]:
    page = client.get("/admin/signoffs", query_string={"view": view, **args}).get_data(as_text=True)
    return [int(part.split('"', 1)[0]) for part in page.split('href="/admin/signoffs/')[1:]]


def request_row(engine, approval_id: int) -> dict:
    with engine.connect() as conn:
        return signoff_store.get_request(conn, approval_id)


@pytest.fixture
def one_of_each(client, engine) -> dict[str, int]:
    """Requests in every state: pending, approved, rejected, expired, consumed (ids by state)."""
    states = ("consumed", "approved", "rejected", "expired", "pending")
    ids = {name: ask_signoff(client, payload=TO_KIM | {"subject": name}) for name in states}
    hr = sign_in(client, HR)
    assert decide(hr, ids["consumed"]).status_code == 200
    assert decide(hr, ids["approved"]).status_code == 200
    assert decide(hr, ids["rejected"], "reject", "Not now.").status_code == 200
    with engine.begin() as conn:
        lapsed = datetime.now(UTC) - timedelta(hours=1)
        conn.execute(
            update(approval_requests).where(approval_requests.c.id == ids["expired"]).values(expires_at=lapsed)
        )
    assert check(client, TO_KIM | {"subject": "consumed"})["approval"]["status"] == "consumed"
    return ids


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("pending", ["pending"]),
        ("decided", ["rejected", "approved"]),
        ("expired", ["expired"]),
        ("consumed", ["consumed"]),
        ("all", ["pending", "expired", "rejected", "approved", "consumed"]),
    ],
)
def test_each_filter_lists_its_requests_newest_first(client, one_of_each, view, expected):
    assert queue_ids(sign_in(client, HR), view) == [one_of_each[name] for name in expected]


def test_a_row_shows_leaver_recipients_created_status_and_approvers(client, one_of_each):
    row = text_of(sign_in(client, HR).get("/admin/signoffs?view=decided")).split(f"#{one_of_each['rejected']}")[1]

    assert (
        row.split("#")[0]
        .strip()
        .startswith(f"alice@northwind.example kim@contoso.example {datetime.now(UTC):%Y-%m-%d}")
    )
    assert f"rejected by {HR} {HR}" in row


def test_the_queue_pages_by_keyset_without_gaps_or_repeats(app, client):
    app.config["SIGNOFF_REQUESTS_PER_HOUR"] = 30  # 27 requests in a moment: above the default hourly limit
    ids = [ask_signoff(client, payload=TO_KIM | {"subject": f"Note {n}"}) for n in range(27)]
    hr = sign_in(client, HR)

    first = queue_ids(hr, "pending")
    second = queue_ids(hr, "pending", before=first[-1])

    assert first == ids[::-1][:25] and second == ids[::-1][25:]
    assert "Older" not in hr.get(f"/admin/signoffs?view=pending&before={first[-1]}").get_data(as_text=True)


def test_an_unknown_filter_is_a_400(client):
    assert sign_in(client, HR).get("/admin/signoffs?view=everything").status_code == 400
    assert sign_in(client, HR).get("/admin/signoffs?before=x").status_code == 400


def test_the_request_page_shows_what_the_approval_page_shows(client):
    approval_id = ask_signoff(client)

    page = text_of(sign_in(client, HR).get(f"/admin/signoffs/{approval_id}"))

    for expected in ("alice@northwind.example", "Last working day", "client of Contoso Ltd", "Bob takes over",
                     "A farewell note that introduces Bob.", f"Approvers asked: {HR}"):  # fmt: skip
        assert expected in page


def test_an_approver_decides_from_the_console_and_the_sender_is_told(client, engine):
    approval_id = ask_signoff(client)

    response = decide(sign_in(client, HR), approval_id)

    assert response.status_code == 200
    assert "Your decision is recorded: approved" in text_of(response)
    assert request_row(engine, approval_id)["decided_by"] == HR
    (event,) = audit_rows(engine, "approval.decided")
    assert (event["actor"], event["details"]["decision"], event["details"]["via"]) == (HR, "approved", "console")
    assert queued(engine, "approval.approved")[0]["recipients"] == ["alice@northwind.example"]
    assert check(client)["verdict"] == "allow"


def test_a_second_decision_is_refused_with_who_decided(client, engine):
    approval_id = ask_signoff(client)
    hr = sign_in(client, HR)
    decide(hr, approval_id, "reject", "Not to clients, please.")

    again = decide(hr, approval_id, "approve")

    assert again.status_code == 409
    assert f"Already decided: rejected by {HR}" in text_of(again)
    assert request_row(engine, approval_id)["status"] == "rejected"
    assert len(audit_rows(engine, "approval.decided")) == 1


def test_a_console_decision_makes_the_mailed_link_a_second_decision(client, engine):
    approval_id = ask_signoff(client)
    link = link_path(queued(engine, "approval.request")[0]["text_body"])
    hr = sign_in(client, HR)
    decide(hr, approval_id, "approve")

    by_link = decide_by_link(hr, link, "reject", "Changed my mind")

    assert by_link.status_code == 409
    assert request_row(engine, approval_id)["status"] == "approved"


@pytest.mark.parametrize("who", [ADMIN, HR_OTHER])
def test_someone_who_was_not_asked_sees_the_request_read_only_and_cannot_decide(client, engine, who):
    approval_id = ask_signoff(client)
    signed_in = sign_in(client, who)

    page = signed_in.get(f"/admin/signoffs/{approval_id}").get_data(as_text=True)
    refused = decide(signed_in, approval_id)

    assert 'value="approve"' not in page and "only the approvers it went to can decide" in page
    assert HR in page
    assert refused.status_code == 403
    assert request_row(engine, approval_id)["status"] == "pending"


def test_a_viewer_sees_the_queue_but_not_the_message_and_cannot_decide(client, engine):
    approval_id = ask_signoff(client)
    viewer = sign_in(client, VIEWER)

    queue = viewer.get("/admin/signoffs").get_data(as_text=True)

    assert f"#{approval_id}" in queue and f'href="/admin/signoffs/{approval_id}"' not in queue
    assert viewer.get(f"/admin/signoffs/{approval_id}").status_code == 403
    assert decide(viewer, approval_id).status_code == 403
    assert request_row(engine, approval_id)["status"] == "pending"


def test_a_decision_without_the_csrf_token_is_refused(client, engine):
    approval_id = ask_signoff(client)

    response = sign_in(client, HR).post(f"/admin/signoffs/{approval_id}", data={"decision": "approve"})

    assert response.status_code == 400
    assert request_row(engine, approval_id)["status"] == "pending"


def test_a_rejection_needs_a_comment(client, engine):
    approval_id = ask_signoff(client)

    response = decide(sign_in(client, HR), approval_id, "reject", "")

    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert request_row(engine, approval_id)["status"] == "pending"


def test_an_unknown_request_is_a_404(client):
    assert sign_in(client, HR).get("/admin/signoffs/999").status_code == 404
    assert decide(sign_in(client, HR), 999).status_code == 404
