"""The timed work of a LeaverGuard process: deliver queued mail, remind HR, expire old requests, undo dead imports,
purge.

`run_once()` does one round (the `flask approvals tick` command, for cron);
`Housekeeper` repeats it on a daemon thread every HOUSEKEEPING_INTERVAL
seconds and can be woken at once (`kick()`) after a request or decision queued
a mail. Several processes may run it: every step claims its rows atomically.
Errors are logged and the next round tries again; nothing here is on the path
of the send-time check.

Must not import Flask (the app factory wires it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from . import import_jobs
from .adapters.mail import Transport
from .retention import RetentionSettings
from .services import mailing, retention, signoff

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Round:
    reminded: int
    expired: int
    delivery: mailing.Delivery
    purged: retention.Purged
    imports_undone: int = 0  # import jobs whose process died (import_jobs.recover)


def run_once(
    engine: Engine,
    transport: Transport,
    *,
    settings: signoff.SignoffSettings,
    retain: RetentionSettings,
    mail_from: str,
    now: datetime,
) -> Round:
    """Reminders and expiry first (they queue mail), then deliver everything that is due, then dead imports,
    then a bounded purge.

    The purge comes last: a request expired in this round may lose its content in the same round, once its
    mail to the sender has been sent.
    """
    reminded, expired = signoff.remind_and_expire(engine, settings=settings, now=now)
    delivery = mailing.deliver_due(engine, transport, sender=mail_from, now=now)
    undone = import_jobs.recover(engine, now)
    return Round(reminded, expired, delivery, retention.purge(engine, retain, now), undone)


class Housekeeper:
    """Runs `work()` every `interval` seconds on a daemon thread; `kick()` runs it now. Interval 0: never."""

    def __init__(self, work: Callable[[], object], interval: float):
        self._work, self._interval = work, interval
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread once (idempotent, thread-safe); the app calls it on its first request."""
        if self._interval <= 0 or self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="leaverguard-housekeeping", daemon=True)
                self._thread.start()

    def kick(self) -> None:
        """Run a round as soon as possible (no-op when not started)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._work()
            except Exception:  # a database or mail outage must not end the thread
                log.exception("housekeeping round failed; retrying in %s s", self._interval)
            self._wake.wait(self._interval)
            self._wake.clear()
