"""Use cases: load the facts, ask the pure core, record what happened, return the answer.

- checking: the send-time check (`check_message`) and the settings cache.
- signoff: HR sign-off requests, decisions, reminders and expiry.
- signoff_records: a sign-off request's stored row and the mails it queues.
- policy_admin: the policy page: save an admin's settings (audited, version-checked), test a message.
- console: the admin console's read-only views: dashboard, sign-off queue, sync status.
- audit_log: the audit log's pages, its CSV export and a leaver's evidence (exports audited).
- mailing: the outbound mail queue and its delivery.

Each function takes its dependencies (an Engine, the clock's `now`, a mail
transport) as arguments, so tests and the benchmark call them without a web
request. Must not import Flask.
"""

from .checking import CheckMode, CheckRequest, CheckResult, SettingsCache, check_message, resolve_sender

__all__ = ["CheckMode", "CheckRequest", "CheckResult", "SettingsCache", "check_message", "resolve_sender"]
