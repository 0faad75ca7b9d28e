"""Clients of outside systems, one module per system (Microsoft Graph, Google, HR systems, CRMs).

Each module holds one client with explicit timeouts, retries with backoff for
429 and 5xx (honouring Retry-After) through http.py, and one error type, a
subclass of AdapterError. Error messages name the system and what failed and
never carry a credential, a token or a URL's query string.

Must not import Flask, SQLAlchemy or the store: adapters know the outside
world, not LeaverGuard's database.
"""

from __future__ import annotations


class AdapterError(Exception):
    """An outside system could not be reached, refused us, or answered something unusable."""

    system = "outside system"

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(f"{self.system}: {message}")
        self.status = status
