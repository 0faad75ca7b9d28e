"""Operational endpoints and the front page: /healthz, /readyz, /api/v1/ping and /.

/readyz must tell a load balancer the truth: 200 only when the database answers
and is migrated, a 503 JSON answer (never a 500, never the URL or password) otherwise.
"""

from __future__ import annotations

import pytest

from server import create_app, db

from ..builders import closed_port


@pytest.fixture
def app_on(tmp_path):
    """Build apps on arbitrary database URLs; their engines are disposed afterwards."""
    apps = []

    def build(database_url: str):
        app = create_app({"ENV": "development", "TESTING": True, "DATABASE_URL": database_url})
        app.instance_path = str(tmp_path)
        apps.append(app)
        return app

    yield build
    for app in apps:
        db.dispose(app)


def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert (response.status_code, response.mimetype, response.get_json()) == (200, "application/json", {"status": "ok"})


def test_readyz_answers_ok_on_a_migrated_database(client):
    response = client.get("/readyz")

    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_ping_answers_ok_without_authentication(client):
    assert client.get("/api/v1/ping").get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "make_url",
    [
        lambda tmp: f"sqlite:///{tmp / 'no' / 'such' / 'directory' / 'leaverguard.db'}",
        lambda tmp: f"postgresql+psycopg://leaverguard:s3cret-pw@127.0.0.1:{closed_port()}/leaverguard",
    ],
    ids=["sqlite-in-a-missing-directory", "postgresql-on-a-closed-port"],
)
def test_readyz_is_a_503_when_the_database_is_unreachable(app_on, tmp_path, make_url):
    url = make_url(tmp_path)

    response = app_on(url).test_client().get("/readyz")

    assert (response.status_code, response.mimetype) == (503, "application/json")
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["reason"].startswith("database unreachable")
    assert "s3cret" not in response.get_data(as_text=True) and url not in response.get_data(as_text=True)


def test_readyz_is_a_503_when_the_database_is_not_migrated(app_on, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()

    response = app_on(f"sqlite:///{empty}").test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "reason": "database schema is not migrated (run `flask db upgrade`)",
    }


def test_readyz_turns_ready_once_the_database_is_migrated(app_on, tmp_path):
    app = app_on(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert app.test_client().get("/readyz").status_code == 503

    # `flask db upgrade` gets its app context from FlaskGroup; the test runner invokes app.cli directly.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert app.test_client().get("/readyz").status_code == 200


def test_the_front_page_renders_html_with_the_demo_and_links_for_machines(client):
    response = client.get("/")

    assert (response.status_code, response.mimetype) == (200, "text/html")
    page = response.get_data(as_text=True)
    assert "<h1>LeaverGuard</h1>" in page
    assert "Authorization: Dev alice@northwind.example" in page
    for link in ('href="/api/v1/openapi.json"', 'href="/healthz"', 'href="/readyz"'):
        assert link in page


def test_the_stylesheet_is_served(client):
    response = client.get("/static/site.css")

    assert (response.status_code, response.mimetype) == (200, "text/css")
    response.close()


def test_an_unknown_page_outside_the_api_is_an_html_404_not_json(client):
    response = client.get("/no-such-page")

    assert (response.status_code, response.mimetype) == (404, "text/html")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/api/v1/ping"])
def test_the_wrong_method_on_a_health_endpoint_is_a_json_405(client, path):
    response = client.post(path)

    assert (response.status_code, response.mimetype) == (405, "application/json")
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_head_on_healthz_answers_without_a_body(client):
    response = client.head("/healthz")

    assert (response.status_code, response.get_data()) == (200, b"")


def test_a_check_during_a_database_outage_is_a_503_the_add_in_can_act_on(app_on, tmp_path):
    url = f"postgresql+psycopg://leaverguard:s3cret-pw@127.0.0.1:{closed_port()}/leaverguard"

    response = (
        app_on(url)
        .test_client()
        .post("/api/v1/check", headers={"Authorization": "Dev alice@northwind.example"}, json={"to": []})
    )

    assert (response.status_code, response.mimetype) == (503, "application/json")
    assert response.get_json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"] == "5"
    assert "s3cret" not in response.get_data(as_text=True)


def test_a_database_error_that_is_our_bug_stays_a_logged_500_not_a_misleading_503(client, monkeypatch, caplog):
    from sqlalchemy.exc import IntegrityError

    from server import services

    def broken(*args, **kwargs):
        raise IntegrityError("INSERT INTO audit_events …", {}, Exception("NOT NULL constraint failed"))

    monkeypatch.setattr(services, "check_message", broken)

    response = client.post("/api/v1/check", headers={"Authorization": "Dev alice@northwind.example"}, json={"to": []})

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert any(r.levelname == "ERROR" for r in caplog.records)


def test_the_check_runs_on_the_autocommit_engine_and_nothing_else(app, client):
    check_pool = app.extensions["leaverguard.check_engine"].pool
    other_pool = app.extensions["leaverguard.engine"].pool
    before = other_pool.checkedin()

    response = client.post("/api/v1/check", headers={"Authorization": "Dev carol@northwind.example"}, json={"to": []})

    assert response.status_code == 200
    assert check_pool.checkedin() == 1
    assert other_pool.checkedin() == before


def test_the_check_engine_commits_each_statement_itself(app):
    with app.extensions["leaverguard.check_engine"].connect() as conn:
        dbapi = conn.connection.dbapi_connection
        autocommit = dbapi.isolation_level is None if conn.dialect.name == "sqlite" else dbapi.autocommit

    assert autocommit is True
