"""Mail settings: read from the environment (secrets also from files), checked at start-up, refused in production."""

from __future__ import annotations

import pytest

from server import config, create_app, db
from server.adapters.mail_smtp import SmtpTransport

GOOD_PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": "s" * 40,
    "BASE_URL": "https://lg.example",
    "MAIL_TRANSPORT": "smtp",
    "SMTP_HOST": "smtp.lg.example",
    "MAIL_FROM": "LeaverGuard <leaverguard@lg.example>",
}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LEAVERGUARD_MAIL_TRANSPORT": " Graph "}, {"MAIL_TRANSPORT": "graph"}),
        ({"LEAVERGUARD_SMTP_SECURITY": "STARTTLS"}, {"SMTP_SECURITY": "starttls"}),
        (
            {"LEAVERGUARD_SMTP_PORT": "2525", "LEAVERGUARD_SMTP_TIMEOUT": "0.5"},
            {"SMTP_PORT": 2525, "SMTP_TIMEOUT": 0.5},
        ),
    ],
)
def test_mail_settings_are_parsed_from_the_environment(environ, expected):
    loaded = config.load(environ)

    assert {name: loaded[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("name", "raw", "why"),
    [
        ("MAIL_TRANSPORT", "sendmail", "choose one of outbox, smtp, graph, gmail"),
        ("SMTP_SECURITY", "ssl", "choose one of starttls, tls, none"),
        ("SMTP_PORT", "0", "a port is a number from 1 to 65535"),
        ("SMTP_PORT", "65536", "a port is a number from 1 to 65535"),
        ("SMTP_PORT", "smtp", None),
        ("SMTP_TIMEOUT", "0", "give seconds, more than 0 and at most 600"),
        ("SMTP_TIMEOUT", "ten", None),
    ],
)
def test_a_mail_setting_that_is_not_valid_stops_the_start_naming_it(name, raw, why):
    with pytest.raises(SystemExit) as stopped:
        config.load({config.PREFIX + name: raw})

    message = str(stopped.value.code)
    assert message.startswith(f"LEAVERGUARD_{name}={raw!r} is not valid")
    assert why is None or f"({why})" in message


def test_the_smtp_password_may_come_from_a_file_and_is_never_printed(tmp_path):
    secret_file = tmp_path / "smtp-password"
    secret_file.write_text("from-a-k8s-secret\n")

    loaded = config.load({"LEAVERGUARD_SMTP_PASSWORD_FILE": str(secret_file)})

    assert loaded["SMTP_PASSWORD"].reveal() == "from-a-k8s-secret"
    assert "from-a-k8s-secret" not in repr(loaded)


def test_the_smtp_password_and_its_file_together_are_refused(tmp_path):
    with pytest.raises(SystemExit, match="LEAVERGUARD_SMTP_PASSWORD or LEAVERGUARD_SMTP_PASSWORD_FILE, not both"):
        config.load({"LEAVERGUARD_SMTP_PASSWORD": "x", "LEAVERGUARD_SMTP_PASSWORD_FILE": str(tmp_path / "p")})


def test_the_app_refuses_to_start_with_mail_settings_that_cannot_work(tmp_path):
    with pytest.raises(RuntimeError) as refused:
        create_app(
            {
                "ENV": "development",
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'lg.db'}",
                "MAIL_TRANSPORT": "smtp",
                "SMTP_USERNAME": "lg",
            }
        )

    assert str(refused.value) == (
        "refusing to start: LEAVERGUARD_MAIL_TRANSPORT=smtp needs LEAVERGUARD_SMTP_HOST; "
        "LEAVERGUARD_SMTP_USERNAME and LEAVERGUARD_SMTP_PASSWORD go together: set both or neither"
    )


def test_the_app_builds_the_transport_its_settings_name(tmp_path):
    app = create_app(
        {
            "ENV": "development",
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'lg.db'}",
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "smtp.lg.example",
        }
    )

    transport = app.extensions["leaverguard.mail_transport"]
    assert isinstance(transport, SmtpTransport)
    assert (transport.settings.host, transport.settings.local_hostname) == ("smtp.lg.example", "[127.0.0.1]")
    db.dispose(app)


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, []),
        ({"MAIL_TRANSPORT": "outbox"}, ["LEAVERGUARD_MAIL_TRANSPORT must be smtp, graph or gmail"]),
        ({"MAIL_FROM": "leaverguard@localhost"}, ["LEAVERGUARD_MAIL_FROM must be a real address"]),
        ({"MAIL_FROM": "LeaverGuard <lg@localhost>"}, ["LEAVERGUARD_MAIL_FROM must be a real address"]),
    ],
)
def test_production_refuses_the_outbox_and_a_localhost_sender(changes, problems):
    found = config.production_problems(GOOD_PRODUCTION | changes, ["bearer"])

    assert len(found) == len(problems)
    for problem, words in zip(found, problems, strict=True):
        assert problem.startswith(words)
