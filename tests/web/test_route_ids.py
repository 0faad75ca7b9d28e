"""What a client puts in a URL is never a 500: ids out of the database's range, page positions, NUL characters.

Every route is found in the app's url_map, so a route added later is covered without touching this file.
Runs on SQLite and PostgreSQL: they failed differently (SQLite beyond 2**63, PostgreSQL beyond 2**31 - 1).
"""

from __future__ import annotations

import pytest

from server.row_ids import MAX_ROW_ID

from .console_helpers import ALICE, CSRF
from .route_helpers import ID_ROUTES_OF_THE_ISSUE, filled_path, id_rules, rules, status_of, verbs

OUT_OF_RANGE = [0, MAX_ROW_ID + 1, 2**63 - 1, 2**63, 10**30]


def every_answer(client, routes, path_of, query: str = "") -> dict[str, int]:
    """`VERB path` -> status for every verb of every route, as a signed-in admin who is also a Dev API caller."""
    options = {"headers": {"Authorization": f"Dev {ALICE}"}, "data": {"csrf_token": CSRF}}
    return {
        f"{verb} {path}{query}": status_of(client, verb, path + query, **options)
        for rule in routes
        for verb in verbs(rule)
        for path in [path_of(rule)]
    }


def test_the_routes_with_an_id_include_those_the_issue_names(console):
    assert {rule.rule for rule in id_rules(console)} >= ID_ROUTES_OF_THE_ISSUE


@pytest.mark.parametrize("value", OUT_OF_RANGE, ids=str)
def test_an_id_outside_the_databases_integer_range_is_a_404_on_every_route_that_takes_one(console, admin, value):
    answers = every_answer(admin, id_rules(console), lambda rule: filled_path(rule, ids=str(value)))

    assert answers and set(answers.values()) == {404}, answers


def test_an_api_id_out_of_range_is_a_json_404(client):
    response = client.get(f"/api/v1/approvals/{MAX_ROW_ID + 1}", headers={"Authorization": f"Dev {ALICE}"})

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("page", ["/admin/audit?", "/admin/signoffs?", "/admin/signoffs?view=all&"])
@pytest.mark.parametrize("position", ["0", str(MAX_ROW_ID + 1), str(2**63), "-5", "1e3", "١٢"])
def test_a_page_position_that_is_not_a_row_id_is_a_400_naming_the_range(admin, page, position):
    response = admin.get(f"{page}before={position}")

    assert response.status_code == 400
    assert f"from 1 to {MAX_ROW_ID}" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["/admin/audit", "/admin/signoffs"])
def test_the_highest_page_position_is_still_a_page(admin, page):
    assert admin.get(f"{page}?before={MAX_ROW_ID}").status_code == 200


@pytest.mark.parametrize("query", ["?after=%00", "?before=a%00b", "?q=%00", "?domains_after=%00", "?who=x%00"])
def test_a_nul_character_in_a_query_is_a_400_on_every_route(console, admin, query):
    answers = every_answer(admin, rules(console), filled_path, query)

    assert answers and set(answers.values()) == {400}, answers


@pytest.mark.parametrize("value", ["%00", "a%00b", "x" * 5000])
def test_a_strange_value_in_a_path_segment_is_never_a_500(console, admin, value):
    with_arguments = [rule for rule in rules(console) if rule.arguments]
    answers = every_answer(admin, with_arguments, lambda rule: filled_path(rule, default=value, ids=value))

    assert answers and all(status < 500 for status in answers.values()), answers


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/admin/clients/new", {"name": "Contoso\x00 Ltd", "owner": ""}),
        ("/admin/departures/new", {"email": "zed@northwind.example", "notice_date": "2026-12-01\x00"}),
        ("/signin", {"email": "ada\x00@northwind.example"}),
    ],
    ids=["client-name", "departure-date", "sign-in"],
)
def test_a_nul_character_in_a_form_field_is_a_400_that_says_so(admin, path, form):
    """PostgreSQL's text cannot hold NUL: a client account named with one was a 500 there."""
    answer = admin.post(path, data={"csrf_token": CSRF, **form})

    assert answer.status_code == 400
    assert "A form field contains a NUL character." in answer.get_data(as_text=True)
