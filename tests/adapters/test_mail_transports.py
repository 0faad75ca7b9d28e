"""Mail transports: the MIME message, outbox, SMTP against a real aiosmtpd server, Graph through `responses`,
Gmail through HttpMockSequence, and make_transport with good and bad settings.

Nothing here touches the network: SMTP talks to 127.0.0.1, Graph and Gmail to mocks.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import smtplib
import socket
import ssl
import time
from urllib.parse import parse_qs

import pytest
import requests
import responses
from googleapiclient.http import HttpMockSequence

from server.adapters.mail import Mail, MailConfigError, MailError, OutboxTransport, build_message, make_transport
from server.adapters.mail_gmail import GMAIL_SEND, GmailTransport
from server.adapters.mail_graph import GraphTransport
from server.adapters.mail_smtp import SmtpSettings, SmtpTransport, ehlo_name, smtp_error
from server.config import Secret
from tests import google_keys
from tests.builders import closed_port
from tests.smtp_server import make_certificate, running_smtp_server

from .fakes import CLIENT_ID, GRAPH, LOGIN, SECRET, TENANT, TOKEN_URL, mock_entra_authority

SENDER = "LeaverGuard <signoff@northwind.example>"
HR = "hr@northwind.example"
PASSWORD = "pa55-Word-never-shown"
UNICODE = [
    pytest.param(
        "Aprobación: nota de despedida a «Contoso»", "Hola Kim: Bob se ocupará de su cuenta. ¡Gracias!", id="es"
    ),
    pytest.param(
        "Согласование: прощальное письмо клиенту", "Здравствуйте, Ким!\nС понедельника вас ведёт Боб.", id="ru"
    ),
]


def make_mail(**changes) -> Mail:
    fields = dict(sender=SENDER, to=(HR,), subject="Sign-off requested", text="Please decide: https://lg/a/1")
    return Mail(**(fields | changes))


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(message: email.message.EmailMessage, subtype: str = "plain") -> str:
    """A text part's content with line ends as Python writes them (MIME's canonical form is CRLF)."""
    return message.get_body((subtype,)).get_content().replace("\r\n", "\n")


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


# --- the message ---------------------------------------------------------------------------------


def test_a_text_mail_is_one_plain_part_with_the_headers_a_relay_expects():
    message = build_message(make_mail(reply_to="alice@northwind.example"))

    assert message["From"] == SENDER
    assert (message["To"], message["Reply-To"], message["Subject"]) == (
        HR,
        "alice@northwind.example",
        "Sign-off requested",
    )
    assert message["Message-ID"].endswith("@northwind.example>")
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Please decide: https://lg/a/1\n"


def test_an_html_mail_is_multipart_alternative_with_the_text_first():
    message = parsed(build_message(make_mail(html="<p>Please <a href='https://lg/a/1'>decide</a></p>")).as_bytes())

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert "<a href='https://lg/a/1'>" in message.get_body(("html",)).get_content()


@pytest.mark.parametrize(("subject", "text"), UNICODE)
def test_unicode_subjects_and_bodies_survive_the_mime_message_which_is_plain_ascii(subject, text):
    raw = build_message(make_mail(subject=subject, text=text, html=f"<p>{text}</p>")).as_bytes()

    message = parsed(raw)
    assert raw.isascii()
    assert message["Subject"] == subject
    assert text_of(message) == text + "\n"
    assert text_of(message, "html") == f"<p>{text}</p>\n"


def test_a_line_break_in_the_subject_becomes_a_space_and_never_a_new_header():
    message = build_message(make_mail(subject="Hello\r\nBcc: everyone@elsewhere.example"))

    assert message["Subject"] == "Hello Bcc: everyone@elsewhere.example"
    assert message["Bcc"] is None


def test_an_international_domain_is_sent_in_its_ascii_form_and_a_display_name_in_any_script():
    message = build_message(make_mail(sender="Отдел кадров <hr@northwind.example>", to=("ana@españa.example",)))

    assert message["To"] == "ana@xn--espaa-rta.example"
    assert parsed(message.as_bytes())["From"].addresses[0].display_name == "Отдел кадров"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        pytest.param({"to": ()}, "no recipients", id="no recipients"),
        pytest.param({"to": ("not an address",)}, "'not an address' is not one e-mail address", id="no @"),
        pytest.param({"to": ("a b@northwind.example",)}, "local part", id="a space in the local part"),
        pytest.param({"to": ("ким@пример.рф",)}, "local part", id="a non-ASCII local part"),
        pytest.param({"to": ("kim@-contoso.example",)}, "valid domain", id="a bad domain"),
        pytest.param({"to": ("a@x.example, b@x.example",)}, "not one e-mail address", id="two addresses in one"),
        pytest.param({"sender": "LeaverGuard"}, "'LeaverGuard' is not one", id="a sender without address"),
        pytest.param({"reply_to": "x@y.example\nBcc: z@y.example"}, "line break", id="a header injection"),
    ],
)
def test_a_mail_that_cannot_be_sent_is_refused_for_good_naming_the_problem(changes, named):
    for send in (build_message, OutboxTransport().send):
        with pytest.raises(MailError) as refused:
            send(make_mail(**changes))

        assert named in refused.value.reason
        assert refused.value.retryable is False


def test_the_outbox_sends_nothing_and_accepts_a_good_mail():
    assert OutboxTransport().send(make_mail()) is None
    assert OutboxTransport.name == "outbox"


# --- SMTP against a real server ------------------------------------------------------------------


def smtp(server, certificate=None, **settings) -> SmtpTransport:
    context = certificate.client_context() if certificate else None
    return SmtpTransport(SmtpSettings(server.host, server.port, **settings), ssl_context=context)


def test_smtp_delivers_the_mail_to_every_recipient_with_the_bare_sender_as_envelope(smtp_server):
    mail = make_mail(to=(HR, "carol@northwind.example"), reply_to="alice@northwind.example", html="<p>Decide</p>")

    smtp(smtp_server, security="none").send(mail)

    (received,) = smtp_server.messages
    assert received["X-MailFrom"] == "signoff@northwind.example"
    assert received["X-RcptTo"] == f"{HR}, carol@northwind.example"
    assert (received["Subject"], received["Reply-To"], received["X-TLS"]) == (mail.subject, mail.reply_to, "no")
    assert text_of(received, "html") == "<p>Decide</p>\n"


@pytest.mark.parametrize(("subject", "text"), UNICODE)
def test_unicode_subjects_and_bodies_survive_smtp(smtp_server, subject, text):
    smtp(smtp_server, security="none").send(make_mail(subject=subject, text=text))

    (received,) = smtp_server.messages
    assert (received["Subject"], text_of(received)) == (subject, text + "\n")


def test_starttls_encrypts_the_session_and_auth_logs_in(certificate):
    with running_smtp_server(certificate=certificate, require_starttls=True, users={"lg": PASSWORD}) as server:
        smtp(server, certificate, username="lg", password=PASSWORD).send(make_mail())

        (received,) = server.messages
    assert (received["X-TLS"], received["X-Authenticated-As"]) == ("yes", "lg")


def test_ssl_cert_file_makes_the_system_trust_a_private_ca(certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))  # as the README tells admins with their own CA
    with running_smtp_server(certificate=certificate, require_starttls=True) as server:
        smtp(server).send(make_mail())  # no test context: the default one, which reads SSL_CERT_FILE

        assert [m["X-TLS"] for m in server.messages] == ["yes"]


def test_implicit_tls_works_on_its_own_port(certificate):
    with running_smtp_server(certificate=certificate, implicit_tls=True) as server:
        smtp(server, certificate, security="tls").send(make_mail())

        (received,) = server.messages
    assert received["X-TLS"] == "yes"


def smtp_failure(transport: SmtpTransport, mail: Mail | None = None) -> MailError:
    with pytest.raises(MailError) as failed:
        transport.send(mail or make_mail())
    return failed.value


def test_a_wrong_password_is_not_retried_and_never_shown(certificate):
    with running_smtp_server(certificate=certificate, users={"lg": "the-right-one"}) as server:
        error = smtp_failure(smtp(server, certificate, username="lg", password=PASSWORD))

        assert server.messages == []
    assert error.retryable is False
    assert "refused the user name or password (535" in error.reason
    assert PASSWORD not in error.reason


def test_starttls_asked_of_a_server_that_does_not_offer_it_is_a_setting_to_fix(smtp_server):
    error = smtp_failure(smtp(smtp_server))

    assert (error.retryable, smtp_server.messages) == (False, [])
    assert "STARTTLS extension not supported" in error.reason


def test_a_server_that_requires_starttls_refuses_a_plain_session_for_good(certificate):
    with running_smtp_server(certificate=certificate, require_starttls=True) as server:
        error = smtp_failure(smtp(server, security="none"))

    assert error.retryable is False
    assert "530" in error.reason


def test_a_certificate_the_system_does_not_trust_is_refused_for_good(certificate):
    with running_smtp_server(certificate=certificate) as server:
        error = smtp_failure(smtp(server))  # no context trusting the test certificate: the system's CAs

        assert server.messages == []
    assert error.retryable is False
    assert "TLS certificate was not accepted (self-signed certificate)" in error.reason


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [pytest.param("550 5.1.1 No such user", False, id="5xx permanent"), pytest.param("450 4.2.1 Busy", True, id="4xx")],
)
def test_a_refused_recipient_is_named_with_the_servers_answer(answer, retryable):
    with running_smtp_server(refuse={HR: answer}) as server:
        error = smtp_failure(smtp(server, security="none"))

    assert error.refused == {HR: answer}
    assert error.reason.endswith(f"the server refused {HR} ({answer})")
    assert error.retryable is retryable


def test_when_some_recipients_are_refused_the_others_get_it_once_and_it_is_not_retried():
    refused = "carol@northwind.example"
    with running_smtp_server(refuse={refused: "450 4.2.1 Mailbox busy"}) as server:
        error = smtp_failure(smtp(server, security="none"), make_mail(to=(HR, refused)))

        (received,) = server.messages
    assert received["X-RcptTo"] == HR
    assert error.reason == f"sent to {HR}, but the server refused {refused} (450 4.2.1 Mailbox busy)"
    assert error.retryable is False  # a retry would send HR a second copy


def test_a_mail_the_server_took_counts_as_sent_whatever_it_answers_to_quit():
    with running_smtp_server(quit_reply="421 4.3.2 Shutting down") as server:
        smtp(server, security="none").send(make_mail())

        assert len(server.messages) == 1


def test_a_closed_port_is_a_retryable_failure_at_once():
    started = time.monotonic()
    error = smtp_failure(SmtpTransport(SmtpSettings("127.0.0.1", closed_port(), timeout=5)))

    assert error.retryable is True
    assert error.reason.startswith("cannot connect to 127.0.0.1:")
    assert time.monotonic() - started < 2


def test_a_server_that_never_answers_times_out_and_may_be_retried():
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        error = smtp_failure(SmtpTransport(SmtpSettings("127.0.0.1", port, security="none", timeout=0.5)))

    assert error.reason == f"127.0.0.1:{port} did not answer within 0.5 s"
    assert error.retryable is True
    assert time.monotonic() - started < 3


SMTP_FAILURES = [
    (smtplib.SMTPRecipientsRefused({HR: (550, b"no such user")}), False, f"refused {HR} (550 no such user)"),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials " + PASSWORD.encode()), False, "535 bad credentials"),
    (smtplib.SMTPSenderRefused(553, b"not yours", "lg@x.example"), False, "refused the sender lg@x.example (553"),
    (smtplib.SMTPSenderRefused(451, b"try again later", "lg@x.example"), True, "(451 try again later)"),
    (smtplib.SMTPDataError(554, b"5.7.1 looks like spam"), False, "answered 554 5.7.1 looks like spam"),
    (smtplib.SMTPDataError(452, b"insufficient storage"), True, "answered 452 insufficient storage"),
    (smtplib.SMTPConnectError(421, b"too many connections"), True, "answered 421 too many connections"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, "closed the connection"),
    (smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."), False, "AUTH extension"),
    (smtplib.SMTPException("No suitable authentication method found."), False, "No suitable authentication"),
    (ConnectionRefusedError(111, "Connection refused"), True, "cannot connect to mail:587: Connection refused"),
    (socket.gaierror(-2, "Name or service not known"), True, "cannot connect to mail:587: Name or service"),
    (TimeoutError("timed out"), True, "mail:587 did not answer within 10 s"),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), False, "check LEAVERGUARD_SMTP_SECURITY"),
]


@pytest.mark.parametrize(("exc", "retryable", "reason"), SMTP_FAILURES, ids=lambda v: type(v).__name__)
def test_every_smtp_failure_says_what_happened_and_whether_a_retry_may_help(exc, retryable, reason):
    error = SmtpTransport(SmtpSettings("mail", password=PASSWORD))._error(exc)

    assert (error.retryable, reason in error.reason) == (retryable, True), error.reason
    assert PASSWORD not in error.reason


def test_smtp_error_without_a_transport_keeps_the_servers_words():
    assert smtp_error(smtplib.SMTPDataError(554, b"no"), "mail:25", 10).reason == "mail:25 answered 554 no"


# --- Microsoft Graph -----------------------------------------------------------------------------

SEND_MAIL = f"{GRAPH}/v1.0/users/signoff@northwind.example/sendMail"
GRAPH_CONFIG = {
    "MAIL_TRANSPORT": "graph",
    "MAIL_FROM": SENDER,
    "GRAPH_TENANT_ID": TENANT,
    "GRAPH_CLIENT_ID": CLIENT_ID,
    "GRAPH_CLIENT_SECRET": Secret(SECRET),
}


@pytest.fixture
def graph():
    """A graph transport from settings, and `responses` with the tenant's metadata and a token ready."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_entra_authority(rsps, "app-token-1", "app-token-2")
        yield make_transport(GRAPH_CONFIG), rsps


def sent_json(rsps) -> dict:
    (call,) = [c for c in rsps.calls if c.request.url == SEND_MAIL]
    assert call.request.headers["Authorization"] == "Bearer app-token-1"
    return json.loads(call.request.body)


def test_graph_posts_sendmail_as_the_sender_with_an_app_token_from_the_client_secret(graph):
    transport, rsps = graph
    rsps.post(SEND_MAIL, status=202)

    transport.send(make_mail(to=(HR, "Carol <carol@northwind.example>"), reply_to="alice@northwind.example"))

    assert sent_json(rsps) == {
        "message": {
            "subject": "Sign-off requested",
            "body": {"contentType": "Text", "content": "Please decide: https://lg/a/1"},
            "toRecipients": [
                {"emailAddress": {"address": HR}},
                {"emailAddress": {"address": "carol@northwind.example"}},
            ],
            "replyTo": [{"emailAddress": {"address": "alice@northwind.example"}}],
        },
        "saveToSentItems": False,
    }
    token_form = parse_qs(next(c.request.body for c in rsps.calls if c.request.url == TOKEN_URL))
    assert token_form["grant_type"] == ["client_credentials"]
    assert token_form["scope"] == [f"{GRAPH}/.default"]
    assert (token_form["client_id"], token_form["client_secret"]) == ([CLIENT_ID], [SECRET])


def test_graph_sends_the_html_body_when_there_is_one_and_reuses_its_token(graph):
    transport, rsps = graph
    rsps.post(SEND_MAIL, status=202)

    transport.send(make_mail(html="<p>Decide</p>"))
    transport.send(make_mail())

    bodies = [json.loads(c.request.body)["message"]["body"] for c in rsps.calls if c.request.url == SEND_MAIL]
    assert bodies == [{"contentType": "HTML", "content": "<p>Decide</p>"}, {"contentType": "Text", "content": ANY_TEXT}]
    assert [c.request.url for c in rsps.calls].count(TOKEN_URL) == 1


ANY_TEXT = "Please decide: https://lg/a/1"


@pytest.mark.parametrize(("subject", "text"), UNICODE)
def test_unicode_subjects_and_bodies_survive_graph(graph, subject, text):
    transport, rsps = graph
    rsps.post(SEND_MAIL, status=202)

    transport.send(make_mail(subject=subject, text=text))

    message = sent_json(rsps)["message"]
    assert (message["subject"], message["body"]["content"]) == (subject, text)


def graph_failure(transport) -> MailError:
    with pytest.raises(MailError) as failed:
        transport.send(make_mail())
    assert SECRET not in failed.value.reason
    return failed.value


@pytest.mark.parametrize(
    ("status", "code", "retryable", "hint"),
    [
        (400, "ErrorInvalidRecipients", False, None),
        (403, "ErrorAccessDenied", False, "Mail.Send application permission"),
        (404, "ErrorInvalidUser", False, "LEAVERGUARD_MAIL_FROM must be an existing"),
        (429, "ApplicationThrottled", True, None),
        (500, "InternalServerError", True, None),
        (503, "ServiceUnavailable", True, None),
    ],
)
def test_graph_answers_map_to_retryable_or_final_failures_with_a_hint(graph, status, code, retryable, hint):
    transport, rsps = graph
    rsps.post(SEND_MAIL, status=status, json={"error": {"code": code, "message": "Graph says no"}})

    error = graph_failure(transport)

    assert error.retryable is retryable
    assert f"answered {status}" in error.reason
    assert retryable or code in error.reason  # (for throttling and outages http.py keeps only the status)
    assert hint is None or hint in error.reason
    assert len([c for c in rsps.calls if c.request.url == SEND_MAIL]) == 1  # sent once: the queue retries


def test_graph_asks_a_fresh_token_once_after_a_401_and_then_gives_up_for_good(graph):
    transport, rsps = graph
    rsps.post(SEND_MAIL, status=401, json={"error": {"code": "InvalidAuthenticationToken"}})

    error = graph_failure(transport)

    auths = [c.request.headers["Authorization"] for c in rsps.calls if c.request.url == SEND_MAIL]
    assert auths == ["Bearer app-token-1", "Bearer app-token-2"]
    assert error.retryable is False
    assert "check the Graph client id and secret" in error.reason


def test_a_client_secret_entra_refuses_is_final_and_never_shown():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_entra_authority(rsps)
        rsps.replace(
            responses.POST,
            TOKEN_URL,
            status=401,
            json={"error": "invalid_client", "error_description": f"AADSTS7000215: Invalid client secret {SECRET}"},
        )
        error = graph_failure(make_transport(GRAPH_CONFIG))

    assert error.retryable is False
    assert "invalid_client" in error.reason


@pytest.mark.parametrize("status", [500, 503])
def test_an_outage_of_the_token_endpoint_may_be_retried(status):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_entra_authority(rsps)
        rsps.replace(responses.POST, TOKEN_URL, status=status, body="unavailable")
        error = graph_failure(make_transport(GRAPH_CONFIG))

    assert error.retryable is True
    assert "token" in error.reason


def test_graph_unreachable_may_be_retried(graph):
    transport, rsps = graph
    rsps.post(SEND_MAIL, body=requests.ConnectionError("connection refused"))

    error = graph_failure(transport)

    assert error.retryable is True
    assert "ConnectionError" in error.reason


# --- Gmail ---------------------------------------------------------------------------------------

GMAIL_SEND_URL = "https://gmail.googleapis.com/gmail/v1/users/me/messages/send"
GMAIL_CONFIG = {"MAIL_TRANSPORT": "gmail", "MAIL_FROM": SENDER}
TOKEN_OK = ({"status": "200"}, json.dumps({"access_token": "ya29.test", "expires_in": 3600, "token_type": "Bearer"}))
SENT_OK = ({"status": "200"}, json.dumps({"id": "18c0", "threadId": "18c0", "labelIds": ["SENT"]}))


@pytest.fixture(scope="session")
def service_account_file(tmp_path_factory):
    return google_keys.service_account_file(
        tmp_path_factory.mktemp("google"), "mailer@leaverguard-test.iam.gserviceaccount.com"
    )


def gmail(service_account_file, *answers) -> tuple[GmailTransport, HttpMockSequence]:
    http = HttpMockSequence(list(answers))
    return GmailTransport(service_account_file, http=http), http


def claims_of(token_request_body: bytes) -> dict:
    assertion = parse_qs(token_request_body.decode())["assertion"][0]
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_gmail_sends_the_mime_message_as_the_sender_through_domain_wide_delegation(service_account_file):
    transport, http = gmail(service_account_file, TOKEN_OK, SENT_OK)

    transport.send(make_mail(reply_to="alice@northwind.example", html="<p>Decide</p>"))

    (token_uri, _, token_body, _), (uri, method, body, headers) = http.request_sequence
    assert token_uri == "https://oauth2.googleapis.com/token"
    claims = claims_of(token_body)
    assert (claims["sub"], claims["scope"]) == ("signoff@northwind.example", GMAIL_SEND)
    assert (uri.split("?")[0], method, headers["authorization"]) == (GMAIL_SEND_URL, "POST", "Bearer ya29.test")
    message = parsed(base64.urlsafe_b64decode(json.loads(body)["raw"]))
    assert (message["From"], message["To"], message["Reply-To"]) == (SENDER, HR, "alice@northwind.example")
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(("subject", "text"), UNICODE)
def test_unicode_subjects_and_bodies_survive_gmail(service_account_file, subject, text):
    transport, http = gmail(service_account_file, TOKEN_OK, SENT_OK)

    transport.send(make_mail(subject=subject, text=text))

    message = parsed(base64.urlsafe_b64decode(json.loads(http.request_sequence[1][2])["raw"]))
    assert (message["Subject"], text_of(message)) == (subject, text + "\n")


@pytest.mark.parametrize(
    ("status", "retryable", "hint"),
    [
        (400, False, "Gmail refused the message"),
        (403, False, "enable the Gmail API"),
        (429, True, None),
        (500, True, None),
        (503, True, None),
    ],
)
def test_gmail_answers_map_to_retryable_or_final_failures(service_account_file, status, retryable, hint):
    answer = ({"status": str(status)}, json.dumps({"error": {"code": status, "message": "Gmail says no"}}))
    transport, http = gmail(service_account_file, TOKEN_OK, answer)

    with pytest.raises(MailError) as failed:
        transport.send(make_mail())

    assert failed.value.retryable is retryable
    assert f"Gmail API answered {status}: Gmail says no" in failed.value.reason
    assert hint is None or hint in failed.value.reason
    assert len(http.request_sequence) == 2  # sent once: the queue retries


def test_delegation_not_granted_is_a_final_failure_that_says_what_to_grant(service_account_file):
    refused = json.dumps({"error": "unauthorized_client", "error_description": "Client is unauthorized to retrieve"})
    transport, _ = gmail(service_account_file, ({"status": "401"}, refused))

    with pytest.raises(MailError) as failed:
        transport.send(make_mail())

    assert failed.value.retryable is False
    assert "Google refused a token to act as signoff@northwind.example (unauthorized_client" in failed.value.reason
    assert "domain-wide delegation" in failed.value.reason


class Unreachable:
    """An httplib2.Http stand-in whose every request fails as a refused connection does."""

    def request(self, *args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")


def test_google_unreachable_may_be_retried(service_account_file):
    with pytest.raises(MailError) as failed:
        GmailTransport(service_account_file, http=Unreachable()).send(make_mail())

    assert failed.value.retryable is True
    assert failed.value.reason.startswith("cannot reach Google")


@pytest.mark.parametrize("content", [None, "{not json", json.dumps({"type": "authorized_user"})])
def test_a_missing_or_wrong_key_file_is_a_final_failure_naming_the_file(tmp_path, content):
    key_file = tmp_path / "key.json"
    if content is not None:
        key_file.write_text(content)

    with pytest.raises(MailError) as failed:
        GmailTransport(str(key_file), http=HttpMockSequence([])).send(make_mail())

    assert failed.value.retryable is False
    assert str(key_file) in failed.value.reason


# --- make_transport --------------------------------------------------------------------------------


def test_without_settings_the_transport_is_the_outbox():
    assert make_transport({}).name == "outbox"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, SmtpSettings("smtp.northwind.example", 587, "starttls", local_hostname="lg.northwind.example")),
        ({"SMTP_PORT": 465}, SmtpSettings("smtp.northwind.example", 465, "tls", local_hostname="lg.northwind.example")),
        (
            {"SMTP_PORT": 25, "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 3.5},
            SmtpSettings("smtp.northwind.example", 25, "none", timeout=3.5, local_hostname="lg.northwind.example"),
        ),
        (
            {"SMTP_USERNAME": "lg", "SMTP_PASSWORD": Secret(PASSWORD)},
            SmtpSettings(
                "smtp.northwind.example", username="lg", password=PASSWORD, local_hostname="lg.northwind.example"
            ),
        ),
    ],
)
def test_smtp_settings_become_the_transports_settings(settings, expected):
    base = {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "smtp.northwind.example", "BASE_URL": "https://lg.northwind.example"}

    transport = make_transport(base | settings)

    assert (transport.name, transport.settings) == ("smtp", expected)


@pytest.mark.parametrize(
    ("base_url", "name"),
    [("https://lg.northwind.example/", "lg.northwind.example"), ("http://127.0.0.1:5000", "[127.0.0.1]"),
     ("http://[::1]:5000", "[IPv6:::1]"), ("", None)],
)  # fmt: skip
def test_the_ehlo_name_is_the_servers_public_host_name(base_url, name):
    assert ehlo_name(base_url) == name


def test_graph_and_gmail_transports_are_built_without_touching_the_network(service_account_file):
    with responses.RequestsMock() as rsps:  # any request would fail: none is registered
        built = [
            make_transport(GRAPH_CONFIG),
            make_transport(GMAIL_CONFIG | {"GOOGLE_SERVICE_ACCOUNT_FILE": service_account_file}),
        ]

        assert len(rsps.calls) == 0
    assert [type(t) for t in built] == [GraphTransport, GmailTransport]
    assert built[0].client.authority == f"{LOGIN}/{TENANT}"


BAD_SETTINGS = [
    ({"MAIL_TRANSPORT": "sendmail"}, ["MAIL_TRANSPORT must be one of outbox, smtp, graph, gmail, not 'sendmail'"]),
    ({"MAIL_FROM": "LeaverGuard"}, ["LEAVERGUARD_MAIL_FROM: 'LeaverGuard' is not one e-mail address"]),
    ({"MAIL_FROM": "a@x.example, b@x.example"}, ["LEAVERGUARD_MAIL_FROM: 'a@x.example, b@x.example' is not one"]),
    ({"MAIL_TRANSPORT": "smtp"}, ["LEAVERGUARD_MAIL_TRANSPORT=smtp needs LEAVERGUARD_SMTP_HOST"]),
    ({"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "m", "SMTP_SECURITY": "ssl"}, ["SMTP_SECURITY must be one of"]),
    ({"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "m", "SMTP_USERNAME": "lg"}, ["SMTP_PASSWORD go together"]),
    ({"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "m", "SMTP_PASSWORD": Secret("x")}, ["SMTP_PASSWORD go together"]),
    (
        {
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "m",
            "SMTP_SECURITY": "none",
            "SMTP_USERNAME": "u",
            "SMTP_PASSWORD": "p",
        },
        ["SMTP_SECURITY=none would send the SMTP password unencrypted"],
    ),
    (
        {"MAIL_TRANSPORT": "graph", "GRAPH_CLIENT_SECRET": Secret("")},
        [f"graph needs LEAVERGUARD_GRAPH_{name}" for name in ("TENANT_ID", "CLIENT_ID", "CLIENT_SECRET")],
    ),
    ({"MAIL_TRANSPORT": "gmail"}, ["gmail needs LEAVERGUARD_GOOGLE_SERVICE_ACCOUNT_FILE"]),
    (
        {"MAIL_TRANSPORT": "gmail", "GOOGLE_SERVICE_ACCOUNT_FILE": "/run/secrets/nowhere.json"},
        ["LEAVERGUARD_GOOGLE_SERVICE_ACCOUNT_FILE='/run/secrets/nowhere.json' is not a file"],
    ),
    (
        {"MAIL_TRANSPORT": "smtp", "MAIL_FROM": "x"},
        ["LEAVERGUARD_MAIL_FROM: 'x' is not one", "smtp needs LEAVERGUARD_SMTP_HOST"],
    ),
]


@pytest.mark.parametrize(("settings", "named"), BAD_SETTINGS)
def test_settings_that_cannot_work_are_refused_naming_every_problem(settings, named):
    with pytest.raises(MailConfigError) as refused:
        make_transport({"MAIL_FROM": SENDER} | settings)

    problems = str(refused.value).split("; ")
    assert len(problems) == len(named)
    for problem, words in zip(problems, named, strict=True):
        assert words in problem
