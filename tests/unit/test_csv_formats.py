"""The CSV formats on their own: headers, rows into model values, and problems named by line, column and value."""

from __future__ import annotations

import io
from datetime import date

import pytest

from server.csv_formats import (
    CLIENTS,
    DEPARTURES,
    DepartureClaims,
    ErrorLog,
    LineError,
    Record,
    departure_cells,
    keep_unstated,
    parse_client,
    parse_date,
    parse_departure,
    read_records,
)
from server.csv_formats.formulas import safe_cell, unescaped
from server.model import DepartureStatus

DEPARTURES_HEADER = (
    "EmailAddress,ResignationDate,LastWorkingDate,GardenLeaveDate,SuccessorEmail,PersonalEmails,Aliases,Status"
)
CLIENTS_HEADER = "Account,Domain,ContactEmail,ContactName,OwnerEmail"


def records(text: str | bytes, fmt=DEPARTURES) -> list:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(read_records(io.BytesIO(data), fmt))


def departure_row(**cells: str) -> Record:
    """A departures record on line 2 with sensible cells, overridden by `cells`."""
    values = {
        "EmailAddress": "alice@northwind.example",
        "ResignationDate": "2026-11-01",
        "LastWorkingDate": "2026-11-30",
        "GardenLeaveDate": "",
        "SuccessorEmail": "bob@northwind.example",
        "PersonalEmails": "",
        "Aliases": "",
        "Status": "",
    }
    return Record(2, values | cells)


def client_row(**cells: str) -> Record:
    values = {"Account": "Contoso Ltd", "Domain": "", "ContactEmail": "kim@contoso.example", "ContactName": ""}
    return Record(2, values | {"OwnerEmail": "bob@northwind.example"} | cells)


def problems(parsed) -> list[tuple[str, str]]:
    return [(e.column, e.problem) for e in parsed.errors]


# --- reading files -----------------------------------------------------------------------------------


def test_a_header_matches_ignoring_case_spaces_and_a_byte_order_mark():
    text = "\ufeff emailaddress ,RESIGNATIONDATE,LastWorkingDate\nalice@northwind.example,2026-11-01,2026-11-30\n"

    (record,) = records(text)

    assert record == Record(
        2,
        {"EmailAddress": "alice@northwind.example", "ResignationDate": "2026-11-01", "LastWorkingDate": "2026-11-30"},
    )


def test_cells_are_stripped_of_surrounding_spaces():
    (record,) = records(f"{CLIENTS_HEADER}\n  Contoso Ltd , contoso.example ,,,\n", CLIENTS)

    assert record.cells["Account"] == "Contoso Ltd"
    assert record.cells["Domain"] == "contoso.example"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "EmailAddress,ResignationDate,LastWorkingDate,Team\n",
            [
                LineError(
                    1, "", "Team", "unknown column; departures columns are " + DEPARTURES_HEADER.replace(",", ", ")
                )
            ],
            id="an unknown column",
        ),
        pytest.param(
            "EmailAddress,LastWorkingDate\n",
            [LineError(1, "ResignationDate", "", "required column is missing from the header")],
            id="a required column missing",
        ),
        pytest.param(
            "EmailAddress,ResignationDate,LastWorkingDate,emailaddress\n",
            [LineError(1, "EmailAddress", "", "column appears twice in the header")],
            id="a column twice",
        ),
    ],
)
def test_a_wrong_header_is_reported_on_line_1_and_nothing_below_it_is_read(text, expected):
    assert records(text + "alice@northwind.example,2026-11-01,2026-11-30\n") == expected


def test_a_header_separated_by_semicolons_gets_a_hint_to_save_with_commas():
    (error,) = records("EmailAddress;ResignationDate;LastWorkingDate\nalice@northwind.example;2026-11-01;2026-11-30\n")

    assert error.problem == "columns are separated by ';'; save the file as CSV (commas)"


def test_a_clients_header_needs_a_domain_or_a_contact_column():
    (error,) = records("Account,OwnerEmail\nContoso Ltd,bob@northwind.example\n", CLIENTS)

    assert error == LineError(1, "", "", "the header needs at least one of Domain, ContactEmail")


@pytest.mark.parametrize("text", ["", "\n", " , ,\n"], ids=["no bytes", "a blank line", "empty cells"])
def test_an_empty_file_says_the_header_is_missing(text):
    (error,) = records(text)

    assert error.line == 1
    assert "the file is empty" in error.problem
    assert DEPARTURES_HEADER in error.problem


def test_a_header_without_rows_is_a_problem():
    (error,) = records(DEPARTURES_HEADER + "\n")

    assert error.problem == "the file has a header but no data rows (departures expected)"


def test_line_numbers_count_rows_as_a_spreadsheet_does_blank_ones_and_quoted_line_breaks_included():
    text = (
        f"{CLIENTS_HEADER}\r\n"
        "Contoso Ltd,contoso.example,,,\r\n"
        ",,,,\r\n"
        '"Fabrikam","fabrikam.example","","Two\nlines",""\r\n'
        "Tailspin,tailspin.example,,,\r\n"
    )

    assert [r.line for r in records(text, CLIENTS)] == [2, 4, 5]


def test_a_ragged_row_is_a_problem_of_its_line_only():
    text = f"{CLIENTS_HEADER}\nContoso Ltd,contoso.example\nFabrikam,fabrikam.example,,,\n"

    ragged, good = records(text, CLIENTS)

    assert ragged == LineError(2, "", "", "has 2 cells but the header has 5 columns")
    assert good.line == 3


def test_bytes_that_are_not_utf8_are_a_problem_of_their_line_and_column():
    data = f"{CLIENTS_HEADER}\nFabrikam,,ana@fabrikam.example,Ana Garc".encode() + b"\xeda,\n"

    (error,) = records(data, CLIENTS)

    assert (error.line, error.column) == (2, "ContactName")
    assert error.problem == "is not UTF-8 text; save the file as 'CSV UTF-8'"
    assert str(error) == "line 2, ContactName 'Ana Garc\ufffda': is not UTF-8 text; save the file as 'CSV UTF-8'"


def test_a_nul_character_is_a_problem_of_its_line_and_column():
    """PostgreSQL's text cannot hold NUL: a clients file with one in an account name was a 500 there."""
    (error,) = records(f"{CLIENTS_HEADER}\nFab\x00rikam,fabrikam.example,,,\n", CLIENTS)

    assert (error.line, error.column) == (2, "Account")
    assert error.problem == "holds a NUL character, which is not text"


def test_utf8_text_that_is_not_ascii_is_read_as_written():
    (record,) = records(f"{CLIENTS_HEADER}\nFabrikam,,ana@fabrikam.example,Ana García,\n", CLIENTS)

    assert record.cells["ContactName"] == "Ana García"


def test_a_broken_quote_stops_the_file_at_its_line():
    text = f'{CLIENTS_HEADER}\nContoso Ltd,contoso.example,,,\nFabrikam,"fabrikam.example"x,,,\n'

    good, error = records(text, CLIENTS)

    assert good.line == 2
    assert error.line == 3
    assert error.problem.startswith("not valid CSV")


def test_a_stream_given_by_the_caller_stays_open_to_be_read_again():
    stream = io.BytesIO(f"{CLIENTS_HEADER}\nContoso Ltd,contoso.example,,,\n".encode())

    list(read_records(stream, CLIENTS))

    assert not stream.closed
    stream.seek(0)
    assert len(list(read_records(stream, CLIENTS))) == 1


# --- cells -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-30", date(2026, 11, 30)),
        ("2026-11-30T00:00:00Z", date(2026, 11, 30)),
        ("2026-11-30T23:30:00-05:00", date(2026, 11, 30)),
        ("2026-11-30T15:18:02.4675041+05:30", date(2026, 11, 30)),
    ],
)
def test_dates_are_iso_8601_dates_or_the_date_of_a_date_and_time(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["30/11/2026", "2026-13-01", "2026-11-31", "tomorrow"])
def test_other_dates_are_refused(value):
    with pytest.raises(ValueError):
        parse_date(value)


# --- departures --------------------------------------------------------------------------------------


def test_a_departure_row_becomes_a_departure_from_csv_with_normalised_addresses():
    record = departure_row(
        EmailAddress="Alice@Northwind.Example",
        LastWorkingDate="2026-11-30T00:00:00Z",
        GardenLeaveDate="2026-11-20",
        SuccessorEmail="Bob@Northwind.example",
        PersonalEmails="alice.private@gmail.com; Alice@Proton.me;",
        Aliases="a.smith@northwind.example",
        Status="Withdrawn",
    )

    departure = parse_departure(record).value

    assert departure.email == "alice@northwind.example"
    assert (departure.notice_date, departure.garden_leave_date) == (date(2026, 11, 1), date(2026, 11, 20))
    assert departure.last_working_date == date(2026, 11, 30)
    assert departure.successor == "bob@northwind.example"
    assert departure.personal_addresses == ("alice.private@gmail.com", "alice@proton.me")
    assert departure.aliases == ("a.smith@northwind.example",)
    assert departure.status == DepartureStatus.WITHDRAWN
    assert departure.source == "csv"


def test_a_departure_without_optional_cells_is_active_with_nothing_else():
    departure = parse_departure(departure_row(SuccessorEmail="")).value

    assert departure.status == DepartureStatus.ACTIVE
    assert (departure.successor, departure.aliases, departure.personal_addresses) == (None, (), ())


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param({"EmailAddress": ""}, [("EmailAddress", "is required")], id="no address"),
        pytest.param(
            {"EmailAddress": "alice"},
            [("EmailAddress", "is not an e-mail address: missing '@' or local part")],
            id="a bad address",
        ),
        pytest.param(
            {"ResignationDate": "01/11/2026"},
            [("ResignationDate", "is not an ISO-8601 date (YYYY-MM-DD)")],
            id="a date that is not ISO",
        ),
        pytest.param(
            {"LastWorkingDate": "2026-10-31"},
            [("LastWorkingDate", "is before ResignationDate (2026-11-01)")],
            id="last day before resignation",
        ),
        pytest.param(
            {"GardenLeaveDate": "2026-10-15"},
            [("GardenLeaveDate", "is before ResignationDate (2026-11-01)")],
            id="garden leave before resignation",
        ),
        pytest.param(
            {"GardenLeaveDate": "2026-12-01"},
            [("GardenLeaveDate", "is after LastWorkingDate (2026-11-30)")],
            id="garden leave after the last day",
        ),
        pytest.param(
            {"Aliases": "a.smith@northwind.example;oops"},
            [("Aliases", "is not an e-mail address: missing '@' or local part")],
            id="one bad alias in a list",
        ),
        pytest.param({"SuccessorEmail": "ALICE@northwind.example"}, [("SuccessorEmail", "is the leaver themselves")]),
        pytest.param({"Status": "gone"}, [("Status", "must be one of active, withdrawn")], id="an unknown status"),
    ],
)
def test_a_bad_departure_row_names_the_column_and_the_problem(cells, expected):
    parsed = parse_departure(departure_row(**cells))

    assert parsed.value is None
    assert problems(parsed) == expected


def test_every_problem_of_a_departure_row_is_reported_not_just_the_first():
    parsed = parse_departure(departure_row(EmailAddress="x", ResignationDate="soon", PersonalEmails="a@b;c"))

    assert [e.column for e in parsed.errors] == ["EmailAddress", "ResignationDate", "PersonalEmails", "PersonalEmails"]
    assert {e.line for e in parsed.errors} == {2}


def test_a_problem_reads_as_line_column_value_and_what_is_wrong():
    (error,) = parse_departure(departure_row(LastWorkingDate="2026-10-31")).errors

    assert str(error) == "line 2, LastWorkingDate '2026-10-31': is before ResignationDate (2026-11-01)"


def test_a_person_twice_in_a_departures_file_is_a_problem_of_the_later_line():
    claims = DepartureClaims()
    first = parse_departure(departure_row()).value

    assert claims.claim(2, first) == []
    assert claims.claim(5, first) == [LineError(5, "EmailAddress", first.email, "is already on line 2")]


def test_an_alias_of_two_people_in_a_departures_file_is_a_problem_of_the_later_line():
    claims = DepartureClaims()
    alice = parse_departure(departure_row(Aliases="a.smith@northwind.example")).value
    andrew = parse_departure(
        departure_row(EmailAddress="andrew@northwind.example", Aliases="A.Smith@northwind.example")
    )

    claims.claim(2, alice)

    assert claims.claim(3, andrew.value) == [
        LineError(3, "Aliases", "a.smith@northwind.example", "is also an address of alice@northwind.example (line 2)")
    ]


def test_optional_columns_the_file_does_not_have_keep_the_stored_values():
    stored = parse_departure(
        departure_row(GardenLeaveDate="2026-11-20", PersonalEmails="p@gmail.com", Aliases="a@northwind.example")
    ).value
    purview_only = parse_departure(Record(2, {c: departure_row().cells[c] for c in DEPARTURES.required})).value

    kept = keep_unstated(purview_only, stored, DEPARTURES.required)

    assert kept == stored


def test_optional_columns_the_file_has_replace_the_stored_values_even_when_empty():
    stored = parse_departure(departure_row(Aliases="a@northwind.example", Status="withdrawn")).value
    given = parse_departure(departure_row(SuccessorEmail="")).value

    assert keep_unstated(given, stored, DEPARTURES.columns) == given
    assert keep_unstated(given, None, DEPARTURES.required) == given


def test_a_departure_written_as_cells_reads_back_the_same():
    departure = parse_departure(
        departure_row(
            GardenLeaveDate="2026-11-20", PersonalEmails="p@gmail.com;q@proton.me", Aliases="a@northwind.example"
        )
    ).value

    cells = dict(zip(DEPARTURES.columns, departure_cells(departure), strict=True))

    assert parse_departure(Record(2, cells)).value == departure


# --- formulas: escaped on the way out, read back as they were ----------------------------------------------

FORMULA_LIKE = ["=HYPERLINK(1)", "+1 555", "-2", "@SUM(A1)", "\tx", "\rx", "'=x", "''-x", "'Tis Ltd", "'", "", "plain"]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_an_escaped_cell_reads_back_as_the_text_it_was(text):
    assert unescaped(safe_cell(text)) == text


@pytest.mark.parametrize(("cell", "text"), [("'Tis Ltd", "'Tis Ltd"), ("'=x", "=x"), ("O'Brien", "O'Brien")])
def test_an_apostrophe_written_by_hand_stays_unless_it_escapes_a_formula(cell, text):
    assert unescaped(cell) == text


def test_a_file_of_escaped_cells_is_read_as_the_names_that_were_exported():
    names = ["=cmd|' /C calc'!A0", "-Minus Ltd", "'+Quoted", "Plain & Co"]
    lines = [CLIENTS_HEADER] + [f'"{safe_cell(name)}",contoso{n}.example,,,' for n, name in enumerate(names)]

    read = records("\n".join(lines) + "\n", CLIENTS)

    assert [r.cells["Account"] for r in read] == names


# --- clients ---------------------------------------------------------------------------------------------


def test_a_client_row_gives_a_contact_a_domain_or_both():
    row = parse_client(
        client_row(Domain="Contoso.Example", ContactEmail="Kim+crm@contoso.example", ContactName="Kim Akers")
    ).value

    assert (row.account, row.domain, row.contact_name, row.owner) == (
        "Contoso Ltd",
        "contoso.example",
        "Kim Akers",
        "bob@northwind.example",
    )
    assert (row.contact.email, row.contact.key) == ("kim+crm@contoso.example", "kim@contoso.example")


def test_a_client_row_without_an_owner_leaves_the_owner_unset():
    assert parse_client(client_row(OwnerEmail="")).value.owner is None


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param({"Account": ""}, [("Account", "is required")], id="no account"),
        pytest.param({"Account": "x" * 201}, [("Account", "is longer than 200 characters")], id="a long name"),
        pytest.param({"ContactEmail": ""}, [("", "needs a Domain or a ContactEmail (or both)")], id="neither"),
        pytest.param(
            {"Domain": "contoso"},
            [("Domain", "is not a domain name: a domain needs at least one dot")],
            id="bad domain",
        ),
        pytest.param(
            {"OwnerEmail": "bob"},
            [("OwnerEmail", "is not an e-mail address: missing '@' or local part")],
            id="a bad owner",
        ),
        pytest.param(
            {"Domain": "contoso.example", "ContactEmail": "", "ContactName": "Kim"},
            [("ContactName", "is given without a ContactEmail")],
            id="a name without a contact",
        ),
    ],
)
def test_a_bad_client_row_names_the_column_and_the_problem(cells, expected):
    parsed = parse_client(client_row(**cells))

    assert parsed.value is None
    assert problems(parsed) == expected


# --- the error log ---------------------------------------------------------------------------------------


def test_the_error_log_keeps_the_earliest_lines_and_counts_the_rest():
    log = ErrorLog(cap=3)

    log.add(LineError(line, "Domain", "", "bad") for line in range(100, 1, -1))

    assert [e.line for e in log.shown] == [2, 3, 4]
    assert (log.total, log.more) == (99, 96)


def test_an_empty_error_log_is_false():
    assert not ErrorLog()
