"""Mail through the Gmail API: `users.messages.send(userId="me", body={"raw": base64url(MIME)})`.

A service account with domain-wide delegation acts as the sender (scope gmail.send only);
the credentials and the authorised transport come from `google_auth`, shared with the Google
Directory sync. The MIME message is the same one SMTP sends (`mail.build_message`). One attempt,
no retries here (the mail queue retries); failures become MailError.

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from .google_auth import GoogleAuthError as KeyFileError
from .google_auth import authorized_http, delegated_credentials
from .mail import Mail, MailError, build_message, envelope_sender

GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
#: Seconds for each HTTP call (token and send); the queue runs in the background, this bounds a hang.
TIMEOUT = 30.0
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
HINTS = {
    400: "Gmail refused the message",
    401: "the service account's token was refused",
    403: "Gmail API access was refused: enable the Gmail API for the service account's project",
}
DELEGATION_HINT = (
    "allow the service account's client id the scope gmail.send under domain-wide delegation"
    " (Google Admin console), and make LEAVERGUARD_MAIL_FROM a Workspace user"
)


class GmailTransport:
    """Sends as `Mail.sender`, impersonated by the service account in `key_file`."""

    name = "gmail"

    def __init__(self, key_file: str, *, timeout: float = TIMEOUT, http: httplib2.Http | None = None):
        self.key_file = key_file
        self.timeout = timeout
        # Tests hand in an HttpMockSequence: the token request and the send both go through it.
        self._http = http

    def send(self, mail: Mail) -> None:
        raw = base64.urlsafe_b64encode(build_message(mail).as_bytes()).decode("ascii")
        sender = envelope_sender(mail)
        try:
            self._service(sender).users().messages().send(userId="me", body={"raw": raw}).execute(num_retries=0)
        except (KeyFileError, auth_exceptions.GoogleAuthError, HttpError, httplib2.HttpLib2Error, OSError) as exc:
            raise mail_error(exc, sender) from None

    def _service(self, sender: str) -> Any:
        credentials = delegated_credentials(self.key_file, sender, [GMAIL_SEND])
        http = authorized_http(credentials, timeout=self.timeout, http=self._http)
        # A new service per mail: an httplib2 connection is not safe to share between threads.
        return build("gmail", "v1", http=http, static_discovery=True, cache_discovery=False)


def mail_error(exc: Exception, sender: str) -> MailError:
    """What a failure means for the admin; throttling, outages and network trouble may pass later."""
    if isinstance(exc, KeyFileError):  # the service account key file: a setting to fix
        return MailError(str(exc), retryable=False)
    if isinstance(exc, auth_exceptions.RefreshError):
        retryable = bool(getattr(exc, "retryable", False))
        # google-auth puts the token endpoint's error text first and its whole answer second.
        why = f"Google refused a token to act as {sender} ({_first_line(exc.args[0] if exc.args else exc)})"
        return MailError(why if retryable else f"{why}; {DELEGATION_HINT}", retryable=retryable)
    if isinstance(exc, HttpError):
        status = exc.resp.status
        why = f"Gmail API answered {status}: {_first_line(exc.reason)}"
        hint = HINTS.get(status)
        retryable = status in RETRYABLE_STATUSES
        return MailError(f"{why} ({hint})" if hint and not retryable else why, retryable=retryable)
    if isinstance(exc, (auth_exceptions.TransportError, httplib2.HttpLib2Error, OSError)):
        return MailError(f"cannot reach Google ({type(exc).__name__}: {_first_line(exc)})")
    return MailError(f"Google refused the credentials ({_first_line(exc)})", retryable=False)


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0][:300] if text else ""


def from_config(config: Mapping[str, Any]) -> GmailTransport:
    return GmailTransport(config["GOOGLE_SERVICE_ACCOUNT_FILE"])


def settings_problems(config: Mapping[str, Any]) -> list[str]:
    """What is missing for the gmail transport."""
    key_file = config.get("GOOGLE_SERVICE_ACCOUNT_FILE")
    if not key_file:
        return ["LEAVERGUARD_MAIL_TRANSPORT=gmail needs LEAVERGUARD_GOOGLE_SERVICE_ACCOUNT_FILE"]
    if not Path(key_file).is_file():  # read at each send (a rotated key applies at once), but must be there
        return [f"LEAVERGUARD_GOOGLE_SERVICE_ACCOUNT_FILE={key_file!r} is not a file"]
    return []
