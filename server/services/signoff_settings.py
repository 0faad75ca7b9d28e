"""What the HR sign-off workflow needs from configuration: who approves, where links point, how long, how often.

Its own module so that signoff.py (open, decide, remind) and signoff_requests.py (making a request) both
use it without importing each other. Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .. import links
from ..approvals import RequestLimits, Timing


@dataclass(frozen=True, slots=True)
class SignoffSettings:
    """What the workflow needs from configuration."""

    secret: str
    base_url: str  # where links point, without a trailing slash
    approvers: tuple[str, ...] = ()
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    hr_locale: str = "en"
    timing: Timing = field(default_factory=Timing)
    limits: RequestLimits = field(default_factory=RequestLimits)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignoffSettings:
        """From app.config (keys without the LEAVERGUARD_ prefix)."""
        timing = Timing(
            expiry=timedelta(hours=config["APPROVAL_EXPIRY_HOURS"]),
            reminder=timedelta(hours=config["APPROVAL_REMINDER_HOURS"]),
        )
        limits = RequestLimits(
            per_sender=config["SIGNOFF_REQUESTS_PER_HOUR"],
            per_approver=config["SIGNOFF_MAILS_PER_APPROVER_PER_HOUR"],
        )
        return cls(
            secret=config["SECRET_KEY"],
            base_url=config["BASE_URL"].rstrip("/"),
            approvers=tuple(config["HR_APPROVERS"]),
            routes=config["APPROVER_ROUTES"],
            hr_locale=config["HR_LOCALE"],
            timing=timing,
            limits=limits,
        )

    def link(self, approval_id: int, link_id: int) -> str:
        return f"{self.base_url}/approvals/{links.sign(self.secret, approval_id, link_id)}"
