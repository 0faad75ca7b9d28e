"""Mail over SMTP: STARTTLS (default) or implicit TLS, optional AUTH, a timeout on every step.

`SmtpTransport.send` delivers one message once or raises MailError: connection trouble,
timeouts and 4xx answers are retryable, 5xx answers and settings to fix are not, and
recipients the server refused are named with its answer. The password never appears in
a reason. `from_config` / `settings_problems` read and check the SMTP_* settings.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from .mail import Mail, MailError, build_message, checked, envelope_sender, redact, reveal

SECURITY_MODES = ("starttls", "tls", "none")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # "starttls" | "tls" (implicit, port 465) | "none"
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    local_hostname: str | None = None  # EHLO name; None lets smtplib use this machine's name


class SmtpTransport:
    """SMTP with STARTTLS (default) or implicit TLS, optional AUTH, and a timeout on every step."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        # Tests hand in a context that trusts their own certificate; production uses the system's CAs.
        self._ssl_context = ssl_context

    def send(self, mail: Mail) -> None:
        message, recipients = build_message(mail), checked(mail).to
        try:
            refused = self._deliver(message, envelope_sender(mail), recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc) from None
        if refused:  # delivered to the others: a retry would send them a second copy
            raise _refused_error(refused, recipients, retryable=False)

    def _deliver(self, message: EmailMessage, sender: str, recipients: tuple[str, ...]) -> dict:
        """The recipients the server refused; raises if it took the message for nobody."""
        smtp = self._connect()
        try:
            if self.settings.username:
                smtp.login(self.settings.username, self.settings.password)
            return smtp.send_message(message, from_addr=sender, to_addrs=list(recipients))
        finally:
            _quit(smtp)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = self._ssl_context or ssl.create_default_context()
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, s.local_hostname, timeout=s.timeout, context=context)
        smtp = smtplib.SMTP(s.host, s.port, s.local_hostname, timeout=s.timeout)
        try:
            if s.security == "starttls":
                smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _error(self, exc: Exception) -> MailError:
        error = smtp_error(exc, f"{self.settings.host}:{self.settings.port}", self.settings.timeout)
        reason = redact(error.reason, (self.settings.password,))
        return MailError(reason, retryable=error.retryable, refused=error.refused)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye, ignoring how: once the server took the message, a failed QUIT must not cause a resend."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def smtp_error(exc: Exception, where: str, timeout: float) -> MailError:
    """What an smtplib or socket failure means for the admin, and whether a retry may help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = exc.recipients
        return _refused_error(refused, (), retryable=all(400 <= code < 500 for code, _ in refused.values()))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailError(f"{where} refused the user name or password ({_answer(exc)})", retryable=False)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailError(f"{where} refused the sender {exc.sender} ({_answer(exc)})", retryable=_temporary(exc))
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(f"{where} answered {_answer(exc)}", retryable=_temporary(exc))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, TimeoutError):  # smtplib's wrapper of a read that timed out
            return _connection_error(exc.__context__, where, timeout)
        return MailError(f"{where} closed the connection ({exc})")
    if isinstance(exc, smtplib.SMTPException):  # e.g. STARTTLS or AUTH not offered: a setting to fix
        return MailError(f"{where}: {exc}", retryable=False)
    return _connection_error(exc, where, timeout)


def _connection_error(exc: BaseException, where: str, timeout: float) -> MailError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = f"the server's TLS certificate was not accepted ({exc.verify_message})"
        return MailError(f"{where}: {why}", retryable=False)
    if isinstance(exc, ssl.SSLError):
        hint = "check LEAVERGUARD_SMTP_SECURITY and LEAVERGUARD_SMTP_PORT"
        return MailError(f"{where}: TLS failed ({getattr(exc, 'reason', None) or exc}); {hint}", retryable=False)
    if isinstance(exc, TimeoutError):
        return MailError(f"{where} did not answer within {timeout:g} s")
    return MailError(f"cannot connect to {where}: {exc.strerror or exc}")


def _refused_error(refused: Mapping[str, tuple[int, bytes]], recipients: tuple[str, ...], *, retryable: bool):
    answers = {address: f"{code} {_text(message)}" for address, (code, message) in refused.items()}
    listed = ", ".join(f"{address} ({answer})" for address, answer in answers.items())
    accepted = [address for address in recipients if address not in refused]
    sent = f"sent to {', '.join(accepted)}, but " if accepted else ""
    return MailError(f"{sent}the server refused {listed}", retryable=retryable, refused=answers)


def _temporary(exc: smtplib.SMTPResponseException) -> bool:
    """4xx is a temporary failure (try again later); 5xx a permanent one (RFC 5321 §4.2.1)."""
    return 400 <= exc.smtp_code < 500


def _answer(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _text(message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return " ".join(text.split())[:300]


def from_config(config: Mapping[str, Any]) -> SmtpTransport:
    """The transport from the SMTP_* settings; security defaults to implicit TLS on port 465, else STARTTLS."""
    port = int(config.get("SMTP_PORT") or 587)
    settings = SmtpSettings(
        host=config["SMTP_HOST"],
        port=port,
        security=config.get("SMTP_SECURITY") or ("tls" if port == 465 else "starttls"),
        username=config.get("SMTP_USERNAME") or "",
        password=reveal(config.get("SMTP_PASSWORD")),
        timeout=float(config.get("SMTP_TIMEOUT") or 10.0),
        local_hostname=ehlo_name(config.get("BASE_URL") or ""),
    )
    return SmtpTransport(settings)


def ehlo_name(base_url: str) -> str | None:
    """The server's public host name is the best EHLO name; an IP goes in brackets; None lets smtplib ask the OS."""
    host = urlsplit(base_url).hostname
    if not host:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[IPv6:{ip}]" if ip.version == 6 else f"[{ip}]"


def settings_problems(config: Mapping[str, Any]) -> list[str]:
    """What is missing or unsafe in the SMTP settings."""
    problems = []
    if not config.get("SMTP_HOST"):
        problems.append("LEAVERGUARD_MAIL_TRANSPORT=smtp needs LEAVERGUARD_SMTP_HOST")
    security = config.get("SMTP_SECURITY") or "starttls"
    if security not in SECURITY_MODES:
        problems.append(f"LEAVERGUARD_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
    has_user, has_password = bool(config.get("SMTP_USERNAME")), bool(reveal(config.get("SMTP_PASSWORD")))
    if has_user != has_password:
        problems.append("LEAVERGUARD_SMTP_USERNAME and LEAVERGUARD_SMTP_PASSWORD go together: set both or neither")
    if has_password and security == "none":
        problems.append("LEAVERGUARD_SMTP_SECURITY=none would send the SMTP password unencrypted: use starttls or tls")
    return problems
