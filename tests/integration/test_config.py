"""Configuration: LEAVERGUARD_* settings, the production start checks, and JSON logs in production."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest

from server import config, create_app, db, demo
from server.logs import JsonFormatter

EVERY_SETTING = {
    "LEAVERGUARD_ENV": "development",
    "LEAVERGUARD_SECRET_KEY": "k" * 32,
    "LEAVERGUARD_BASE_URL": "https://leaverguard.northwind.example",
    "LEAVERGUARD_LOG_FORMAT": "json",
    "LEAVERGUARD_LOG_LEVEL": "DEBUG",
    "LEAVERGUARD_MAX_RECIPIENTS": "50",
    "LEAVERGUARD_MAX_BODY_BYTES": "20000",
    "LEAVERGUARD_MAX_ATTACHMENTS": "7",
    "LEAVERGUARD_ENTRA_CLIENT_ID": "5E6F7A8B-9C0D-4E1F-A2B3-C4D5E6F7A8B9",
    "LEAVERGUARD_ENTRA_APP_ID_URI": "api://leaverguard.northwind.example/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
    "LEAVERGUARD_ENTRA_TENANTS": "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b, 0f9e8d7c-6b5a-4948-8372-615f4e3d2c1b",
    "LEAVERGUARD_ENTRA_AUTHORITY_HOST": "login.microsoftonline.us",
    "LEAVERGUARD_ADDIN_FAIL_MODE": "Closed",
    "LEAVERGUARD_CORS_ORIGINS": "https://Outlook.northwind.example:443, http://localhost:3000",
    "LEAVERGUARD_MAIL_TRANSPORT": "smtp",
    "LEAVERGUARD_MAIL_FROM": "LeaverGuard <signoff@northwind.example>",
    "LEAVERGUARD_SMTP_HOST": "smtp.northwind.example",
    "LEAVERGUARD_SMTP_PORT": "465",
    "LEAVERGUARD_SMTP_SECURITY": "TLS",
    "LEAVERGUARD_SMTP_USERNAME": "leaverguard",
    "LEAVERGUARD_SMTP_PASSWORD": "smtp-pass",
    "LEAVERGUARD_SMTP_TIMEOUT": "2.5",
    "LEAVERGUARD_HR_APPROVERS": "HR@Northwind.example, legal@northwind.example",
    "LEAVERGUARD_APPROVER_ROUTES": "Contoso Ltd=key-accounts@northwind.example; Fabrikam=a@northwind.example,b@x.ex",
    "LEAVERGUARD_ADMIN_USERS": "Admin@Northwind.example",
    "LEAVERGUARD_HR_USERS": "people@northwind.example, hr2@northwind.example",
    "LEAVERGUARD_VIEWER_USERS": "audit@northwind.example",
    "LEAVERGUARD_HR_LOCALE": "es",
    "LEAVERGUARD_APPROVAL_EXPIRY_HOURS": "48",
    "LEAVERGUARD_APPROVAL_REMINDER_HOURS": "8",
    "LEAVERGUARD_HOUSEKEEPING_INTERVAL": "0",
    "LEAVERGUARD_UPLOAD_MAX_BYTES": "5000000",
    "LEAVERGUARD_RETAIN_MESSAGE_DAYS": "30",
    "LEAVERGUARD_RETAIN_AUDIT_DAYS": "3650",
    "LEAVERGUARD_RETAIN_DEPARTURE_DAYS": "180",
    "LEAVERGUARD_UPLOAD_BACKGROUND_BYTES": "1000000",
    "LEAVERGUARD_DB_CONNECT_TIMEOUT_SECONDS": "0.5",
    "LEAVERGUARD_DB_CHECK_TIMEOUT_MS": "800",
    "LEAVERGUARD_DB_STATEMENT_TIMEOUT_MS": "15000",
    "LEAVERGUARD_DB_POOL_TIMEOUT_SECONDS": "2",
    "LEAVERGUARD_GMAIL_SERVICE_ACCOUNT": "Service-1020467772664@gcp-sa-gsuiteaddons.iam.gserviceaccount.com",
    "LEAVERGUARD_GMAIL_OAUTH_CLIENT_ID": " 1020467772664-2o4v.apps.googleusercontent.com ",
    "LEAVERGUARD_GMAIL_ENDPOINT_URLS": (
        "https://addon.northwind.example/gmail/compose, https://addon.northwind.example/gmail/homepage"
    ),
    "LEAVERGUARD_SIGNIN_MICROSOFT_CLIENT_ID": "3C4D5E6F-7A8B-4C9D-8E0F-1A2B3C4D5E6F",
    "LEAVERGUARD_SIGNIN_MICROSOFT_CLIENT_SECRET": "entra-signin-secret",
    "LEAVERGUARD_SIGNIN_MICROSOFT_TENANT": "Organizations",
    "LEAVERGUARD_SIGNIN_MICROSOFT_AUTHORITY_HOST": "Login.Microsoftonline.us",
    "LEAVERGUARD_SIGNIN_MICROSOFT_ROLE_GROUPS": (
        "admin=9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D, HR=1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
    ),
    "LEAVERGUARD_SIGNIN_GOOGLE_CLIENT_ID": "1234567890-console.apps.googleusercontent.com",
    "LEAVERGUARD_SIGNIN_GOOGLE_CLIENT_SECRET": "google-signin-secret",
    "LEAVERGUARD_SIGNIN_GOOGLE_HOSTED_DOMAINS": "Northwind.example, northwind.co.uk",
    "LEAVERGUARD_SIGNOFF_REQUESTS_PER_HOUR": "5",
    "LEAVERGUARD_SIGNOFF_MAILS_PER_APPROVER_PER_HOUR": "40",
    "LEAVERGUARD_RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/2",
    "LEAVERGUARD_RATELIMIT_SIGNIN": " 10/minute; 100/hour ",
    "LEAVERGUARD_RATELIMIT_APPROVAL_LINKS": "20 per minute",
    "LEAVERGUARD_RATELIMIT_TRUSTED_PROXIES": "1",
    "DATABASE_URL": "postgresql+psycopg://lg@db.internal/leaverguard",
}


@pytest.fixture
def root_logging():
    """create_app points the root logger at its own handler; put the test runner's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def production(tmp_path, **overrides) -> dict:
    """A production test_config that may start; `overrides` take parts of it away."""
    settings = {
        "ENV": "production",
        "SECRET_KEY": "s" * 40,
        "BASE_URL": "https://lg.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'leaverguard.db'}",
        "TOKEN_VERIFIERS": [FakeVerifier()],
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "smtp.lg.example",
        "MAIL_FROM": "leaverguard@lg.example",
    }
    return settings | overrides


class FakeVerifier:
    scheme = "bearer"

    def verify(self, credentials):
        raise NotImplementedError


# --- load() --------------------------------------------------------------------


#: The sync connectors' settings have their own tests (tests/integration/test_sync_cli.py).
SYNC_PREFIXES = ("SYNC_", "GRAPH_", "GOOGLE_", "BAMBOOHR_", "PERSONIO_", "HUBSPOT_", "SALESFORCE_")


def _sync_setting(name: str) -> bool:
    return name.removeprefix(config.PREFIX).startswith(SYNC_PREFIXES)


def test_the_test_names_every_setting_there_is():
    every = {config.PREFIX + name for name in config.SETTINGS}
    assert set(EVERY_SETTING) - {"DATABASE_URL"} == {name for name in every if not _sync_setting(name)}


def _without_sync(loaded: dict) -> dict:
    return {name: value for name, value in loaded.items() if not _sync_setting(name)}


def test_every_setting_is_read_and_parsed_from_the_environment():
    assert _without_sync(config.load(EVERY_SETTING)) == {
        "ENV": "development",
        "SECRET_KEY": "k" * 32,
        "BASE_URL": "https://leaverguard.northwind.example",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "MAX_RECIPIENTS": 50,
        "MAX_BODY_BYTES": 20000,
        "MAX_ATTACHMENTS": 7,
        "ENTRA_CLIENT_ID": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        "ENTRA_APP_ID_URI": "api://leaverguard.northwind.example/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        "ENTRA_TENANTS": ("7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b", "0f9e8d7c-6b5a-4948-8372-615f4e3d2c1b"),
        "ENTRA_AUTHORITY_HOST": "login.microsoftonline.us",
        "ADDIN_FAIL_MODE": "closed",
        "CORS_ORIGINS": ("https://outlook.northwind.example", "http://localhost:3000"),
        "MAIL_TRANSPORT": "smtp",
        "MAIL_FROM": "LeaverGuard <signoff@northwind.example>",
        "SMTP_HOST": "smtp.northwind.example",
        "SMTP_PORT": 465,
        "SMTP_SECURITY": "tls",
        "SMTP_USERNAME": "leaverguard",
        "SMTP_PASSWORD": config.Secret("smtp-pass"),
        "SMTP_TIMEOUT": 2.5,
        "HR_APPROVERS": ("hr@northwind.example", "legal@northwind.example"),
        "APPROVER_ROUTES": {
            "Contoso Ltd": ("key-accounts@northwind.example",),
            "Fabrikam": ("a@northwind.example", "b@x.ex"),
        },
        "ADMIN_USERS": ("admin@northwind.example",),
        "HR_USERS": ("people@northwind.example", "hr2@northwind.example"),
        "VIEWER_USERS": ("audit@northwind.example",),
        "HR_LOCALE": "es",
        "APPROVAL_EXPIRY_HOURS": 48,
        "APPROVAL_REMINDER_HOURS": 8,
        "HOUSEKEEPING_INTERVAL": 0,
        "UPLOAD_MAX_BYTES": 5_000_000,
        "RETAIN_MESSAGE_DAYS": 30,
        "RETAIN_AUDIT_DAYS": 3650,
        "RETAIN_DEPARTURE_DAYS": 180,
        "UPLOAD_BACKGROUND_BYTES": 1_000_000,
        "DB_CONNECT_TIMEOUT_SECONDS": 0.5,
        "DB_CHECK_TIMEOUT_MS": 800,
        "DB_STATEMENT_TIMEOUT_MS": 15_000,
        "DB_POOL_TIMEOUT_SECONDS": 2.0,
        "GMAIL_SERVICE_ACCOUNT": "service-1020467772664@gcp-sa-gsuiteaddons.iam.gserviceaccount.com",
        "GMAIL_OAUTH_CLIENT_ID": "1020467772664-2o4v.apps.googleusercontent.com",
        "GMAIL_ENDPOINT_URLS": (
            "https://addon.northwind.example/gmail/compose",
            "https://addon.northwind.example/gmail/homepage",
        ),
        "SIGNIN_MICROSOFT_CLIENT_ID": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "SIGNIN_MICROSOFT_CLIENT_SECRET": config.Secret("entra-signin-secret"),
        "SIGNIN_MICROSOFT_TENANT": "organizations",
        "SIGNIN_MICROSOFT_AUTHORITY_HOST": "login.microsoftonline.us",
        "SIGNIN_MICROSOFT_ROLE_GROUPS": {
            "admin": ("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",),
            "hr": ("1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",),
        },
        "SIGNIN_GOOGLE_CLIENT_ID": "1234567890-console.apps.googleusercontent.com",
        "SIGNIN_GOOGLE_CLIENT_SECRET": config.Secret("google-signin-secret"),
        "SIGNIN_GOOGLE_HOSTED_DOMAINS": ("northwind.example", "northwind.co.uk"),
        "SIGNOFF_REQUESTS_PER_HOUR": 5,
        "SIGNOFF_MAILS_PER_APPROVER_PER_HOUR": 40,
        "RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/2",
        "RATELIMIT_SIGNIN": "10/minute; 100/hour",
        "RATELIMIT_APPROVAL_LINKS": "20 per minute",
        "RATELIMIT_TRUSTED_PROXIES": 1,
        "DATABASE_URL": "postgresql+psycopg://lg@db.internal/leaverguard",
    }


def test_without_any_setting_the_defaults_apply_and_production_is_assumed():
    assert _without_sync(config.load({})) == {
        "ENV": "production",
        "SECRET_KEY": "",
        "BASE_URL": "",
        "LOG_FORMAT": "",
        "LOG_LEVEL": "INFO",
        "MAX_RECIPIENTS": 500,
        "MAX_BODY_BYTES": 1_000_000,
        "MAX_ATTACHMENTS": 250,
        "ENTRA_CLIENT_ID": "",
        "ENTRA_APP_ID_URI": "",
        "ENTRA_TENANTS": (),
        "ENTRA_AUTHORITY_HOST": "login.microsoftonline.com",
        "ADDIN_FAIL_MODE": "open",
        "CORS_ORIGINS": (),
        "MAIL_TRANSPORT": "outbox",
        "MAIL_FROM": "leaverguard@localhost",
        "SMTP_HOST": "",
        "SMTP_PORT": 587,
        "SMTP_SECURITY": "",
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": config.Secret(),
        "SMTP_TIMEOUT": 10.0,
        "HR_APPROVERS": (),
        "APPROVER_ROUTES": {},
        "ADMIN_USERS": (),
        "HR_USERS": (),
        "VIEWER_USERS": (),
        "HR_LOCALE": "en",
        "APPROVAL_EXPIRY_HOURS": 72,
        "APPROVAL_REMINDER_HOURS": 24,
        "HOUSEKEEPING_INTERVAL": 30,
        "UPLOAD_MAX_BYTES": 100_000_000,
        "RETAIN_MESSAGE_DAYS": 90,
        "RETAIN_AUDIT_DAYS": 730,
        "RETAIN_DEPARTURE_DAYS": 365,
        "UPLOAD_BACKGROUND_BYTES": 5_000_000,
        "DB_CONNECT_TIMEOUT_SECONDS": 1.0,
        "DB_CHECK_TIMEOUT_MS": 1000,
        "DB_STATEMENT_TIMEOUT_MS": 20_000,
        "DB_POOL_TIMEOUT_SECONDS": 1.0,
        "GMAIL_SERVICE_ACCOUNT": "",
        "GMAIL_OAUTH_CLIENT_ID": "",
        "GMAIL_ENDPOINT_URLS": (),
        "SIGNIN_MICROSOFT_CLIENT_ID": "",
        "SIGNIN_MICROSOFT_CLIENT_SECRET": config.Secret(),
        "SIGNIN_MICROSOFT_TENANT": "",
        "SIGNIN_MICROSOFT_AUTHORITY_HOST": "",
        "SIGNIN_MICROSOFT_ROLE_GROUPS": {},
        "SIGNIN_GOOGLE_CLIENT_ID": "",
        "SIGNIN_GOOGLE_CLIENT_SECRET": config.Secret(),
        "SIGNIN_GOOGLE_HOSTED_DOMAINS": (),
        "SIGNOFF_REQUESTS_PER_HOUR": 20,
        "SIGNOFF_MAILS_PER_APPROVER_PER_HOUR": 100,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_SIGNIN": "30 per minute",
        "RATELIMIT_APPROVAL_LINKS": "60 per minute",
        "RATELIMIT_TRUSTED_PROXIES": 0,
        "DATABASE_URL": "",
    }


def test_an_empty_setting_counts_as_unset():
    assert config.load({"LEAVERGUARD_MAX_RECIPIENTS": "", "LEAVERGUARD_ENV": ""})["MAX_RECIPIENTS"] == 500


def test_settings_without_the_prefix_are_ignored():
    assert config.load({"ENV": "development", "MAX_RECIPIENTS": "1"})["ENV"] == "production"


def test_load_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("LEAVERGUARD_MAX_ATTACHMENTS", "9")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.db")

    loaded = config.load()

    assert (loaded["MAX_ATTACHMENTS"], loaded["DATABASE_URL"]) == (9, "sqlite:///elsewhere.db")


@pytest.mark.parametrize("name", ["MAX_RECIPIENTS", "MAX_BODY_BYTES", "MAX_ATTACHMENTS"])
@pytest.mark.parametrize("raw", ["many", "1.5", "1e6", "0x10", "ten"])
def test_a_number_setting_that_is_not_a_whole_number_stops_the_start_with_a_clear_message(name, raw):
    with pytest.raises(SystemExit) as stopped:
        config.load({config.PREFIX + name: raw})

    assert stopped.value.code == f"LEAVERGUARD_{name}={raw!r} is not valid: {config.SETTINGS[name][2]}"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("SIGNOFF_REQUESTS_PER_HOUR", "0"),
        ("SIGNOFF_REQUESTS_PER_HOUR", "twenty"),
        ("SIGNOFF_MAILS_PER_APPROVER_PER_HOUR", "-1"),
        ("RATELIMIT_SIGNIN", "lots"),
        ("RATELIMIT_SIGNIN", "30 per fortnight"),
        ("RATELIMIT_APPROVAL_LINKS", "60"),
        ("RATELIMIT_STORAGE_URI", "http://cache.internal"),
        ("RATELIMIT_STORAGE_URI", "redis"),
        ("RATELIMIT_TRUSTED_PROXIES", "-1"),
    ],
)
def test_a_request_limit_setting_that_makes_no_sense_stops_the_start_naming_it(name, raw):
    with pytest.raises(SystemExit) as stopped:
        config.load({config.PREFIX + name: raw})

    assert str(stopped.value.code).startswith(f"LEAVERGUARD_{name}={raw!r} is not valid")


@pytest.mark.parametrize("raw", ["staging", "Development", "dev", "prod"])
def test_an_unknown_env_stops_the_start_with_a_clear_message(raw):
    with pytest.raises(SystemExit) as stopped:
        config.load({"LEAVERGUARD_ENV": raw})

    assert stopped.value.code == f"LEAVERGUARD_ENV must be development or production, not {raw!r}"


# --- create_app and the environment -------------------------------------------------


def test_create_app_reads_the_environment_when_called_and_derives_the_request_limit(
    monkeypatch, engine, database_url, tmp_path, root_logging
):
    demo.seed(engine, datetime.now(UTC))  # `engine` is the emptied test database: Alice is on notice
    monkeypatch.setenv("LEAVERGUARD_ENV", "development")
    monkeypatch.setenv("LEAVERGUARD_MAX_RECIPIENTS", "2")
    monkeypatch.setenv("LEAVERGUARD_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("DATABASE_URL", database_url)

    app = create_app()
    app.instance_path = str(tmp_path)
    response = app.test_client().post(
        "/api/v1/check",
        headers={"Authorization": "Dev alice@northwind.example"},
        json={"to": ["a@x.example", "b@x.example", "c@x.example"], "body": "x" * 1001},
    )

    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1000 + 256 * 1024
    assert response.status_code == 200
    assert {f["code"] for f in response.get_json()["findings"]} == {"too_many_recipients", "body_truncated"}
    db.dispose(app)


def test_development_logs_text_by_default(tmp_path, root_logging):
    app = create_app({"ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})

    assert app.config["LOG_FORMAT"] == "text"
    assert not isinstance(root_logging.handlers[0].formatter, JsonFormatter)


# --- production refuses to start half-configured -------------------------------------


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"TOKEN_VERIFIERS": []}, ["token verifier"]),
        ({"SECRET_KEY": ""}, ["LEAVERGUARD_SECRET_KEY"]),
        ({"SECRET_KEY": "short"}, ["LEAVERGUARD_SECRET_KEY"]),
        ({"BASE_URL": ""}, ["LEAVERGUARD_BASE_URL"]),
        ({"BASE_URL": "http://lg.example"}, ["LEAVERGUARD_BASE_URL"]),
        (
            {"TOKEN_VERIFIERS": [], "SECRET_KEY": "", "BASE_URL": "http://lg.example"},
            ["LEAVERGUARD_SECRET_KEY", "LEAVERGUARD_BASE_URL", "token verifier"],
        ),
    ],
)
def test_production_refuses_to_start_and_names_each_missing_piece(tmp_path, root_logging, overrides, named):
    with pytest.raises(RuntimeError, match="refusing to start in production") as refused:
        create_app(production(tmp_path, **overrides))

    message = str(refused.value)
    for piece in named:
        assert piece in message
    assert message.count(";") == len(named) - 1


def test_production_does_not_count_the_development_scheme_as_a_verifier(tmp_path, root_logging):
    with pytest.raises(RuntimeError, match="token verifier"):
        create_app(production(tmp_path, TOKEN_VERIFIERS=[]))


def test_a_fully_configured_production_app_starts_and_logs_json_lines(tmp_path, root_logging, capsys):
    app = create_app(production(tmp_path))

    logging.getLogger("server.test").warning("check answered %s", "block", extra={"verdict": "block", "count": 2})

    assert app.config["LOG_FORMAT"] == "json"
    assert app.config["SECRET_KEY"] == "s" * 40
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert {k: entry[k] for k in ("level", "logger", "message", "verdict", "count")} == {
        "level": "WARNING",
        "logger": "server.test",
        "message": "check answered block",
        "verdict": "block",
        "count": 2,
    }
    db.dispose(app)


def test_the_log_level_setting_applies_to_the_root_logger(tmp_path, root_logging):
    db.dispose(create_app(production(tmp_path, LOG_LEVEL="warning")))

    assert root_logging.level == logging.WARNING


# --- the JSON formatter --------------------------------------------------------------


def log_through_json_formatter(emit) -> list[dict]:
    """Lines a logger writes through JsonFormatter while `emit(logger)` runs, each parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("leaverguard.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_the_json_formatter_writes_one_object_a_line_with_time_level_logger_message_and_extras():
    (entry,) = log_through_json_formatter(
        lambda log: log.info("checked %d recipients", 3, extra={"actor": "alice@northwind.example", "verdict": "warn"})
    )

    assert set(entry) == {"time", "level", "logger", "message", "actor", "verdict"}
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "INFO",
        "leaverguard.test.json",
        "checked 3 recipients",
    )
    assert (entry["actor"], entry["verdict"]) == ("alice@northwind.example", "warn")
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0


def test_the_json_formatter_keeps_a_multiline_exception_and_text_on_one_line():
    def emit(log):
        try:
            raise ValueError("first line\nsecond line")
        except ValueError:
            log.exception("Проверка не удалась\nдля %s", "письма")

    (entry,) = log_through_json_formatter(emit)

    assert entry["message"] == "Проверка не удалась\nдля письма"
    assert entry["level"] == "ERROR"
    assert "Traceback" in entry["exception"] and "ValueError: first line\nsecond line" in entry["exception"]


def test_the_json_formatter_writes_extras_json_cannot_hold_as_text():
    moment = datetime(2026, 11, 22, 12, 0)

    (entry,) = log_through_json_formatter(lambda log: log.warning("odd extras", extra={"at": moment, "ids": {1}}))

    assert (entry["at"], entry["ids"]) == ("2026-11-22 12:00:00", "{1}")
