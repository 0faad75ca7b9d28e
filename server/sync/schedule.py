"""`sync all --loop`: every connector at its own interval, in one process, until SIGTERM.

Runs are one at a time (a container has one process to watch); a connector
whose run failed is tried again sooner (backoff, doubling, never later than its
interval); a refused run waits its normal interval, since a person must look.
SIGTERM or SIGINT stops the loop: a wait ends at once, a run waiting for a
throttled source is abandoned before it writes anything, and a run that is
writing finishes its transaction first.

Must not import Flask or SQLAlchemy.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .records import Run, RunStatus
from .service import SyncStopped

log = logging.getLogger("leaverguard.sync")


def next_delay(interval: float, failures: int, backoff: float) -> float:
    """Seconds until a connector's next run: its interval, or after `failures` failures in a row a shorter backoff."""
    if failures == 0:
        return interval
    return min(interval, backoff * 2 ** (failures - 1))


@dataclass
class _Slot:
    name: str
    interval: float
    due: float
    failures: int = 0


class Loop:
    """Runs `run(name)` for each connector when due, until `stop` is set."""

    def __init__(
        self,
        run: Callable[[str], Run],
        intervals: dict[str, float],
        *,
        backoff: float,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.run, self.backoff, self.clock = run, backoff, clock
        self.stop = stop or threading.Event()
        now = clock()
        self.slots = [_Slot(name, interval, now) for name, interval in intervals.items()]

    def sleep(self, seconds: float) -> None:
        """A wait that ends when the loop is told to stop (given to adapters for Retry-After and backoff)."""
        if self.stop.wait(seconds):
            raise SyncStopped()

    def run_forever(self) -> None:
        while not self.stop.is_set():
            slot = min(self.slots, key=lambda s: s.due)
            if self.stop.wait(max(0.0, slot.due - self.clock())):
                break
            try:
                run = self.run(slot.name)
            except SyncStopped:
                break
            slot.failures = slot.failures + 1 if run.status == RunStatus.FAILED else 0
            slot.due = self.clock() + next_delay(slot.interval, slot.failures, self.backoff)
        log.info("sync loop stopped")


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` while inside (the main thread only, as Python requires)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame) -> None:
        log.info("sync loop: %s received, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
