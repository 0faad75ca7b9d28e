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
)

client_domains = Table(
    "client_domains",
    metadata,
    Column("domain", DOMAIN, primary_key=True),
    Column("account_id", Integer, ForeignKey("client_accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("source", String(40), nullable=False, default="manual"),
)

client_contacts = Table(
    "client_contacts",
    metadata,
    Column("match_key", ADDRESS, primary_key=True),
    Column("email", ADDRESS, nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("account_id", Integer, ForeignKey("client_accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("source", String(40), nullable=False, default="manual"),
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
    Index("ix_approval_requests_sender_fingerprint", "sender_key", "fingerprint"),
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
