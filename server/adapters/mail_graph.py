"""Mail through Microsoft Graph: `POST /v1.0/users/{sender}/sendMail` with an app-only token.

The token (MSAL `acquire_token_for_client`) and the HTTP call come from `graph.GraphClient`,
shared with the Entra ID sync, built here with ONE attempt: retrying is the mail queue's job,
and an inner retry loop would sleep inside a send. The client itself still gets one fresh
token after a 401. Every failure becomes MailError, retryable for throttling, outages and
timeouts, not for refusals that only an admin can fix (permissions, a mailbox that does not exist).

Must not import Flask, SQLAlchemy or the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from msal.exceptions import MsalError

from .graph import DEFAULT_AUTHORITY_HOST, DEFAULT_ENDPOINT, GraphClient, GraphError
from .http import RetryPolicy
from .mail import Mail, MailError, checked, envelope_sender, mailbox, redact, reveal

#: Seconds for each HTTP call (token and sendMail); the queue runs in the background, this bounds a hang.
TIMEOUT = 30.0
#: Token endpoint errors that a later try may get past (the others are settings to fix).
TRANSIENT_TOKEN_ERRORS = ("temporarily_unavailable", "server_error")
HINTS = {
    401: "check the Graph client id and secret",
    403: "grant the app registration the Mail.Send application permission, and let an application"
    " access policy (if any) include the sender's mailbox",
    404: "LEAVERGUARD_MAIL_FROM must be an existing Exchange Online mailbox",
}


class GraphTransport:
    """Sends as the mailbox of `Mail.sender` (its display name comes from Exchange, not from the Mail)."""

    name = "graph"

    def __init__(self, client: GraphClient, *, secrets: tuple[str, ...] = ()):
        self.client = client
        self._secrets = secrets  # blotted out of every reason, whatever an endpoint echoes back

    def send(self, mail: Mail) -> None:
        mail = checked(mail)
        path = f"/v1.0/users/{quote(envelope_sender(mail), safe='@')}/sendMail"
        try:
            self.client.post(path, json=send_mail_body(mail))  # 202 Accepted, no body
        except (GraphError, MsalError) as exc:
            error = mail_error(exc)
            raise MailError(redact(error.reason, self._secrets), retryable=error.retryable) from None


def send_mail_body(mail: Mail) -> dict[str, Any]:
    """The JSON of sendMail: HTML body if there is one (Graph takes one body), else the text."""
    if mail.html is not None:
        body = {"contentType": "HTML", "content": mail.html}
    else:
        body = {"contentType": "Text", "content": mail.text}
    message: dict[str, Any] = {
        "subject": mail.subject,
        "body": body,
        "toRecipients": [_recipient(address) for address in mail.to],
    }
    if mail.reply_to:
        message["replyTo"] = [_recipient(mail.reply_to)]
    # HR's approval mails are records of the workflow in LeaverGuard, not the mailbox's business.
    return {"message": message, "saveToSentItems": False}


def _recipient(value: str) -> dict[str, Any]:
    name, address = mailbox(value)
    return {"emailAddress": {"address": address, **({"name": name} if name else {})}}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def mail_error(exc: GraphError | MsalError) -> MailError:
    """Throttling (429), server errors and unreachable endpoints may pass later; other refusals need an admin."""
    if isinstance(exc, MsalError):  # MSAL raises on a token endpoint's 5xx/429 rather than answering an error
        return MailError(f"Microsoft Graph: the token endpoint failed ({_first_line(exc)})")
    status, reason = exc.status, str(exc)
    if status is None or status == 408 or status == 429 or status >= 500:
        return MailError(reason)
    if any(code in reason for code in TRANSIENT_TOKEN_ERRORS):
        return MailError(reason)
    hint = HINTS.get(status)
    return MailError(f"{reason} ({hint})" if hint else reason, retryable=False)


def from_config(config: Mapping[str, Any]) -> GraphTransport:
    """The transport from the shared Graph settings (GRAPH_TENANT_ID, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET)."""
    secret = reveal(config["GRAPH_CLIENT_SECRET"])
    client = GraphClient(
        config["GRAPH_TENANT_ID"],
        config["GRAPH_CLIENT_ID"],
        secret,
        authority_host=config.get("GRAPH_AUTHORITY_HOST") or DEFAULT_AUTHORITY_HOST,
        endpoint=config.get("GRAPH_ENDPOINT") or DEFAULT_ENDPOINT,
        policy=RetryPolicy(attempts=1, timeout=TIMEOUT),
    )
    return GraphTransport(client, secrets=(secret,))


def settings_problems(config: Mapping[str, Any]) -> list[str]:
    """What is missing for the graph transport."""
    needed = ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET")
    missing = [name for name in needed if not reveal(config.get(name))]
    return [f"LEAVERGUARD_MAIL_TRANSPORT=graph needs LEAVERGUARD_{name}" for name in missing]
