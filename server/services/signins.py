"""Sign-ins to the admin console: each one is an audit event (kind `signin`, the person as actor).

Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine

from .. import store


def record_signin(engine: Engine, *, address: str, provider: str, claim_roles: Iterable[str], now: datetime) -> None:
    """Audit that `address` signed in with `provider`, and which roles the provider's claims granted."""
    details = {"provider": provider, "claim_roles": sorted(claim_roles)}
    with engine.begin() as conn:
        store.record_audit(conn, at=now, kind="signin", actor=address, details=details)
