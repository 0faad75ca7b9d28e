"""A real local SMTP server (aiosmtpd) for tests, and a self-signed certificate for its TLS.

`running_smtp_server(...)` starts one on a free 127.0.0.1 port and yields an `SmtpServer`
(host, port, messages): each message received is parsed with the `email` package, with the
envelope added as headers `X-MailFrom`, `X-RcptTo`, `X-TLS` (yes/no) and `X-Authenticated-As`.
The `smtp_server` fixture is a plain one (no TLS, no AUTH); other test packages can reuse it with
`from tests.smtp_server import smtp_server` in their conftest.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import NamedTuple

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


class SmtpServer(NamedTuple):
    host: str
    port: int
    messages: list[EmailMessage]


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, its key, and a client context trusting it."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))


def make_certificate(directory: Path) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LeaverGuard test SMTP")])
    now = datetime.now(UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificate(cert_file, key_file)


def free_port() -> int:
    """A port nothing listens on right now (aiosmtpd 1.4.6 cannot bind port 0 itself)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _Recorder:
    """aiosmtpd handler: refuses the listed recipients, keeps every message it accepts."""

    def __init__(self, refuse: dict[str, str], quit_reply: str | None):
        self.refuse = refuse
        self.quit_reply = quit_reply
        self.messages: list[EmailMessage] = []

    async def handle_QUIT(self, server, session, envelope):
        return self.quit_reply or "221 Bye"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message["X-MailFrom"] = envelope.mail_from
        message["X-RcptTo"] = ", ".join(envelope.rcpt_tos)
        message["X-TLS"] = "yes" if server.transport.get_extra_info("ssl_object") else "no"
        if session.authenticated:
            message["X-Authenticated-As"] = session.auth_data
        self.messages.append(message)
        return "250 Message accepted"


def _authenticator(users: dict[str, str]):
    def authenticate(server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = users.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=login)  # handled=False: aiosmtpd answers 535

    return authenticate


@contextmanager
def running_smtp_server(
    *,
    certificate: Certificate | None = None,
    implicit_tls: bool = False,
    require_starttls: bool = False,
    users: dict[str, str] | None = None,
    refuse: dict[str, str] | None = None,
    quit_reply: str | None = None,
) -> Iterator[SmtpServer]:
    """An SMTP server on a free port: STARTTLS offered when given a certificate (or implicit TLS),
    AUTH required when given `users` (login -> password), `refuse` maps a recipient to the reply,
    `quit_reply` replaces the answer to QUIT."""
    recorder = _Recorder(refuse or {}, quit_reply)
    options: dict = {}
    if certificate and not implicit_tls:
        options |= {"tls_context": certificate.server_context(), "require_starttls": require_starttls}
    if users is not None:
        # aiosmtpd warns (an error under pytest) when AUTH is required without STARTTLS: require both or neither.
        over_starttls = certificate is not None and not implicit_tls
        options |= {"authenticator": _authenticator(users), "auth_required": over_starttls}
        options["auth_require_tls"] = over_starttls
    port = free_port()
    ssl_context = certificate.server_context() if certificate and implicit_tls else None
    controller = Controller(recorder, hostname=HOST, port=port, ssl_context=ssl_context, **options)
    controller.start()
    try:
        yield SmtpServer(HOST, port, recorder.messages)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain local SMTP server (no TLS, no AUTH) yielding (host, port, messages received)."""
    with running_smtp_server() as server:
        yield server
