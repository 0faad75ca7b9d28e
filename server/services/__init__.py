"""Use cases: load the facts, ask the pure core, record what happened, return the answer.

- checking: the send-time check (`check_message`), the audit of a refused one, and the settings cache.
- signoff: HR sign-off decisions (never by the sender), reminders and expiry; re-exports the two below.
- signoff_requests: making a request: who is asked, the hourly limits, the row and the mails.
- signoff_settings: what sign-off reads from configuration.
- signoff_records: a sign-off request's stored row, the mails it queues and its audit events.
- policy_admin: the policy page: save an admin's settings (audited, version-checked), test a message.
- console: the admin console's read-only views: dashboard, sign-off queue, sync status.
- audit_log: the audit log's pages, its CSV export and a leaver's evidence (exports audited).
- mailing: the outbound mail queue and its delivery.
- retention: purging what is past its retention period, and erasing a departure.

Each function takes its dependencies (an Engine, the clock's `now`, a mail
transport) as arguments, so tests and the benchmark call them without a web
request. Must not import Flask.
"""

from .checking import (
    CheckMode,
    CheckRequest,
    CheckResult,
    SettingsCache,
    check_message,
    record_refused_check,
    resolve_sender,
)

__all__ = [
    "CheckMode",
    "CheckRequest",
    "CheckResult",
    "SettingsCache",
    "check_message",
    "record_refused_check",
    "resolve_sender",
]
