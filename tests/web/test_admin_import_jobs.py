"""Console uploads too big for one request import as a background job; its page follows it to a clear end.

UPLOAD_BACKGROUND_BYTES is set low here, so a small file takes the background path; the job's thread
really runs, and the test follows the page as a browser would (it reloads itself while the job runs).
"""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from server import bulk_jobs, import_jobs
from server import tables as t

from .register_helpers import ADMIN, HR, VIEWER, last_audit, post, signed_in, text

CLIENTS = (
    b"Account,Domain,ContactEmail,ContactName,OwnerEmail\n"
    b"Contoso Ltd,contoso.example,,,bob@northwind.example\n"
    b"Contoso Ltd,,kim@contoso.example,Kim Akers,\n"
    b"Fabrikam,fabrikam.example,,,\n"
)
REFRESH = '<meta http-equiv="refresh" content="2">'


@pytest.fixture
def background(console):
    """Every upload larger than 10 bytes imports in the background."""
    console.config["UPLOAD_BACKGROUND_BYTES"] = 10
    return console


def uploaded(client, content: bytes = CLIENTS, kind: str = "clients") -> str:
    """Upload a file; the address of its Import button (from the preview)."""
    answer = post(
        client, f"/admin/{kind}/import", {"file": (io.BytesIO(content), "big.csv")}, content_type="multipart/form-data"
    )
    answer.request.input_stream.close()
    assert answer.status_code == 302, text(answer)
    preview = client.get(answer.headers["Location"])
    return re.search(r'action="(/admin/uploads/[^"]+/import)"', text(preview)).group(1)


def followed(client, job_page: str, seconds: float = 30):
    """Reload the job page, as its meta refresh does, until it stops refreshing; the last page."""
    deadline = time.monotonic() + seconds
    while True:
        page = client.get(job_page)
        if REFRESH not in text(page) or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_an_upload_over_the_threshold_is_imported_by_a_background_job_whose_page_follows_it_to_done(background, engine):
    admin = signed_in(background.test_client(), ADMIN)

    started = post(admin, uploaded(admin))

    assert started.status_code == 302
    job_page = started.headers["Location"]
    assert re.fullmatch(r"/admin/imports/\d+", job_page)
    page = followed(admin, job_page)
    assert page.status_code == 200
    assert "Imported: every row of the file was written." in text(page)
    assert "accounts 2 added" in text(page)
    assert REFRESH not in text(page)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.client_domains)) == 2
    assert last_audit(engine, "import.clients")["actor"] == ADMIN


def test_a_running_job_page_refreshes_itself_and_shows_how_far_the_writing_got(background, engine):
    job = import_jobs.create(engine, kind="clients", actor=ADMIN, filename="big.csv", now=datetime.now(UTC))
    job.phase("writing", rows_total=1_000_000, rows_written=250_000)

    page = signed_in(background.test_client(), ADMIN).get(f"/admin/imports/{job.id}")

    assert REFRESH in text(page)
    assert "Writing: 250,000 of 1,000,000 rows" in text(page)
    assert '<progress max="100" value="25">' in text(page)


def test_a_job_whose_worker_stopped_beating_is_shown_failed_not_running(background, engine):
    job = import_jobs.create(engine, kind="clients", actor=ADMIN, filename="big.csv", now=datetime.now(UTC))
    with engine.begin() as conn:
        stopped = datetime.now(UTC) - import_jobs.STALE_AFTER - timedelta(seconds=5)
        conn.execute(update(t.import_jobs).where(t.import_jobs.c.id == job.id).values(heartbeat_at=stopped))

    page = signed_in(background.test_client(), ADMIN).get(f"/admin/imports/{job.id}")

    assert "Not imported: the import stopped before it finished." in text(page)
    assert import_jobs.DIED in text(page)
    assert "running" not in re.sub(r"<[^>]+>", " ", text(page)).split("State", 1)[1].split("Not imported")[0]


def test_a_background_import_of_a_file_with_problems_ends_failed_with_every_bad_line(background, engine):
    admin = signed_in(background.test_client(), ADMIN)
    bad = CLIENTS + b"Fabrikam,not a domain,,,\n"
    answer = post(
        admin, "/admin/clients/import", {"file": (io.BytesIO(bad), "bad.csv")}, content_type="multipart/form-data"
    )
    answer.request.input_stream.close()
    confirm = answer.headers["Location"] + "/import"  # the preview offers no button; a stale tab may still post

    page = followed(admin, post(admin, confirm).headers["Location"])

    assert "Not imported: nothing of this file was kept." in text(page)
    assert "is not a domain name" in text(page)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.client_accounts)) == 0
        (job,) = conn.execute(select(t.import_jobs)).all()
    assert (job.status, job.slot) == ("failed", None)


def test_a_second_import_while_one_runs_is_a_409_page_and_the_upload_still_waits(background, engine):
    running = import_jobs.create(engine, kind="clients", actor=HR, filename="other.csv", now=datetime.now(UTC))
    admin = signed_in(background.test_client(), ADMIN)
    confirm = uploaded(admin)

    refused = post(admin, confirm)

    assert refused.status_code == 409
    assert f"another clients import is running (job {running.id}, {HR}" in text(refused)
    assert admin.get(confirm.removesuffix("/import")).status_code == 200  # the preview is still there


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (VIEWER, "/admin/imports/1", 403),
        (ADMIN, "/admin/imports/999", 404),
        (ADMIN, "/admin/imports/99999999999999999999", 404),
    ],
    ids=["a-viewer", "an-unknown-job", "an-id-beyond-any-integer"],
)
def test_who_may_not_see_an_import_job_or_which_does_not_exist(background, engine, who, path, status):
    import_jobs.create(engine, kind="clients", actor=ADMIN, filename="big.csv", now=datetime.now(UTC))

    assert signed_in(background.test_client(), who).get(path).status_code == status


def test_a_small_upload_still_imports_within_the_request_as_a_job_of_its_own(console, engine):
    admin = signed_in(console.test_client(), ADMIN)

    answer = post(admin, uploaded(admin))

    assert answer.headers["Location"].endswith("/admin/clients")
    with engine.connect() as conn:
        job = bulk_jobs.find(conn, conn.scalar(select(func.max(t.import_jobs.c.id))))
    assert (job.status, job.filename, job.actor) == ("done", "big.csv", ADMIN)
