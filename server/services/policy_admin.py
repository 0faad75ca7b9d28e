"""The policy page's use cases: read the settings, save an admin's settings (audited), test a message.

Saving takes settings that are already validated (console.policy_form does that) and
writes them, the company's domains and an audit row `policy.changed` with the changed
fields before and after, in one transaction. It saves only over the version the admin
started from: anything else is someone else's save, refused with StaleSettings and
nothing written. The version bump makes every process's settings cache reload at its
next check.

Must not import Flask.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from .. import store
from ..console.policy_diff import changed_fields
from ..model import Address, OutgoingMessage, PolicySettings
from ..store import StaleSettings
from .checking import CheckMode, CheckRequest, CheckResult, SettingsCache, check_message

__all__ = ["StaleSettings", "current_policy", "save_policy", "try_message"]


def current_policy(engine: Engine) -> PolicySettings:
    with engine.connect() as conn:
        return store.load_settings(conn)


def save_policy(
    engine: Engine, settings: PolicySettings, *, expected_version: int, actor: str, now: datetime
) -> int | None:
    """Save `settings` over version `expected_version`: the new version, or None when nothing changed.

    Raises StaleSettings when the stored version is another one (someone saved meanwhile).
    """
    try:
        with engine.begin() as conn:
            before = store.load_settings(conn)
            if before.version != expected_version:
                raise StaleSettings(before.version)
            old, new = changed_fields(before, settings)
            if not new:
                return None
            version = store.save_settings(conn, settings, now, expected_version=expected_version)
            if "internal_domains" in new:
                store.replace_internal_domains(conn, settings.internal_domains)
            details = {"version": version, "before": old, "after": new}
            store.record_audit(conn, at=now, kind="policy.changed", actor=actor, details=details)
    except IntegrityError:  # two first-ever saves at once: the other one inserted the settings row
        raise StaleSettings(expected_version) from None
    return version


def try_message(
    engine: Engine,
    sender: Address,
    message: OutgoingMessage,
    *,
    locale: str,
    now: datetime,
    settings_cache: SettingsCache | None = None,
) -> CheckResult:
    """What the check would answer `sender` for `message` now: a preview, so no audit row and nothing sent."""
    request = CheckRequest(sender=sender, message=message, mode=CheckMode.PREVIEW, locale=locale, client_app="admin")
    return check_message(engine, request, now=now, settings_cache=settings_cache)
