"""Who gets into the admin console: sign-in first, then a role, else a clear 403 page."""

import pytest

from server import create_app, db


@pytest.fixture
def console(database_url, tmp_path):
    app = create_app(
        {
            "ENV": "development",
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ADMIN_USERS": ("ada@northwind.example",),
            "VIEWER_USERS": ("vic@northwind.example",),
        }
    )
    app.instance_path = str(tmp_path)
    yield app.test_client()
    db.dispose(app)


def signed_in(client, address):
    with client.session_transaction() as session:
        session["user"] = address
    return client


def test_nobody_signed_in_is_sent_to_sign_in_and_back(console):
    answer = console.get("/admin/")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/signin?next=/admin/"


def test_a_signed_in_person_without_a_role_gets_a_403_page_that_says_what_to_do(console):
    answer = signed_in(console, "eve@northwind.example").get("/admin/")

    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "eve@northwind.example has no role" in page and "LEAVERGUARD_ADMIN_USERS" in page
    assert "Traceback" not in page


@pytest.mark.parametrize("address", ["ada@northwind.example", "vic@northwind.example"])
def test_admins_and_viewers_see_the_dashboard(console, address):
    answer = signed_in(console, address).get("/admin/")

    assert answer.status_code == 200
    assert "Dashboard" in answer.get_data(as_text=True)
