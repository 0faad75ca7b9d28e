"""The Departures page: the register listed, searched and filtered by phase; added, edited, withdrawn, reinstated."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from server import store
from server import tables as t
from server.model import DepartureStatus, normalise_address

from .register_helpers import (
    ADMIN,
    DAY,
    HR,
    VIEWER,
    audit_kinds,
    count,
    field_error,
    field_value,
    last_audit,
    leaver,
    post,
    saved,
    signed_in,
    stored,
    text,
    today,
    version_of,
)


def form(**overrides) -> dict:
    values = {
        "email": "zoe@northwind.example",
        "notice_date": (today() - 2 * DAY).isoformat(),
        "last_working_date": (today() + 28 * DAY).isoformat(),
        "garden_leave_date": "",
        "successor": "bob@northwind.example",
        "aliases": "z.ray@northwind.example",
        "personal_addresses": "zoe.private@gmail.com",
    }
    return values | overrides


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_each_persons_phase_today_dates_successor_and_addresses(admin, engine):
    saved(
        engine,
        leaver("alice@northwind.example", successor="bob@northwind.example", aliases=("a.smith@northwind.example",)),
        leaver("dmitri@northwind.example", phase="garden_leave", personal_addresses=("dmitri@gmail.com",)),
        leaver("erin@northwind.example", phase="departed"),
        leaver("frank@northwind.example", phase="withdrawn"),
        leaver("gus@northwind.example", phase="upcoming", source="entra"),
    )

    page = text(admin.get("/admin/departures"))

    rows = {
        m[0]: m[1] for m in re.findall(r">([a-z]+@northwind\.example)</a></th>\s*<td[^>]*><span[^>]*>([^<]+)<", page)
    }
    assert rows == {
        "alice@northwind.example": "notice",
        "dmitri@northwind.example": "garden leave",
        "erin@northwind.example": "departed",
        "frank@northwind.example": "withdrawn",
        "gus@northwind.example": "upcoming",
    }
    assert "a.smith@northwind.example" in page and "dmitri@gmail.com" in page and "bob@northwind.example" in page
    assert (today() - 10 * DAY).isoformat() in page and ">entra<" in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("alice", {"alice@northwind.example"}),
        ("A.SMITH", {"alice@northwind.example"}),  # an alias, in any case
        ("carol@", {"dmitri@northwind.example"}),  # the successor
        ("northwind", {"alice@northwind.example", "dmitri@northwind.example"}),
        ("100%_", set()),  # LIKE's wildcards are searched for as they are
    ],
)
def test_search_finds_people_by_address_alias_or_successor(admin, engine, query, found):
    saved(
        engine,
        leaver("alice@northwind.example", aliases=("a.smith@northwind.example",), successor="bob@northwind.example"),
        leaver("dmitri@northwind.example", successor="carol@northwind.example"),
    )

    page = text(admin.get("/admin/departures", query_string={"q": query}))

    assert set(re.findall(r">([a-z.]+@northwind\.example)</a></th>", page)) == found


@pytest.mark.parametrize("phase", ["notice", "garden_leave", "departed", "withdrawn", "none"])
def test_the_phase_filter_lists_only_the_people_in_that_phase_today(admin, engine, phase):
    saved(engine, *(leaver(f"{p}@northwind.example", phase=p) for p in ("notice", "garden_leave", "departed")))
    saved(
        engine,
        leaver("withdrawn@northwind.example", phase="withdrawn"),
        leaver("none@northwind.example", phase="upcoming"),
    )

    page = text(admin.get("/admin/departures", query_string={"phase": phase}))

    assert re.findall(r">([a-z_]+)@northwind\.example</a></th>", page) == [phase]


def test_the_list_is_paged_by_address_fifty_at_a_time_both_ways(admin, engine):
    saved(engine, *(leaver(f"p{n:03d}@northwind.example") for n in range(120)))

    def names(response):
        return re.findall(r">(p\d+)@northwind\.example</a></th>", text(response))

    first = admin.get("/admin/departures")
    after = re.search(r'href="([^"]+)" rel="next"', text(first)).group(1)
    second = admin.get(after)
    third = admin.get(re.search(r'href="([^"]+)" rel="next"', text(second)).group(1))
    back = admin.get(re.search(r'href="([^"]+)" rel="prev"', text(third)).group(1))

    assert names(first) == [f"p{n:03d}" for n in range(50)] and 'rel="prev"' not in text(first)
    assert names(second) == [f"p{n:03d}" for n in range(50, 100)]
    assert names(third) == [f"p{n:03d}" for n in range(100, 120)] and 'rel="next"' not in text(third)
    assert names(back) == names(second)


# --- adding ----------------------------------------------------------------------------


def test_an_admin_adds_a_departure_and_it_is_audited(admin, engine):
    answer = post(admin, "/admin/departures/new", form())

    assert answer.status_code == 302
    departure_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    added = stored(engine, departure_id)
    assert (added.email, added.successor, added.aliases) == (
        "zoe@northwind.example",
        "bob@northwind.example",
        ("z.ray@northwind.example",),
    )
    assert (added.personal_addresses, added.source, added.status) == (
        ("zoe.private@gmail.com",),
        "manual",
        DepartureStatus.ACTIVE,
    )
    event = last_audit(engine, "departure.saved")
    assert event["actor"] == ADMIN and event["details"]["before"] is None
    assert event["details"]["after"]["email"] == "zoe@northwind.example"
    assert "notice" in text(admin.get(answer.headers["Location"]))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": ""}, "email", "is required"),
        ({"email": "zoe at northwind"}, "email", "is not an e-mail address"),
        ({"notice_date": ""}, "notice_date", "is required"),
        ({"notice_date": "31/12/2026"}, "notice_date", "is not a date (YYYY-MM-DD)"),
        ({"last_working_date": "2026-02-30"}, "last_working_date", "is not a date"),
        ({"notice_date": "2027-03-01", "last_working_date": "2027-02-01"}, "last_working_date", "is before the notice"),
        (
            {"notice_date": "2027-01-01", "garden_leave_date": "2027-05-01", "last_working_date": "2027-03-31"},
            "garden_leave_date",
            "must be within the notice period (2027-01-01 to 2027-03-31)",
        ),
        (
            {"notice_date": "2027-01-01", "garden_leave_date": "2026-12-01", "last_working_date": "2027-03-31"},
            "garden_leave_date",
            "must be within the notice period",
        ),
        ({"successor": "Zoe@Northwind.example"}, "successor", "is the leaver themselves"),
        ({"successor": "z.ray@northwind.example"}, "successor", "is the leaver themselves"),  # their alias
        ({"successor": "bob@"}, "successor", "is not an e-mail address"),
        ({"aliases": "ok@northwind.example\nnot-an-address"}, "aliases", "'not-an-address'"),
        ({"personal_addresses": "zoe@northwind.example"}, "personal_addresses", "a work address of the leaver"),
    ],
)
def test_every_bad_field_is_named_next_to_it_the_form_keeps_what_was_typed_and_nothing_is_saved(
    admin, engine, changes, field, message
):
    typed = form(**changes)

    answer = post(admin, "/admin/departures/new", typed)

    assert answer.status_code == 400
    assert message in (field_error(answer, field) or "")
    assert field_value(answer, "email") == typed["email"]
    assert field_value(answer, "aliases") == typed["aliases"]
    assert count(engine, t.departures) == 0 and audit_kinds(engine) == []


def test_an_alias_another_leaver_sends_as_is_refused_naming_that_leaver(admin, engine):
    saved(engine, leaver("alice@northwind.example", aliases=("a.smith@northwind.example",)))

    answer = post(admin, "/admin/departures/new", form(aliases="A.Smith@northwind.example"))

    assert answer.status_code == 400
    assert (
        field_error(answer, "aliases") == "a.smith@northwind.example is already an address of alice@northwind.example"
    )
    assert count(engine, t.departures) == 1


@pytest.fixture
def company(engine):
    """The company's domains set, and a client whose contacts include a northwind address and a webmail one."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example"], now)
        account_id = store.ensure_account(conn, "Contoso Ltd", None, "manual", now)
        for contact in ("kim@contoso.example", "ext.kim@northwind.example"):
            store.add_client_contact(conn, account_id, normalise_address(contact), "Kim")


OUTSIDE = "is not in the company's domains (northwind.example): a leaver's work addresses are"
CONTACT = "is a contact of the client account 'Contoso Ltd', not an employee's address"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "kim@contoso.example"}, "email", f"kim@contoso.example {CONTACT}"),
        ({"email": "ben@contoso.example"}, "email", f"ben@contoso.example {OUTSIDE}"),
        ({"email": "zoe.private@gmail.com", "personal_addresses": ""}, "email", f"zoe.private@gmail.com {OUTSIDE}"),
        ({"email": "Ext.Kim@northwind.example"}, "email", f"ext.kim@northwind.example {CONTACT}"),
        ({"aliases": "zoe@gmail.com"}, "aliases", f"zoe@gmail.com {OUTSIDE}"),
        ({"aliases": "ext.kim+x@northwind.example"}, "aliases", f"ext.kim+x@northwind.example {CONTACT}"),
    ],
)
@pytest.mark.parametrize("person", [ADMIN, HR])
def test_a_client_contact_or_an_address_outside_the_company_is_refused_as_a_departure(
    console, engine, company, changes, field, message, person
):
    answer = post(signed_in(console.test_client(), person), "/admin/departures/new", form(**changes))

    assert answer.status_code == 400
    assert field_error(answer, field) == message
    assert count(engine, t.departures) == 0 and audit_kinds(engine) == []


def test_an_edit_that_makes_a_departure_a_client_contact_is_refused_and_changes_nothing(admin, engine, company):
    [departure_id] = saved(engine, leaver("zoe@northwind.example"))
    opened = admin.get(f"/admin/departures/{departure_id}")

    answer = post(
        admin, f"/admin/departures/{departure_id}", form(email="ext.kim@northwind.example", version=version_of(opened))
    )

    assert answer.status_code == 400 and CONTACT in field_error(answer, "email")
    assert stored(engine, departure_id).email == "zoe@northwind.example"


def test_a_person_already_in_the_register_is_not_added_twice(admin, engine):
    saved(engine, leaver("zoe@northwind.example"))

    answer = post(admin, "/admin/departures/new", form())

    assert answer.status_code == 400
    assert "already an address of zoe@northwind.example" in field_error(answer, "email")
    assert count(engine, t.departures) == 1


# --- editing ---------------------------------------------------------------------------


def test_an_edit_is_saved_with_its_before_and_after_in_the_audit_log(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example", successor="bob@northwind.example"))
    opened = admin.get(f"/admin/departures/{departure_id}")
    typed = {name: field_value(opened, name) for name in ("email", "notice_date", "last_working_date")}

    answer = post(
        admin,
        f"/admin/departures/{departure_id}",
        {**typed, "successor": "carol@northwind.example", "version": version_of(opened)},
    )

    assert answer.status_code == 302
    assert stored(engine, departure_id).successor == "carol@northwind.example"
    event = last_audit(engine, "departure.saved")
    assert event["details"]["before"]["successor"] == "bob@northwind.example"
    assert event["details"]["after"]["successor"] == "carol@northwind.example"
    assert "Saved" in text(admin.get(answer.headers["Location"]))


def test_changing_the_primary_address_keeps_the_record_and_its_history(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example"))
    opened = admin.get(f"/admin/departures/{departure_id}")

    answer = post(
        admin,
        f"/admin/departures/{departure_id}",
        form(email="alice.smith@northwind.example", aliases="alice@northwind.example", version=version_of(opened)),
    )

    assert answer.status_code == 302
    assert stored(engine, departure_id).email == "alice.smith@northwind.example"
    assert stored(engine, departure_id).aliases == ("alice@northwind.example",)
    assert count(engine, t.departures) == 1


def test_a_concurrent_edit_gets_a_409_with_the_current_values_and_nothing_is_overwritten(console, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example", successor="bob@northwind.example"))
    ada, hana = signed_in(console.test_client(), ADMIN), signed_in(console.test_client(), HR)
    path = f"/admin/departures/{departure_id}"
    opened_by_ada, opened_by_hana = ada.get(path), hana.get(path)
    base = {name: field_value(opened_by_ada, name) for name in ("email", "notice_date", "last_working_date")}
    assert (
        post(
            hana, path, {**base, "successor": "carol@northwind.example", "version": version_of(opened_by_hana)}
        ).status_code
        == 302
    )

    answer = post(ada, path, {**base, "successor": "dave@northwind.example", "version": version_of(opened_by_ada)})

    assert answer.status_code == 409
    assert "changed by someone else since you opened it" in text(answer)
    assert field_value(answer, "successor") == "carol@northwind.example"  # the current value, to start again from
    assert "dave@northwind.example" in text(answer)  # and what Ada typed, so she can redo it
    assert stored(engine, departure_id).successor == "carol@northwind.example"
    assert audit_kinds(engine).count("departure.saved") == 1


def test_a_form_without_its_version_is_treated_as_stale_and_saves_nothing(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example", successor="bob@northwind.example"))

    answer = post(admin, f"/admin/departures/{departure_id}", form(email="alice@northwind.example"))

    assert answer.status_code == 409
    assert stored(engine, departure_id).successor == "bob@northwind.example"


def test_an_invalid_edit_keeps_the_version_it_was_opened_with(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example"))
    opened = admin.get(f"/admin/departures/{departure_id}")

    answer = post(admin, f"/admin/departures/{departure_id}", form(email="", version=version_of(opened)))

    assert answer.status_code == 400 and version_of(answer) == version_of(opened)
    assert field_error(answer, "email") == "is required"


def test_editing_a_record_that_was_removed_meanwhile_is_a_404(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example"))
    opened = admin.get(f"/admin/departures/{departure_id}")
    with engine.begin() as conn:
        conn.execute(t.departures.delete())

    answer = post(admin, f"/admin/departures/{departure_id}", form(version=version_of(opened)))

    assert answer.status_code == 404 and "no such record" in text(answer)
    assert admin.get(f"/admin/departures/{departure_id}").status_code == 404


# --- withdrawing, and records a sync owns ----------------------------------------------


def test_withdrawing_and_reinstating_a_resignation_is_audited(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example"))
    path = f"/admin/departures/{departure_id}"

    withdrawn = post(admin, f"{path}/withdraw", {"version": version_of(admin.get(path))})
    status_after_withdrawal = stored(engine, departure_id).status
    reinstated = post(admin, f"{path}/reinstate", {"version": version_of(admin.get(path))})

    assert (withdrawn.status_code, reinstated.status_code) == (302, 302)
    assert status_after_withdrawal == DepartureStatus.WITHDRAWN
    assert stored(engine, departure_id).status == DepartureStatus.ACTIVE
    assert audit_kinds(engine) == ["departure.withdrawn", "departure.reinstated"]
    assert last_audit(engine, "departure.withdrawn")["details"]["after"]["status"] == "withdrawn"


def test_withdrawing_with_a_stale_version_is_a_409_and_changes_nothing(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example"))
    path = f"/admin/departures/{departure_id}"
    stale = version_of(admin.get(path))
    saved(engine, leaver("alice@northwind.example", successor="carol@northwind.example"))  # someone else's save

    answer = post(admin, f"{path}/withdraw", {"version": stale})

    assert answer.status_code == 409 and "changed by someone else since you opened it" in text(answer)
    assert stored(engine, departure_id).status == DepartureStatus.ACTIVE


def test_a_synced_record_says_the_next_sync_may_overwrite_it_and_stays_the_syncs_when_edited(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example", source="entra"))
    opened = admin.get(f"/admin/departures/{departure_id}")

    answer = post(
        admin, f"/admin/departures/{departure_id}", form(email="alice@northwind.example", version=version_of(opened))
    )

    assert "the sync's next run may overwrite your change" in text(opened)
    assert answer.status_code == 302 and stored(engine, departure_id).source == "entra"


def test_taking_a_synced_record_over_makes_it_manual(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example", source="entra"))
    opened = admin.get(f"/admin/departures/{departure_id}")

    post(
        admin,
        f"/admin/departures/{departure_id}",
        form(email="alice@northwind.example", take_over="1", version=version_of(opened)),
    )

    assert stored(engine, departure_id).source == "manual"


def test_withdrawing_a_synced_record_takes_it_over_so_the_sync_cannot_make_it_active_again(admin, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example", source="hr-csv"))
    path = f"/admin/departures/{departure_id}"

    post(admin, f"{path}/withdraw", {"version": version_of(admin.get(path))})

    assert (stored(engine, departure_id).status, stored(engine, departure_id).source) == (
        DepartureStatus.WITHDRAWN,
        "manual",
    )


# --- who may do what -------------------------------------------------------------------


def _every_post(departure_id: int) -> list[str]:
    return [
        "/admin/departures/new",
        f"/admin/departures/{departure_id}",
        f"/admin/departures/{departure_id}/withdraw",
        f"/admin/departures/{departure_id}/reinstate",
    ]


def test_a_viewer_gets_403_on_every_post_and_nothing_changes(console, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example"))
    viewer = signed_in(console.test_client(), VIEWER)
    version = version_of(signed_in(console.test_client(), ADMIN).get(f"/admin/departures/{departure_id}"))

    answers = [post(viewer, path, form(version=version)).status_code for path in _every_post(departure_id)]

    assert answers == [403, 403, 403, 403]
    assert stored(engine, departure_id).email == "alice@northwind.example" and count(engine, t.departures) == 1
    assert viewer.get("/admin/departures/new").status_code == 403


def test_a_viewer_sees_the_register_without_any_button_that_changes_it(console, engine):
    [departure_id] = saved(engine, leaver("alice@northwind.example"))
    viewer = signed_in(console.test_client(), VIEWER)

    listing, record = text(viewer.get("/admin/departures")), text(viewer.get(f"/admin/departures/{departure_id}"))

    assert "alice@northwind.example" in listing and "Export CSV" not in listing
    assert "Add a departure" not in listing and 'enctype="multipart/form-data"' not in listing
    assert 'method="post"' not in record.split("<main>")[1]
    assert "Withdraw" not in record and (today() - 10 * DAY).isoformat() in record


def test_hr_may_add_and_edit_departures(console, engine):
    hana = signed_in(console.test_client(), HR)

    answer = post(hana, "/admin/departures/new", form())

    assert answer.status_code == 302 and count(engine, t.departures) == 1
    assert "Add a departure" in text(hana.get("/admin/departures"))


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_post_without_the_right_csrf_token_is_refused_and_saves_nothing(admin, engine, token):
    data = form() | ({"csrf_token": token} if token else {})

    answer = admin.post("/admin/departures/new", data=data)

    assert answer.status_code == 400 and count(engine, t.departures) == 0


def test_nobody_signed_in_is_sent_to_sign_in(console):
    answer = console.test_client().post("/admin/departures/new", data=form())

    assert answer.status_code == 302 and answer.headers["Location"].startswith("/signin")
