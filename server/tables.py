"""The database schema as SQLAlchemy Core tables; Alembic migrations are written against it.

Addresses are stored twice where they are matched: `email` as written
(normalised, for display) and `match_key` (model.Address.key), which every
lookup uses and which is indexed.

Must not import Flask or other server modules: store.py, the migrations and the
benchmark import it on their own.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ADDRESS = String(320)
DOMAIN = String(253)
# PostgreSQL compares text in the database's collation (en_US.UTF-8, C.UTF-8 …), whose B-trees cannot answer
# a prefix (`LIKE 'kim%'`, or a range): the admin console's searches compare keys byte-wise (COLLATE "C"),
# and these indexes (migration 0005) are in that collation. SQLite compares bytes already. The collation
# rides in postgresql_ops, which renders after the column name, where PostgreSQL expects it.
_BYTEWISE = {"match_key": 'COLLATE "C"', "domain": 'COLLATE "C"'}


def postgresql_only(index: Index) -> Index:
    """An index only PostgreSQL gets (SQLite's primary keys do its job); test_migrations reads its `info`."""
    index.info["dialect"] = "postgresql"
    return index.ddl_if(dialect="postgresql")


internal_domains = Table(
    "internal_domains",
    metadata,
    Column("domain", DOMAIN, primary_key=True),
)

client_accounts = Table(
    "client_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("owner_email", ADDRESS),
    Column("source", String(40), nullable=False, default="manual"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The account's id in the CRM it is synced from (NULL for manual and CSV accounts): CRM names
    # are neither unique nor stable, so a sync finds its accounts by (source, external_id).
    Column("external_id", String(100)),
    Index("ix_client_accounts_source_external_id", "source", "external_id", unique=True),
)

client_domains = Table(
    "client_domains",
    metadata,
    Column("domain", DOMAIN, primary_key=True),
    Column("account_id", Integer, ForeignKey("client_accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("source", String(40), nullable=False, default="manual"),
    postgresql_only(Index("ix_client_domains_domain_bytewise", "domain", postgresql_ops=_BYTEWISE)),
)

client_contacts = Table(
    "client_contacts",
    metadata,
    Column("match_key", ADDRESS, primary_key=True),
    Column("email", ADDRESS, nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("account_id", Integer, ForeignKey("client_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(40), nullable=False, default="manual"),
    # An account's contacts in key order, for its page (keyset, whatever the account's size); added in 0005
    # in place of an index on account_id alone. PostgreSQL orders the keys byte-wise, as console.paging does.
    Index("ix_client_contacts_account_id_match_key", "account_id", "match_key", postgresql_ops=_BYTEWISE),
    # Contacts whose key starts with what an admin typed (console.clients_store.contacts_starting).
    postgresql_only(Index("ix_client_contacts_match_key_bytewise", "match_key", postgresql_ops=_BYTEWISE)),
)

departures = Table(
    "departures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", ADDRESS, nullable=False),
    Column("match_key", ADDRESS, nullable=False, unique=True),
    Column("notice_date", Date, nullable=False),
    Column("last_working_date", Date, nullable=False),
    Column("garden_leave_date", Date),
    Column("successor_email", ADDRESS),
    Column("status", String(20), nullable=False, default="active"),
    Column("source", String(40), nullable=False, default="manual"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Added in 0008: the person's directory account, filled by the Entra ID (object id, tenant GUID) and
    # Google Directory (user id, "google") syncs; the check matches a caller by it before any address.
    # One departure per account: the unique index lets NULLs (records no sync has matched yet) repeat.
    Column("object_id", String(64)),
    Column("tenant_id", String(64)),
    Index("ix_departures_tenant_id_object_id", "tenant_id", "object_id", unique=True),
)

# Every address a leaver sends as: the primary address and each alias.
departure_addresses = Table(
    "departure_addresses",
    metadata,
    Column("match_key", ADDRESS, primary_key=True),
    Column("email", ADDRESS, nullable=False),
    Column("departure_id", Integer, ForeignKey("departures.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("is_primary", Boolean, nullable=False, default=False),
)

departure_personal_addresses = Table(
    "departure_personal_addresses",
    metadata,
    Column("departure_id", Integer, ForeignKey("departures.id", ondelete="CASCADE"), primary_key=True),
    Column("match_key", ADDRESS, primary_key=True),
    Column("email", ADDRESS, nullable=False),
)

# One row (id = 1). `version` goes up with every change, so caches can tell.
policy_settings = Table(
    "policy_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ladder", JSON, nullable=False),
    Column("webmail_domains", JSON, nullable=False),
    Column("successor_rule", Boolean, nullable=False),
    Column("solicitation_signals", Boolean, nullable=False),
    Column("monitor_only", Boolean, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Added in 0004 (admin console): the texts users see, as overrides of the built-in ones
    # ({"en": {"key": "text"}, ...}), and the add-in's fail mode (NULL: LEAVERGUARD_ADDIN_FAIL_MODE).
    Column("texts", JSON, nullable=False, default=dict),
    Column("fail_mode", String(10)),
)

approval_requests = Table(
    "approval_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_key", ADDRESS, nullable=False),
    Column("sender_email", ADDRESS, nullable=False),
    Column("fingerprint", String(80), nullable=False),
    Column("status", String(20), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("attachments", JSON, nullable=False),
    Column("justification", Text, nullable=False, default=""),
    Column("attestation", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", ADDRESS),
    Column("comment", Text),
    # Added in 0002: the sender's language, who was asked, what HR saw, and the lifecycle marks.
    Column("locale", String(35), nullable=False, default="en"),
    Column("approvers", JSON, nullable=False, default=list),
    Column("context", JSON, nullable=False, default=dict),
    Column("reminded_at", DateTime(timezone=True)),
    Column("consumed_at", DateTime(timezone=True)),
    # Added in 0006: the keys of every address the sender's departure record knew when they asked (the
    # request's sender_key, aliases, personal addresses), so nobody decides their own request under another
    # address, and the hourly request limit counts one person's requests whichever address they asked from.
    Column("sender_keys", JSON, nullable=False, default=list),
    # Added in 0007 (retention): when the subject, body, attachment names and justification were removed.
    Column("content_removed_at", DateTime(timezone=True)),
    Index("ix_approval_requests_sender_fingerprint", "sender_key", "fingerprint"),
    Index("ix_approval_requests_status_created", "status", "created_at"),
    Index("ix_approval_requests_sender_created", "sender_key", "created_at"),  # the per-sender limit (0006)
    # 0007: every column that says whether (and since when) a request ended, so the retention's scans read
    # the index alone (server/retention_store.py).
    Index("ix_approval_requests_ended", "status", "decided_at", "consumed_at", "expires_at", "content_removed_at"),
)

# One signed link per approver per request. The token in the e-mail names a row
# here; `used_at` is set when a decision is made through it (a link decides once).
approval_links = Table(
    "approval_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("approval_id", Integer, ForeignKey("approval_requests.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("approver_email", ADDRESS, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("opened_at", DateTime(timezone=True)),
    Column("used_at", DateTime(timezone=True)),
    Index("ix_approval_links_approver_created", "approver_email", "created_at"),  # the per-approver limit (0006)
)

# Every e-mail LeaverGuard sends, queued first and delivered by a worker, so a
# slow or failing mail server never breaks the request that caused the mail.
# The `outbox` transport (development) stops here: /dev/outbox lists these rows.
outbound_mail = Table(
    "outbound_mail",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("approval_id", Integer, ForeignKey("approval_requests.id", ondelete="SET NULL"), index=True),
    Column("recipients", JSON, nullable=False),
    Column("subject", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("transport", String(20)),
    Column("last_error", Text),
    Index("ix_outbound_mail_status_next", "status", "next_attempt_at"),
    # 0007: sent and failed mail by age, for the retention.
    Index("ix_outbound_mail_status_sent", "status", "sent_at", "created_at"),
)

# One row per event: a send-time decision (kind "check"), and later approvals,
# policy changes, imports. Never the message body.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("verdict", String(20)),
    Column("fingerprint", String(80)),
    Column("approval_id", Integer),
    Column("details", JSON, nullable=False),
    Index("ix_audit_events_actor_at", "actor", "at"),
)


# One row per sync run of a source of truth (issue 7): what it did, or why it did nothing.
# `conflicts` lists what the source claims but a hand-entered record holds; `cursor` is what the
# source's next run starts from (the hr-csv file applied last).
sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(40), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("added", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("removed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("errors", JSON, nullable=False),
    Column("conflicts", JSON, nullable=False),
    Column("cursor", String(200)),
    Index("ix_sync_runs_source_id", "source", "id"),
)

# A CSV file uploaded on the admin console, kept between its preview and the admin's
# confirmation (every worker and replica must find it: a file on one machine's disk would not do).
# The id is random, so one admin cannot guess another's upload; old rows are deleted by housekeeping.
pending_uploads = Table(
    "pending_uploads",
    metadata,
    Column("id", String(43), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per CSV import that writes (issue 12): from the command line, the console, or a background job
# of the console. `slot` is the kind while the job runs and NULL once it ended, so its unique index lets
# one import of a kind run at a time across every process. `heartbeat_at` moves while the job's process
# lives; a running job whose heartbeat is stale died with its process (services/import_jobs.py).
import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("status", String(20), nullable=False),
    Column("slot", String(20), unique=True),
    Column("phase", String(20), nullable=False),
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_written", Integer, nullable=False, default=0),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("report", JSON),
    Column("error", Text),
)

# What a SQLite import overwrote, one row per batch it wrote (bulk_merge.py): the keys it added and the
# previous values of the rows it changed, so that an import whose process died is undone. Deleted in the
# transaction that completes the import.
import_undo = Table(
    "import_undo",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("import_jobs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("added", JSON, nullable=False),
    Column("changed", JSON, nullable=False),
)
