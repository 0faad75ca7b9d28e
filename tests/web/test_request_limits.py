"""Flask-Limiter on the pages anyone can reach unsigned: sign-in and approval links; the check API is never counted."""

from __future__ import annotations

import time

import pytest

from server import create_app, db

LINK = "/approvals/not-a-real-token"


@pytest.fixture
def app(app):
    app.config.update(RATELIMIT_SIGNIN="3 per minute", RATELIMIT_APPROVAL_LINKS="3 per minute")
    return app


def hits(client, path: str, times: int, **kwargs) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(times)]


def test_the_approval_link_page_answers_429_with_retry_after_past_its_limit(client):
    assert hits(client, LINK, 3) == [302] * 3  # sign in first

    refused = client.get(LINK, headers={"Accept-Language": "ru"})

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.mimetype == "text/html"
    assert "Слишком много запросов из вашей сети" in refused.get_data(as_text=True)


def test_posting_decisions_counts_against_the_same_limit_as_opening_links(client):
    hits(client, LINK, 2)

    assert client.post(LINK, data={}).status_code == 400  # no CSRF token: refused, and counted
    assert client.post(LINK, data={}).status_code == 429


def test_the_sign_in_pages_share_one_count_per_client_address(client):
    assert hits(client, "/signin", 2) == [200, 200]
    assert client.post("/signin", data={"email": "x@northwind.example"}).status_code == 400  # no CSRF: counted

    assert client.get("/signin").status_code == 429
    assert hits(client, "/signin", 1, environ_base={"REMOTE_ADDR": "192.0.2.7"}) == [200]  # another client


def test_the_sign_in_and_link_limits_are_counted_apart(client):
    hits(client, "/signin", 3)

    assert client.get("/signin").status_code == 429
    assert client.get(LINK).status_code == 302


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, ["203.0.113.1", "203.0.113.2"], 429),  # without trusted proxies the header is the client's own words
        (1, ["203.0.113.1", "203.0.113.2"], 200),  # behind one proxy: each client address counts alone
        (1, ["198.51.100.9, 203.0.113.1", "198.51.100.9, 203.0.113.1"], 429),  # a forged left part changes nothing
    ],
)
def test_x_forwarded_for_names_the_client_only_behind_trusted_proxies(app, client, trusted, forwarded, expected):
    app.config["RATELIMIT_TRUSTED_PROXIES"] = trusted
    hits(client, "/signin", 3, headers={"X-Forwarded-For": forwarded[0]})

    assert client.get("/signin", headers={"X-Forwarded-For": forwarded[1]}).status_code == expected


def test_a_second_x_forwarded_for_line_counts_as_the_end_of_one_list(app, client):
    """A proxy may add its own header line rather than append to the client's: the WSGI server joins the lines
    into one list (RFC 9110), so a client that sends its own line first cannot choose the address it is counted
    under (a second review suspected otherwise)."""
    app.config["RATELIMIT_TRUSTED_PROXIES"] = 1
    for forged in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        client.get("/signin", headers=[("X-Forwarded-For", forged), ("X-Forwarded-For", "198.51.100.9")])

    blocked = client.get("/signin", headers=[("X-Forwarded-For", "203.0.113.4"), ("X-Forwarded-For", "198.51.100.9")])

    assert blocked.status_code == 429


def test_the_check_api_the_gmail_add_on_and_the_console_are_never_counted(app, client):
    app.config.update(RATELIMIT_SIGNIN="1 per hour", RATELIMIT_APPROVAL_LINKS="1 per hour")
    check = {"to": ["kim@contoso.example"], "mode": "preview"}

    answers = [
        client.post("/api/v1/check", headers={"Authorization": "Dev carol@northwind.example"}, json=check)
        for _ in range(5)
    ]

    assert {a.status_code for a in answers} == {200}
    assert not any("X-RateLimit-Limit" in a.headers for a in answers)
    assert hits(client, "/healthz", 3) == [200] * 3
    assert {client.get("/admin/").status_code for _ in range(3)} == {302}


def test_an_unreachable_storage_falls_back_to_counting_in_memory_instead_of_failing(database_url, tmp_path):
    app = create_app(
        {"ENV": "development", "TESTING": True, "DATABASE_URL": database_url, "LOG_FORMAT": "text",
         "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0", "RATELIMIT_SIGNIN": "3 per minute"}
    )  # fmt: skip
    app.instance_path = str(tmp_path)
    started = time.perf_counter()

    answers = hits(app.test_client(), "/signin", 4)

    assert answers == [200, 200, 200, 429]
    assert time.perf_counter() - started < 5
    db.dispose(app)
