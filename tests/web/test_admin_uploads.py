"""CSV imports on the admin console: upload → preview (changes and every bad line) → import or cancel; exports."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server import store
from server import tables as t
from server.console import uploads_store as pending
from server.model import normalise_address

from .register_helpers import (
    ADMIN,
    DAY,
    HR,
    VIEWER,
    audit_kinds,
    count,
    field_error,
    last_audit,
    post,
    signed_in,
    text,
    today,
)


def departures_csv(*, bad: bool = False) -> bytes:
    notice, last = (today() - 2 * DAY).isoformat(), (today() + 28 * DAY).isoformat()
    lines = [
        "EmailAddress,ResignationDate,LastWorkingDate,SuccessorEmail",
        f"zoe@northwind.example,{notice},{last},bob@northwind.example",
        f"yan@northwind.example,{last},{notice},carol@northwind.example"
        if bad
        else f"yan@northwind.example,{notice},{last},",
    ]
    return ("\n".join(lines) + "\n").encode()


def clients_csv(*, bad: bool = False) -> bytes:
    lines = [
        "Account,Domain,ContactEmail,ContactName,OwnerEmail",
        "Contoso Ltd,contoso.example,,,bob@northwind.example",
        "Contoso Ltd,,kim@contoso.example,Kim Akers,",
        "Fabrikam,not a domain,,," if bad else "Fabrikam,fabrikam.example,,,",
    ]
    return ("\n".join(lines) + "\n").encode()


def upload(client, kind: str, content: bytes, filename: str = "file.csv"):
    form = {"file": (io.BytesIO(content), filename)}
    answer = post(client, f"/admin/{kind}/import", form, content_type="multipart/form-data")
    answer.request.input_stream.close()  # the test client keeps a large body in a temporary file it never closes
    return answer


def preview_of(client, answer):
    assert answer.status_code == 302, text(answer)
    return client.get(answer.headers["Location"])


def import_button(page) -> str | None:
    found = re.search(r'action="(/admin/uploads/[^"]+/import)"', text(page))
    return found.group(1) if found else None


# --- departures and clients, bad line then fixed ----------------------------------------


@pytest.mark.parametrize(
    ("kind", "make", "line", "problem", "table"),
    [
        ("departures", departures_csv, "3", "is before ResignationDate", t.departures),
        ("clients", clients_csv, "4", "is not a domain name", t.client_domains),
    ],
)
def test_a_file_with_a_bad_line_shows_its_number_and_writes_nothing_then_the_fixed_file_imports(
    admin, engine, kind, make, line, problem, table
):
    bad = preview_of(admin, upload(admin, kind, make(bad=True), "with-a-bad-line.csv"))

    assert bad.status_code == 200 and import_button(bad) is None
    assert re.search(rf'data-label="Line">{line}</th>.*?{problem}', text(bad), re.S)
    assert count(engine, table) == 0 and audit_kinds(engine) == []

    good = preview_of(admin, upload(admin, kind, make(), "fixed.csv"))
    assert "The file is good" in text(good) and count(engine, table) == 0
    done = post(admin, import_button(good))

    assert done.status_code == 302 and done.headers["Location"] == f"/admin/{kind}"
    assert count(engine, table) == 2
    assert last_audit(engine, f"import.{kind}")["actor"] == ADMIN
    assert "Imported fixed.csv" in text(admin.get(done.headers["Location"]))


@pytest.mark.parametrize(
    ("kind", "content", "problem"),
    [
        (
            "clients",
            b"Account,Domain\nContoso Ltd,contoso.example\nGmail users,gmail.com\n",
            "gmail.com is a consumer webmail domain",
        ),
        (
            "clients",
            b"Account,Domain\nNorthwind,northwind.example\n",
            "northwind.example is one of the company's own domains",
        ),
        (
            "departures",
            b"EmailAddress,ResignationDate,LastWorkingDate\nkim@contoso.example,2026-01-01,2026-02-01\n",
            "kim@contoso.example is a contact of the client account 'Contoso Ltd', not an employee's address",
        ),
    ],
)
def test_the_preview_names_a_line_that_breaks_the_policy_and_offers_no_import(admin, engine, kind, content, problem):
    with engine.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example"], datetime.now(UTC))
        account_id = store.ensure_account(conn, "Contoso Ltd", None, "manual", datetime.now(UTC))
        store.add_client_contact(conn, account_id, normalise_address("kim@contoso.example"))

    page = preview_of(admin, upload(admin, kind, content))

    assert import_button(page) is None
    assert problem in " ".join(re.sub(r"<[^>]+>", " ", text(page)).split())
    assert audit_kinds(engine) == []


def test_the_preview_counts_what_would_be_added_and_updated(admin, engine):
    with engine.begin() as conn:
        store.ensure_account(conn, "Contoso Ltd", None, "manual", datetime.now(UTC))

    page = text(preview_of(admin, upload(admin, "clients", clients_csv())))

    cells = r'data-label="Kind">(\w+)</th><td data-label="Added">(\d+)</td><td data-label="Updated">(\d+)<'
    tallies = {kind: (added, updated) for kind, added, updated in re.findall(cells, page)}
    assert tallies == {"accounts": ("1", "1"), "domains": ("2", "0"), "contacts": ("1", "0")}
    assert "Rows read</dt><dd>3" in page


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "unknown column"),
        (
            "EmailAddress,ResignationDate,LastWorkingDate\nzoë@northwind.example,2026-01-01,2026-02-01\n".encode(
                "latin-1"
            ),
            "is not UTF-8 text",
        ),
        (b"EmailAddress,LastWorkingDate\nzoe@northwind.example,2026-02-01\n", "required column is missing"),
        (b"", "the file is empty"),
        (b"EmailAddress;ResignationDate;LastWorkingDate\n", "columns are separated by ';'"),
        (b"EmailAddress,ResignationDate,LastWorkingDate\n", "has a header but no data rows"),
    ],
)
def test_a_file_that_cannot_be_read_shows_why_and_offers_no_import(admin, engine, content, problem):
    page = preview_of(admin, upload(admin, "departures", content))

    assert problem in text(page) and import_button(page) is None
    assert "Upload a corrected file" in text(page) and count(engine, t.departures) == 0


def test_confirming_a_file_with_problems_imports_nothing_and_the_upload_waits_again(admin, engine):
    answer = upload(admin, "departures", departures_csv(bad=True))
    upload_id = answer.headers["Location"].rsplit("/", 1)[1]

    forced = post(admin, f"/admin/uploads/{upload_id}/import")

    assert forced.status_code == 400 and "is before ResignationDate" in text(forced)
    assert count(engine, t.departures) == 0 and count(engine, t.pending_uploads) == 1


# --- the upload's life -------------------------------------------------------------------


def test_an_upload_is_imported_once_however_often_it_is_confirmed(admin, engine):
    page = preview_of(admin, upload(admin, "departures", departures_csv()))
    path = import_button(page)

    first, second = post(admin, path), post(admin, path)

    assert (first.status_code, second.status_code) == (302, 404)
    assert audit_kinds(engine).count("import.departures") == 1 and count(engine, t.pending_uploads) == 0


def test_cancelling_drops_the_upload_and_imports_nothing(admin, engine):
    answer = upload(admin, "clients", clients_csv())
    upload_id = answer.headers["Location"].rsplit("/", 1)[1]

    cancelled = post(admin, f"/admin/uploads/{upload_id}/cancel")

    assert cancelled.status_code == 302 and "nothing from file.csv was imported" in text(admin.get("/admin/clients"))
    assert count(engine, t.pending_uploads) == 0 and count(engine, t.client_accounts) == 0
    assert admin.get(f"/admin/uploads/{upload_id}").status_code == 404


def test_an_unknown_upload_or_someone_elses_is_a_404_page(console, engine):
    ada, hana = signed_in(console.test_client(), ADMIN), signed_in(console.test_client(), HR)
    upload_id = upload(ada, "departures", departures_csv()).headers["Location"].rsplit("/", 1)[1]

    answers = [
        hana.get(f"/admin/uploads/{upload_id}"),
        post(hana, f"/admin/uploads/{upload_id}/import"),
        post(hana, f"/admin/uploads/{upload_id}/cancel"),
        ada.get("/admin/uploads/no-such-upload"),
        post(ada, "/admin/uploads/no-such-upload/import"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert "No upload with this address is waiting for you" in text(answers[0])
    assert count(engine, t.departures) == 0 and count(engine, t.pending_uploads) == 1


def test_an_upload_older_than_a_day_is_gone_410_and_deleted(admin, engine):
    kept = pending.Upload("old-upload", "departures", ADMIN, "old.csv", departures_csv(), datetime.now(UTC) - 2 * DAY)
    with engine.begin() as conn:
        pending.store_upload(conn, kept)

    answer = post(admin, "/admin/uploads/old-upload/import")

    assert answer.status_code == 410 and "waited more than a day" in text(answer)
    assert count(engine, t.departures) == 0 and count(engine, t.pending_uploads) == 0


def test_storing_an_upload_deletes_those_older_than_a_day(admin, engine):
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for name, age in (("stale", timedelta(hours=25)), ("recent", timedelta(hours=23))):
            pending.store_upload(conn, pending.Upload(name, "clients", HR, f"{name}.csv", b"x", now - age))

    upload(admin, "clients", clients_csv())

    with engine.connect() as conn:
        left = set(conn.scalars(select(t.pending_uploads.c.filename)))
    assert left == {"recent.csv", "file.csv"}


# --- size limits and bad requests -------------------------------------------------------


def test_an_upload_larger_than_the_limit_gets_a_413_page(admin, engine, console):
    console.config["UPLOAD_MAX_BYTES"] = 2_000

    answer = upload(admin, "clients", clients_csv() + b"Contoso Ltd,,x@contoso.example,,\n" * 200)

    assert answer.status_code == 413 and "LEAVERGUARD_UPLOAD_MAX_BYTES" in text(answer)
    assert count(engine, t.pending_uploads) == 0


def test_uploads_may_be_larger_than_the_apis_own_limit_which_stays(admin, console):
    rows = b"".join(b"Contoso Ltd,,p%07d@contoso.example,,\n" % n for n in range(120_000))
    big = clients_csv() + rows
    assert len(big) > console.config["MAX_CONTENT_LENGTH"]

    answer = upload(admin, "clients", big)
    too_much, caller = b"x" * (console.config["MAX_CONTENT_LENGTH"] + 1), {"Authorization": f"Dev {ADMIN}"}
    api = admin.post("/api/v1/approvals", data=too_much, content_type="application/json", headers=caller)

    assert answer.status_code == 302
    assert api.status_code == 413


def test_an_upload_without_a_file_is_refused_next_to_the_field(admin, engine):
    answer = post(admin, "/admin/departures/import", {}, content_type="multipart/form-data")

    assert answer.status_code == 400 and field_error(answer, "file") == "Choose a CSV file"
    assert count(engine, t.pending_uploads) == 0


def test_an_upload_without_the_csrf_token_is_refused(admin, engine):
    data = {"file": (io.BytesIO(departures_csv()), "x.csv")}

    answer = admin.post("/admin/departures/import", data=data, content_type="multipart/form-data")

    assert answer.status_code == 400 and count(engine, t.pending_uploads) == 0


# --- who may import -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "kind", "allowed"),
    [
        (VIEWER, "departures", False),
        (VIEWER, "clients", False),
        (HR, "departures", True),
        (HR, "clients", False),
        (ADMIN, "clients", True),
    ],
)
def test_only_those_who_may_edit_a_register_may_import_into_it(console, engine, person, kind, allowed):
    client = signed_in(console.test_client(), person)
    content = departures_csv() if kind == "departures" else clients_csv()

    answer = upload(client, kind, content)

    assert answer.status_code == (302 if allowed else 403)
    assert count(engine, t.pending_uploads) == (1 if allowed else 0)


def test_a_viewer_gets_403_on_every_upload_post_even_for_an_upload_that_exists(console, engine):
    upload_id = (
        upload(signed_in(console.test_client(), ADMIN), "clients", clients_csv()).headers["Location"].rsplit("/", 1)[1]
    )
    viewer = signed_in(console.test_client(), VIEWER)

    answers = [
        viewer.get(f"/admin/uploads/{upload_id}").status_code,
        post(viewer, f"/admin/uploads/{upload_id}/import").status_code,
        post(viewer, f"/admin/uploads/{upload_id}/cancel").status_code,
        post(viewer, "/admin/uploads/no-such-upload/import").status_code,
    ]

    assert answers == [403, 403, 403, 403]
    assert count(engine, t.client_accounts) == 0 and count(engine, t.pending_uploads) == 1


def test_someone_whose_role_was_taken_away_cannot_confirm_their_upload(console, engine):
    hana = signed_in(console.test_client(), HR)
    path = import_button(preview_of(hana, upload(hana, "departures", departures_csv())))
    console.config["HR_USERS"] = ()

    answer = post(hana, path)

    assert answer.status_code == 403 and count(engine, t.departures) == 0


# --- exports --------------------------------------------------------------------------------


def download(client, path: str) -> tuple[dict, bytes]:
    """A CSV download's headers and bytes (the response is closed: it streams from a temporary file)."""
    with client.get(path) as answer:
        assert answer.status_code == 200
        return dict(answer.headers), answer.data


def test_the_departures_export_imports_back_changing_nothing(admin, engine):
    post(admin, import_button(preview_of(admin, upload(admin, "departures", departures_csv()))))

    headers, exported = download(admin, "/admin/departures/export")
    again = text(preview_of(admin, upload(admin, "departures", exported, "export.csv")))
    post(admin, import_button(again_page := preview_of(admin, upload(admin, "departures", exported))))

    assert headers["Content-Type"].startswith("text/csv")
    assert re.match(r"attachment; filename=departures-\d{4}-\d{2}-\d{2}\.csv", headers["Content-Disposition"])
    assert exported.startswith(b"\xef\xbb\xbfEmailAddress,ResignationDate")  # a BOM, so spreadsheets read UTF-8
    assert 'data-label="Added">0</td><td data-label="Updated">2<' in again and import_button(again_page)
    assert download(admin, "/admin/departures/export")[1] == exported
    assert count(engine, t.departures) == 2


def test_the_clients_export_imports_back_changing_nothing(admin, engine):
    with engine.begin() as conn:
        account_id = store.ensure_account(conn, "Fabrikam", "carol@northwind.example", "manual", datetime.now(UTC))
        store.add_client_domain(conn, account_id, "fabrikam.example")
        store.add_client_contact(conn, account_id, normalise_address("ana.garcia@gmail.com"), "Ana García")

    exported = download(admin, "/admin/clients/export")[1]
    post(admin, import_button(preview_of(admin, upload(admin, "clients", exported))))

    assert "Ana García" in exported.decode("utf-8-sig")
    assert download(admin, "/admin/clients/export")[1] == exported
    assert count(engine, t.client_accounts) == count(engine, t.client_contacts) == count(engine, t.client_domains) == 1
