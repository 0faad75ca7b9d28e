"""Fixtures for adapter tests: a real local SMTP server (see tests/smtp_server.py)."""

from __future__ import annotations

from tests.smtp_server import smtp_server  # noqa: F401 (a fixture, shared with other test packages)
