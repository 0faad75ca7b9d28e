"""CSV imports and exports through the CLI and the service, on SQLite and PostgreSQL.

Both formats end to end: a good file lands, a changed file updates in place, a
dry run or a file with any problem writes nothing (every bad line reported by
number, exit code 1), an export imports back as a no-op, and what was imported
is what POST /api/v1/check then enforces.
"""

from __future__ import annotations

import csv
import getpass
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server import bulk_clients, create_app, db, imports, store
from server.model import normalise_address
from server.tables import audit_events, metadata

ALICE = "alice@northwind.example"
DEPARTURES_HEADER = (
    "EmailAddress,ResignationDate,LastWorkingDate,GardenLeaveDate,SuccessorEmail,PersonalEmails,Aliases,Status"
)
CLIENTS_HEADER = "Account,Domain,ContactEmail,ContactName,OwnerEmail"
TODAY = datetime.now(UTC).date()  # the check API judges phases by the real clock
DAY = timedelta(days=1)
NOW = datetime.now(UTC)

CLIENTS_CSV = f"""{CLIENTS_HEADER}
Contoso Ltd,contoso.example,,,bob@northwind.example
Contoso Ltd,,kim@contoso.example,Kim Akers,bob@northwind.example
Fabrikam,fabrikam.example,ana.garcia@gmail.com,Ana García,
"""


def departures_csv(*rows: str) -> str:
    return "\n".join([DEPARTURES_HEADER, *rows]) + "\n"


def on_notice(
    email: str = ALICE,
    *,
    successor: str = "bob@northwind.example",
    personal: str = "alice.private@gmail.com",
    aliases: str = "a.smith@northwind.example",
    status: str = "",
) -> str:
    """A departures row that puts `email` on notice today (the last day written as a Purview date and time)."""
    return f"{email},{TODAY - 10 * DAY},{TODAY + 20 * DAY}T00:00:00Z,,{successor},{personal},{aliases},{status}"


@pytest.fixture
def csv_file(tmp_path):
    """Write text (or bytes) to a numbered CSV file and return its path."""
    counter = iter(range(1000))

    def write(content: str | bytes) -> Path:
        path = tmp_path / f"file{next(counter)}.csv"
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


def run(runner, *args):
    return runner.invoke(args=[str(a) for a in args])


def snapshot(engine) -> dict[str, list]:
    """Every row of every table, for asserting that nothing was written."""
    with engine.connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(select(table)))) for table in metadata.sorted_tables}


def departures(engine) -> dict:
    with engine.connect() as conn:
        return {d.email: d for d in store.list_departures(conn)}


def client_directory(engine) -> list[tuple]:
    """The directory as comparable rows, ignoring ids and timestamps."""
    with engine.connect() as conn:
        return sorted(bulk_clients.client_export_rows(conn))


def matches(engine, keys=(), domains=()):
    with engine.connect() as conn:
        return store.client_matches(conn, list(keys), list(domains))


# --- departures --------------------------------------------------------------------------------------


def test_a_departures_file_is_imported_from_the_command_line(runner, engine, csv_file):
    path = csv_file(departures_csv(on_notice(), "dmitri@northwind.example,2026-01-05,2026-03-01,2026-02-01,,,,"))

    result = run(runner, "departures", "import", path)

    assert result.exit_code == 0, result.output
    assert "departures: 2 rows imported; departures 2 added, 0 updated" in result.output
    alice = departures(engine)[ALICE]
    assert alice.notice_date == TODAY - 10 * DAY
    assert alice.last_working_date == TODAY + 20 * DAY
    assert alice.successor == "bob@northwind.example"
    assert alice.aliases == ("a.smith@northwind.example",)
    assert alice.personal_addresses == ("alice.private@gmail.com",)
    assert alice.source == "csv"


def test_a_changed_departures_file_updates_each_person_in_place(runner, engine, csv_file):
    run(runner, "departures", "import", csv_file(departures_csv(on_notice())))
    changed = on_notice(
        successor="carol@northwind.example", personal="", aliases="alice.s@northwind.example", status="withdrawn"
    )

    result = run(runner, "departures", "import", csv_file(departures_csv(changed)))

    assert "departures 0 added, 1 updated" in result.output
    (alice,) = departures(engine).values()
    assert (alice.successor, alice.status.value) == ("carol@northwind.example", "withdrawn")
    assert alice.aliases == ("alice.s@northwind.example",)
    assert alice.personal_addresses == ()


def test_a_purview_file_with_only_the_required_columns_keeps_what_else_is_on_record(runner, engine, csv_file):
    run(runner, "departures", "import", csv_file(departures_csv(on_notice(status="withdrawn"))))
    before = departures(engine)[ALICE]
    purview = f"EmailAddress,ResignationDate,LastWorkingDate\n{ALICE},{TODAY - 12 * DAY},{TODAY + 18 * DAY}\n"

    result = run(runner, "departures", "import", csv_file(purview))

    assert "departures 0 added, 1 updated" in result.output
    after = departures(engine)[ALICE]
    assert (after.notice_date, after.last_working_date) == (TODAY - 12 * DAY, TODAY + 18 * DAY)
    assert (after.successor, after.aliases, after.personal_addresses, after.status) == (
        before.successor,
        before.aliases,
        before.personal_addresses,
        before.status,
    )


def test_a_departures_dry_run_reports_and_writes_nothing(runner, engine, csv_file):
    before = snapshot(engine)

    result = run(runner, "departures", "import", csv_file(departures_csv(on_notice())), "--dry-run")

    assert result.exit_code == 0
    assert "departures (dry run, nothing written): 1 rows checked; departures 1 added, 0 updated" in result.output
    assert snapshot(engine) == before


def test_a_departures_file_with_bad_lines_reports_each_and_writes_nothing(runner, engine, csv_file):
    run(runner, "departures", "import", csv_file(departures_csv(on_notice())))
    before = snapshot(engine)
    path = csv_file(
        departures_csv(
            on_notice("erin@northwind.example", successor="", personal="", aliases=""),
            "frank@northwind.example,2026-11-01,2026-10-01,,,,,",
            on_notice("gina@northwind.example", successor="", personal="", aliases=""),
            "harry,2026-11-01,2026-11-30,,,,,",
            "ivan@northwind.example,2026-11-01,2026-11-30,2026-12-15,,,,",
            on_notice("erin@northwind.example", successor="", personal="", aliases=""),
        )
    )

    result = run(runner, "departures", "import", path)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[:4] == [
        f"{path}: line 3, LastWorkingDate '2026-10-01': is before ResignationDate (2026-11-01)",
        f"{path}: line 5, EmailAddress 'harry': is not an e-mail address: missing '@' or local part",
        f"{path}: line 6, GardenLeaveDate '2026-12-15': is after LastWorkingDate (2026-11-30)",
        f"{path}: line 7, EmailAddress 'erin@northwind.example': is already on line 2",
    ]
    assert "departures: 6 rows read, 4 problems; nothing written" in result.stderr
    assert snapshot(engine) == before


def test_an_import_stores_each_person_exactly_as_saving_them_one_by_one_does(engine):
    text = departures_csv(
        on_notice(aliases="a.smith@northwind.example;Alice+x@northwind.example", personal="p@gmail.com;P@Gmail.com"),
        "dmitri@northwind.example,2026-01-05,2026-03-01,2026-02-01,carol@northwind.example,,,withdrawn",
    )
    imports.import_departures(engine, io.BytesIO(text.encode()), now=NOW)
    imported = departures(engine)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        for departure in imported.values():
            store.save_departure(conn, departure, NOW)

    saved = departures(engine)

    assert {k: replace(d, id=None) for k, d in saved.items()} == {k: replace(d, id=None) for k, d in imported.items()}


def test_an_alias_someone_else_had_moves_to_the_person_imported(engine, departure_builder):
    with engine.begin() as conn:
        store.save_departure(
            conn, departure_builder("andrew@northwind.example", aliases=["a.smith@northwind.example"]), NOW
        )

    imports.import_departures(engine, io.BytesIO(departures_csv(on_notice()).encode()), now=NOW)

    with engine.connect() as conn:
        assert store.find_departure(conn, "a.smith@northwind.example").email == ALICE
        assert store.find_departure(conn, "andrew@northwind.example").aliases == ()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            on_notice("kim@contoso.example", aliases=""),
            "line 3, EmailAddress 'kim@contoso.example': is a contact of the client account 'Contoso Ltd',"
            " not an employee's address",
        ),
        (
            on_notice("zoe@contoso.example", aliases=""),
            "line 3, EmailAddress 'zoe@contoso.example': is not in the company's domains (northwind.example)",
        ),
        (
            on_notice("zoe@northwind.example", aliases="zoe@gmail.com;z.ray@northwind.example"),
            "line 3, Aliases 'zoe@gmail.com': is not in the company's domains (northwind.example)",
        ),
        (
            on_notice("zoe@northwind.example", aliases="Ext.Kim@northwind.example"),
            "line 3, Aliases 'ext.kim@northwind.example': is a contact of the client account 'Contoso Ltd'",
        ),
    ],
)
def test_a_client_contact_or_an_outsider_in_a_departures_file_is_refused_by_line_and_nothing_is_written(
    runner, engine, csv_file, row, problem
):
    with engine.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example"], NOW)
        account_id = store.ensure_account(conn, "Contoso Ltd", None, "manual", NOW)
        for contact in ("kim@contoso.example", "ext.kim@northwind.example"):
            store.add_client_contact(conn, account_id, normalise_address(contact), "Kim")
    before = snapshot(engine)

    result = run(runner, "departures", "import", csv_file(departures_csv(on_notice(), row)))

    assert result.exit_code == 1
    assert problem in result.stderr
    assert snapshot(engine) == before


def test_the_register_exports_in_the_import_format_and_imports_back_unchanged(runner, engine, csv_file, tmp_path):
    path = csv_file(
        departures_csv(on_notice(), "dmitri@northwind.example,2026-01-05,2026-03-01,2026-02-01,,,,withdrawn")
    )
    run(runner, "departures", "import", path)
    before = departures(engine)
    exported = tmp_path / "out.csv"

    export = run(runner, "departures", "export", "--out", exported)
    again = run(runner, "departures", "import", exported)

    assert export.output == f"wrote 2 rows to {exported}\n"
    assert exported.read_text().splitlines()[0] == DEPARTURES_HEADER
    assert "departures 0 added, 2 updated" in again.output
    assert departures(engine) == before


def test_the_register_exports_to_standard_output_by_default(runner, csv_file):
    run(runner, "departures", "import", csv_file(departures_csv(on_notice())))

    result = run(runner, "departures", "export")

    assert result.output.splitlines() == [
        DEPARTURES_HEADER,
        f"{ALICE},{TODAY - 10 * DAY},{TODAY + 20 * DAY},,bob@northwind.example,"
        "alice.private@gmail.com,a.smith@northwind.example,active",
    ]


# --- clients -----------------------------------------------------------------------------------------


def test_a_clients_file_is_imported_from_the_command_line(runner, engine, csv_file):
    result = run(runner, "clients", "import", csv_file(CLIENTS_CSV))

    assert result.exit_code == 0, result.output
    assert result.output == (
        "clients: 3 rows imported; accounts 2 added, 0 updated; domains 2 added, 0 updated;"
        " contacts 2 added, 0 updated\n"
    )
    contacts, domains = matches(engine, ["kim@contoso.example", "anagarcia@gmail.com"], ["fabrikam.example"])
    assert (contacts["kim@contoso.example"].account_name, contacts["kim@contoso.example"].owner) == (
        "Contoso Ltd",
        "bob@northwind.example",
    )
    assert contacts["anagarcia@gmail.com"].account_name == "Fabrikam"
    assert domains["fabrikam.example"].owner is None


def test_a_changed_clients_file_updates_in_place_without_duplicates(runner, engine, csv_file):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))
    changed = f"""{CLIENTS_HEADER}
Contoso Ltd,,kim@contoso.example,Kim Akers-Lee,carol@northwind.example
Tailspin,contoso.example,,,
"""

    result = run(runner, "clients", "import", csv_file(changed))

    assert "accounts 1 added, 1 updated; domains 0 added, 1 updated; contacts 0 added, 1 updated" in result.output
    assert client_directory(engine) == [
        ("Contoso Ltd", "", "kim@contoso.example", "Kim Akers-Lee", "carol@northwind.example"),
        ("Fabrikam", "", "ana.garcia@gmail.com", "Ana García", ""),
        ("Fabrikam", "fabrikam.example", "", "", ""),
        ("Tailspin", "contoso.example", "", "", ""),
    ]


def test_an_empty_owner_keeps_the_owner_on_record(runner, engine, csv_file):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))

    run(runner, "clients", "import", csv_file(f"{CLIENTS_HEADER}\nContoso Ltd,,new@contoso.example,,\n"))

    contacts, _ = matches(engine, ["new@contoso.example"])
    assert contacts["new@contoso.example"].owner == "bob@northwind.example"


def test_a_clients_file_without_a_contact_name_column_keeps_the_names_on_record(runner, engine, csv_file):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))

    run(runner, "clients", "import", csv_file("Account,ContactEmail\nContoso Ltd,kim@contoso.example\n"))
    run(runner, "clients", "import", csv_file("Account,ContactEmail,ContactName\nFabrikam,ana.garcia@gmail.com,\n"))

    assert [row[3] for row in client_directory(engine) if row[2]] == ["Kim Akers", ""]


def test_the_same_contact_twice_for_one_account_is_fine_and_the_later_row_wins(runner, engine, csv_file):
    text = f"{CLIENTS_HEADER}\nContoso Ltd,,kim@contoso.example,Kim,\nContoso Ltd,,Kim+crm@contoso.example,Kim A.,\n"

    result = run(runner, "clients", "import", csv_file(text))

    assert "contacts 1 added, 0 updated" in result.output
    assert client_directory(engine) == [("Contoso Ltd", "", "kim+crm@contoso.example", "Kim A.", "")]


def test_a_clients_dry_run_reports_and_writes_nothing(runner, engine, csv_file):
    before = snapshot(engine)

    result = run(runner, "clients", "import", csv_file(CLIENTS_CSV), "--dry-run")

    assert result.exit_code == 0
    assert result.output.startswith("clients (dry run, nothing written): 3 rows checked; accounts 2 added")
    assert snapshot(engine) == before


def test_a_clients_file_with_bad_lines_reports_each_by_number_and_writes_nothing(runner, engine, csv_file):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))
    before = snapshot(engine)
    path = csv_file(
        f"""{CLIENTS_HEADER}
Northwind Partners,partners.example,,,
Tailspin,contoso.example,,,
Tailspin,,not-an-email,,
Tailspin,tailspin,,,
,,,,
Tailspin,,,,
Wingtip,,kim@wingtip.example,,carol@northwind.example
Wingtip,,lee@wingtip.example,,dave@northwind.example
Fabrikam,,Kim+x@wingtip.example,,
one,two
"""
    )

    result = run(runner, "clients", "import", path)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: line 4, ContactEmail 'not-an-email': is not an e-mail address: missing '@' or local part",
        f"{path}: line 5, Domain 'tailspin': is not a domain name: a domain needs at least one dot",
        f"{path}: line 7: needs a Domain or a ContactEmail (or both)",
        f"{path}: line 9, OwnerEmail 'dave@northwind.example': differs from the account's owner on line 8"
        " (carol@northwind.example)",
        f"{path}: line 10, ContactEmail 'kim+x@wingtip.example': already belongs to account 'Wingtip' on line 8",
        f"{path}: line 11: has 2 cells but the header has 5 columns",
        "clients: 9 rows read, 6 problems; nothing written",  # the blank line is not a row
    ]
    assert snapshot(engine) == before


def test_a_domain_given_to_two_accounts_in_one_file_is_a_problem_of_the_later_line(runner, engine, csv_file):
    text = (
        f"{CLIENTS_HEADER}\nContoso Ltd,contoso.example,,,\nTailspin,tailspin.example,,,\nTailspin,Contoso.Example,,,\n"
    )

    result = run(runner, "clients", "import", csv_file(text))

    assert result.exit_code == 1
    assert "line 4, Domain 'contoso.example': already belongs to account 'Contoso Ltd' on line 2" in result.stderr
    assert client_directory(engine) == []


def company(engine, *domains: str) -> None:
    with engine.begin() as conn:
        store.set_internal_domains(conn, domains or ["northwind.example", "eu.northwind-group.example"], NOW)


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("Gmail.com", "line 3, Domain 'Gmail.com': is a consumer webmail domain (the policy's webmail list)"),
        ("northwind.example", "line 3, Domain 'northwind.example': is one of the company's own domains"),
        ("northwind-group.example", "is a parent of the company's domain eu.northwind-group.example"),
    ],
)
def test_a_company_or_webmail_domain_in_a_clients_file_is_refused_by_line_and_nothing_is_written(
    runner, engine, csv_file, domain, problem
):
    company(engine)
    before = snapshot(engine)
    text = f"{CLIENTS_HEADER}\nContoso Ltd,contoso.example,,,\nFabrikam,{domain},,,\n"

    result = run(runner, "clients", "import", csv_file(text))

    assert result.exit_code == 1
    assert problem in result.stderr
    assert snapshot(engine) == before


def test_a_clients_webmail_address_is_still_a_contact(runner, engine, csv_file):
    company(engine)

    result = run(runner, "clients", "import", csv_file(f"{CLIENTS_HEADER}\nFabrikam,,ana.garcia@gmail.com,Ana,\n"))

    assert result.exit_code == 0, result.output
    assert client_directory(engine) == [("Fabrikam", "", "ana.garcia@gmail.com", "Ana", "")]


def test_the_directory_exports_in_the_import_format_and_imports_back_unchanged(runner, engine, csv_file, tmp_path):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))
    before, rows_before = snapshot(engine), client_directory(engine)
    exported = tmp_path / "clients.csv"

    run(runner, "clients", "export", "--out", exported)
    again = run(runner, "clients", "import", exported)

    assert exported.read_text(encoding="utf-8").splitlines() == [
        CLIENTS_HEADER,
        "Contoso Ltd,contoso.example,,,bob@northwind.example",
        "Contoso Ltd,,kim@contoso.example,Kim Akers,bob@northwind.example",
        "Fabrikam,fabrikam.example,,,",
        "Fabrikam,,ana.garcia@gmail.com,Ana García,",
    ]
    assert "accounts 0 added, 2 updated; domains 0 added, 2 updated; contacts 0 added, 2 updated" in again.output
    assert client_directory(engine) == rows_before
    # Nothing changed, so no row was rewritten (only the import's audit event and job record are new).
    after, records = snapshot(engine), ("audit_events", "import_jobs")
    assert {k: v for k, v in after.items() if k not in records} == {k: v for k, v in before.items() if k not in records}


def test_the_directory_exports_to_standard_output_by_default(runner, csv_file):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))

    result = run(runner, "clients", "export")

    assert result.output.splitlines()[:2] == [CLIENTS_HEADER, "Contoso Ltd,contoso.example,,,bob@northwind.example"]


# --- exports: audited, and no formula a spreadsheet would run ------------------------------------------

FORMULA_CLIENTS_CSV = f"""{CLIENTS_HEADER}
"'=HYPERLINK(""https://evil.example"",""Contoso"")",evil.example,,,
"'=HYPERLINK(""https://evil.example"",""Contoso"")",,'-kim@evil.example,'@Kim,
'Tis Ltd,tis.example,,,
"''+quoted",,q@quoted.example,O'Brien,
"""


def exports(engine) -> list[dict]:
    with engine.connect() as conn:
        events = conn.execute(select(audit_events).where(audit_events.c.kind == "audit.exported")).mappings()
        return [{"actor": e["actor"], **e["details"]} for e in events]


@pytest.mark.parametrize(("kind", "content", "rows"), [("clients", CLIENTS_CSV, 4), ("departures", None, 1)])
def test_a_cli_export_is_audited_with_the_os_user_and_how_many_rows(runner, engine, csv_file, kind, content, rows):
    run(runner, kind, "import", csv_file(content or departures_csv(on_notice())))

    result = run(runner, kind, "export")

    assert result.exit_code == 0, result.output
    assert exports(engine) == [{"actor": f"cli:{getpass.getuser()}", "export": f"{kind}.csv", "rows": rows}]


def test_a_cli_export_names_the_actor_given(runner, engine, csv_file, tmp_path):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))

    run(runner, "clients", "export", "--out", tmp_path / "out.csv", "--actor", "Ada@Northwind.example")

    assert exports(engine) == [{"actor": "ada@northwind.example", "export": "clients.csv", "rows": 4}]


@pytest.mark.parametrize("kind", ["clients", "departures"])
def test_an_actor_that_is_not_an_address_is_a_usage_error_and_nothing_is_exported(runner, engine, tmp_path, kind):
    out = tmp_path / "out.csv"

    result = run(runner, kind, "export", "--out", out, "--actor", "not me")

    assert result.exit_code == 2 and "'not me' is not an e-mail address" in result.output
    assert not out.exists() and exports(engine) == []


def test_an_import_from_the_command_line_is_audited_with_the_os_user(runner, engine, csv_file):
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))

    with engine.connect() as conn:
        (event,) = conn.execute(select(audit_events)).mappings()
    assert (event["kind"], event["actor"]) == ("import.clients", f"cli:{getpass.getuser()}")


def test_names_a_spreadsheet_would_run_export_escaped_and_import_back_the_same(runner, engine, csv_file, tmp_path):
    run(runner, "clients", "import", csv_file(FORMULA_CLIENTS_CSV))
    stored = client_directory(engine)
    exported = tmp_path / "clients.csv"

    run(runner, "clients", "export", "--out", exported)
    run(runner, "clients", "import", exported)

    assert ('=HYPERLINK("https://evil.example","Contoso")', "", "-kim@evil.example", "@Kim", "") in stored
    assert ("'Tis Ltd", "tis.example", "", "", "") in stored and (
        "'+quoted",
        "",
        "q@quoted.example",
        "O'Brien",
        "",
    ) in stored
    assert sorted(csv.reader(io.StringIO(exported.read_text(encoding="utf-8")))) == sorted(
        csv.reader(io.StringIO(FORMULA_CLIENTS_CSV))
    )
    assert client_directory(engine) == stored


def test_a_departure_address_a_spreadsheet_would_run_exports_escaped_and_imports_back(
    runner, engine, csv_file, tmp_path
):
    run(
        runner,
        "departures",
        "import",
        csv_file(departures_csv(on_notice("-alice@northwind.example", personal="'=x@gmail.com"))),
    )
    before = departures(engine)
    exported = tmp_path / "departures.csv"

    run(runner, "departures", "export", "--out", exported)
    again = run(runner, "departures", "import", exported)

    assert exported.read_text(encoding="utf-8").splitlines()[1].startswith("'-alice@northwind.example,")
    assert "'=x@gmail.com" in exported.read_text(encoding="utf-8")
    assert again.exit_code == 0, again.output
    assert departures(engine) == before and "-alice@northwind.example" in before


# --- malformed files -----------------------------------------------------------------------------------

MALFORMED = [
    pytest.param("clients", b"", "line 1: the file is empty", id="an empty file"),
    pytest.param("clients", CLIENTS_HEADER.encode() + b"\n", "no data rows", id="a header only"),
    pytest.param("clients", b"Name,Email\nContoso,kim@contoso.example\n", "line 1 'Name': unknown column",
                 id="a wrong header"),
    pytest.param("clients", b"Domain\ncontoso.example\n", "line 1, Account: required column is missing",
                 id="a required column missing"),
    pytest.param("clients", b"Account,Domain,Region\nContoso,contoso.example,EU\n", "line 1 'Region': unknown column",
                 id="an unknown column"),
    pytest.param("clients", b"Account,Domain\nContoso,contoso.example,extra\n", "line 2: has 3 cells",
                 id="a ragged row"),
    pytest.param("clients", b"Account,Domain\nCaf\xe9 Ltd,cafe.example\n",
                 "line 2, Account 'Caf\ufffd Ltd': is not UTF-8", id="latin-1 bytes"),
    pytest.param("clients", b'Account,Domain\n"Contoso,contoso.example\n', "line 2: not valid CSV",
                 id="an unclosed quote"),
    pytest.param("clients", b"Account,Domain\nContoso,contoso.example\nTailspin,Contoso.example\n",
                 "line 3, Domain 'contoso.example': already belongs to account 'Contoso' on line 2",
                 id="a domain given to two accounts"),
    pytest.param("departures", DEPARTURES_HEADER.encode() + b"\nalice@northwind.example,1/11/2026,2026-11-30,,,,,\n",
                 "line 2, ResignationDate '1/11/2026': is not an ISO-8601 date", id="a bad date"),
    pytest.param("departures",
                 DEPARTURES_HEADER.encode() + b"\nalice@northwind.example,2026-11-01,2026-11-30,,bob@,,,\n",
                 "line 2, SuccessorEmail 'bob@': is not an e-mail address", id="a bad address"),
    pytest.param("departures",
                 DEPARTURES_HEADER.encode() + b"\nalice@northwind.example,2026-11-01,2026-11-30,2026-10-01,,,,\n",
                 "line 2, GardenLeaveDate '2026-10-01': is before ResignationDate (2026-11-01)",
                 id="garden leave outside the notice"),
    pytest.param("departures", b"EmailAddress,LastWorkingDate\nalice@northwind.example,2026-11-30\n",
                 "line 1, ResignationDate: required column is missing", id="a departures column missing"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "content", "expected"), MALFORMED)
def test_a_malformed_file_is_refused_with_its_line_and_nothing_is_written(
    runner, engine, csv_file, kind, content, expected
):
    before = snapshot(engine)

    result = run(runner, kind, "import", csv_file(content))

    assert result.exit_code == 1
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(engine) == before


@pytest.mark.parametrize("kind", ["clients", "departures"])
def test_a_missing_file_is_a_usage_error_without_a_traceback(runner, tmp_path, kind):
    result = run(runner, kind, "import", tmp_path / "nope.csv")

    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


COMMANDS = [
    pytest.param("departures", "import", id="departures import"),
    pytest.param("departures", "export", id="departures export"),
    pytest.param("clients", "import", id="clients import"),
    pytest.param("clients", "export", id="clients export"),
]


@pytest.mark.parametrize(("kind", "command"), COMMANDS)
def test_a_database_that_is_not_migrated_is_a_message_without_a_traceback(tmp_path, csv_file, kind, command):
    fresh = create_app({"ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"})
    out = tmp_path / "export.csv"
    argument = csv_file(CLIENTS_CSV if kind == "clients" else departures_csv(on_notice()))
    args = [kind, command, argument] if command == "import" else [kind, command, "--out", out]

    result = run(fresh.test_cli_runner(), *args)
    db.dispose(fresh)

    assert result.exit_code == 1
    assert "the database is not migrated: run `flask --app server db upgrade` first" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


# --- the service -----------------------------------------------------------------------------------------


def test_an_import_that_writes_leaves_one_audit_event(engine):
    report = imports.import_clients(engine, io.BytesIO(CLIENTS_CSV.encode()), now=NOW, actor="admin@northwind.example")

    with engine.connect() as conn:
        (event,) = conn.execute(select(audit_events)).mappings()
    assert report.written
    assert (event["kind"], event["actor"]) == ("import.clients", "admin@northwind.example")
    assert event["details"]["tallies"]["contacts"] == {"added": 2, "updated": 0}


def test_a_report_lists_at_most_the_cap_of_problems_and_counts_the_rest(engine):
    rows = "".join(f"Contoso Ltd,bad{n},,,\n" for n in range(1500))

    report = imports.import_clients(engine, io.BytesIO(f"{CLIENTS_HEADER}\n{rows}".encode()), now=NOW)

    assert (len(report.errors), report.more_errors) == (1000, 500)
    assert report.errors[0].line == 2
    assert report.summary() == "clients: 1500 rows read, 1500 problems; nothing written"


def test_a_departures_stream_is_read_twice_and_left_open(engine):
    stream = io.BytesIO(departures_csv(on_notice()).encode())

    report = imports.import_departures(engine, stream, now=NOW)

    assert report.written
    assert not stream.closed
    assert ALICE in departures(engine)


# --- what the check API then enforces ----------------------------------------------------------------------


def test_a_leaver_imported_from_csv_needs_sign_off_to_write_to_a_client_imported_from_csv(
    runner, engine, client, csv_file
):
    with engine.begin() as conn:
        store.set_internal_domains(conn, ["northwind.example"], datetime.now(UTC))
    run(runner, "departures", "import", csv_file(departures_csv(on_notice())))
    run(runner, "clients", "import", csv_file(CLIENTS_CSV))

    def verdict(sender: str, to: str) -> str:
        payload = {"mode": "preview", "to": [to], "subject": "Handover", "body": "Hello"}
        response = client.post("/api/v1/check", headers={"Authorization": f"Dev {sender}"}, json=payload)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["verdict"]

    assert verdict(ALICE, "kim@contoso.example") == "require_approval"
    assert verdict("a.smith@northwind.example", "someone@fabrikam.example") == "require_approval"
    assert verdict(ALICE, "Ana.Garcia@gmail.com") == "require_approval"
    assert verdict("carol@northwind.example", "kim@contoso.example") == "allow"
