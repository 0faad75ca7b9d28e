"""Row ids read from a client: one parser for every `?before=` page position, and the range a database row id has."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer

from server.row_ids import MAX_ROW_ID, parse_row_id
from server.tables import metadata


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        ("42", 42),
        ("007", 7),
        (str(MAX_ROW_ID), MAX_ROW_ID),
    ],
)
def test_a_row_id_in_range_is_read(raw, expected):
    assert parse_row_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "0",  # ids start at 1
        str(MAX_ROW_ID + 1),  # beyond PostgreSQL's integer: "integer out of range" was a 500
        str(2**63),  # beyond SQLite's integer: an OverflowError was a 500
        "1" * 400,
        "-1",
        "+1",
        " 1",
        "1 ",
        "1e3",
        "1.0",
        "0x10",
        "١٢",  # Arabic-Indic digits: str.isdigit() says yes, int() reads them
        "1\x00",
        "",
    ],
)
def test_anything_else_is_refused_with_the_range_named(raw):
    with pytest.raises(ValueError, match=f"a row id is a whole number from 1 to {MAX_ROW_ID}"):
        parse_row_id(raw)


def test_the_range_is_that_of_the_integer_type_every_id_column_has():
    """PostgreSQL's INTEGER is 32-bit: a column widened to BIGINT would need MAX_ROW_ID widened too."""
    ids = [table.c.id for table in metadata.sorted_tables if "id" in table.c and table.c.id.primary_key]
    integers = [column for column in ids if isinstance(column.type, Integer)]

    assert MAX_ROW_ID == 2**31 - 1
    assert integers and all(type(column.type) is Integer for column in integers)
