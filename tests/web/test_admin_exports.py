"""Every export of the admin console: who may download it, its audit row, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io

import pytest

from .console_helpers import ADMIN, ALICE, HR, VIEWER, audit_rows, sign_in
from .register_helpers import text

#: Each export: its URL, the name its audit row gives it, and where the planted formula shows.
EXPORTS = {
    "clients": ("/admin/clients/export", "clients.csv"),
    "departures": ("/admin/departures/export", "departures.csv"),
    "audit": ("/admin/audit/export.csv", "audit.csv"),
    "evidence": (f"/admin/audit/evidence?leaver={ALICE}&format=csv", "evidence.csv"),
    "evidence page": (f"/admin/audit/evidence?leaver={ALICE}", "evidence.html"),
}
CSV_EXPORTS = [name for name in EXPORTS if name != "evidence page"]


def download(client, path: str):
    """The response, read and closed (a register export streams from a temporary file)."""
    with client.get(path) as answer:
        answer.get_data()
        return answer


def csv_rows(answer) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).removeprefix("\ufeff"))))


# --- who may export ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("export", EXPORTS)
def test_a_viewer_cannot_export_and_nothing_is_recorded_as_exported(console, engine, exportable, export):
    viewer = sign_in(console.test_client(), VIEWER)

    answer = download(viewer, EXPORTS[export][0])

    assert answer.status_code == 403
    assert "it needs the role admin or hr" in text(answer)
    assert audit_rows(engine, "audit.exported") == []


@pytest.mark.parametrize("page", ["/admin/clients", "/admin/departures"])
def test_a_viewer_is_offered_no_export_button(console, exportable, page):
    listing = text(sign_in(console.test_client(), VIEWER).get(page))

    assert "Export CSV" not in listing and "/export" not in listing


@pytest.mark.parametrize("page", ["/admin/clients", "/admin/departures"])
@pytest.mark.parametrize("person", [ADMIN, HR])
def test_admin_and_hr_are_offered_the_export_button(console, exportable, page, person):
    assert "Export CSV" in text(sign_in(console.test_client(), person).get(page))


# --- every export is audited ----------------------------------------------------------------------------------


@pytest.mark.parametrize("export", CSV_EXPORTS)
@pytest.mark.parametrize("person", [ADMIN, HR])
def test_an_export_is_audited_with_who_what_and_how_many_rows(console, engine, exportable, export, person):
    path, name = EXPORTS[export]

    answer = download(sign_in(console.test_client(), person), path)

    assert answer.status_code == 200, text(answer)
    (event,) = audit_rows(engine, "audit.exported")
    assert event["actor"] == person
    assert event["details"]["export"] == name
    assert event["details"]["rows"] == len(csv_rows(answer)) > 0


def test_the_register_exports_count_every_domain_contact_and_person(admin, engine, exportable):
    download(admin, "/admin/clients/export")
    download(admin, "/admin/departures/export")

    counted = {e["details"]["export"]: e["details"]["rows"] for e in audit_rows(engine, "audit.exported")}

    # The demo's 3 domains and 2 contacts, and the planted account's domain and contact; 4 demo leavers and 1 more.
    assert counted == {"clients.csv": 7, "departures.csv": 5}


def test_the_audit_export_counts_the_events_it_holds_not_those_written_while_it_streams(admin, engine, exportable):
    answer = download(admin, "/admin/audit/export.csv?kind=check")

    (event,) = audit_rows(engine, "audit.exported")
    assert event["details"]["rows"] == len(csv_rows(answer)) == len(audit_rows(engine, "check"))
    assert event["details"]["filter"] == {"kind": "check"}


def test_the_evidence_page_is_audited_with_the_rows_it_shows(admin, engine, exportable):
    page = download(admin, EXPORTS["evidence page"][0])

    (event,) = audit_rows(engine, "audit.exported")
    html = page.get_data(as_text=True)
    shown = html.count('<tr><td data-label="When">') + html.count('class="evidence-request"')
    assert event["details"] == {"export": "evidence.html", "leaver": ALICE, "rows": shown}


# --- formulas ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("export", "column", "cell"),
    [
        ("clients", "Account", '\'=HYPERLINK("https://evil.example","Contoso")'),
        ("clients", "ContactName", "'-2+3"),
        ("departures", "EmailAddress", "'=cmd@northwind.example"),
        ("departures", "PersonalEmails", "'+1@mail.example"),
        ("audit", "actor", "'=cmd@northwind.example"),
        ("evidence", "subject", "'@SUM(A1:A9)"),
    ],
)
def test_a_formula_comes_out_escaped_in_every_export(admin, exportable, export, column, cell):
    rows = csv_rows(download(admin, EXPORTS[export][0]))

    assert cell in [row[column] for row in rows]
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())
