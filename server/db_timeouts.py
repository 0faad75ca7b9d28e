"""Time bounds on the database: connect, statement and pool timeouts, and a breaker for a database that hangs.

A PostgreSQL server that hangs (a stopped process, a frozen VM) never says so: `statement_timeout` is
enforced by the server itself, and TCP keepalives and `tcp_user_timeout` are answered by the server's kernel,
which keeps acknowledging while the process is stopped (measured with SIGSTOP: a query waited as long as
the server stayed stopped, keepalives and a 500 ms tcp_user_timeout notwithstanding). So the client
bounds every wait itself:

- a statement (each wait of psycopg's for the server) may take the server's `statement_timeout` plus
  ANSWER_GRACE; then the connection is closed and the statement fails with OperationalError, which
  SQLAlchemy reads as a disconnect: the pool drops that connection and every older one;
- opening a connection may take `connect_seconds`: psycopg's own `connect_timeout` has a floor of 2 s,
  so the attempt runs on a helper thread and is abandoned at the deadline (the thread ends on its own,
  closing what it may still get);
- after either failure the Breaker refuses connections for COOL_DOWN seconds without trying, so while
  the database hangs a request costs milliseconds instead of tying up a worker for a timeout; the
  first request after the cool-down tries again, so recovery needs no manual step.

SQLite: `statement_ms` is the busy timeout (how long a statement waits for another's write lock).

Must not import Flask.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

log = logging.getLogger(__name__)

#: Time the client waits beyond the server's statement_timeout: the server cancels a slow statement and
#: says so (the connection survives); only a server that says nothing costs the connection.
ANSWER_GRACE = 0.5
#: Seconds a process refuses new connections after one went unanswered (or could not be made).
COOL_DOWN = 2.0

# psycopg's wait() with a timeout raises this private subclass of OperationalError; nothing else does.
_WAIT_TIMEOUT = psycopg.errors._WaitTimeout


@dataclass(frozen=True, slots=True)
class Bounds:
    """The time bounds of one engine: see the module docstring."""

    connect_seconds: float = 1.0
    statement_ms: int = 20_000  # the defaults of the general engine's settings (config.DATABASE_SETTINGS)
    pool_seconds: float = 1.0

    @property
    def answer_seconds(self) -> float:
        """How long the client waits for any one answer of the server."""
        return self.statement_ms / 1000 + ANSWER_GRACE


class DatabaseUnresponsive(psycopg.OperationalError):
    """The database did not answer in time, or is being left alone for a cool-down after it did not."""


class Breaker:
    """Remembers that the database stopped answering; shared by every engine of one app (one server)."""

    def __init__(self, cool_down: float = COOL_DOWN, clock: Callable[[], float] = time.monotonic) -> None:
        self._cool_down, self._clock = cool_down, clock
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    def trip(self, reason: str) -> None:
        if not self.is_open:
            log.warning("database unresponsive (%s); refusing new connections for %.1f s", reason, self._cool_down)
        self._open_until = self._clock() + self._cool_down

    def check(self) -> None:
        """Raise DatabaseUnresponsive while open: no connection is tried."""
        if self.is_open:
            raise DatabaseUnresponsive("the database did not answer a moment ago; not retried yet")


class BoundedConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server has a deadline (`answer_seconds`)."""

    answer_seconds: float | None = None
    breaker: Breaker | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        try:
            return super().wait(gen, interval, self.answer_seconds if timeout is None else timeout)
        except _WAIT_TIMEOUT:
            # The statement may still be running, or may run once the server resumes: the connection is in
            # an unknown state, so it is closed (without waiting on the server) rather than reused.
            self.pgconn.finish()
            if self.breaker is not None:
                self.breaker.trip("no answer")
            raise DatabaseUnresponsive(f"the database did not answer within {self.answer_seconds:g} s") from None


def connect_within(connect: Callable[[], Any], seconds: float, on_failure: Callable[[str], None]) -> Any:
    """`connect()`'s connection, or DatabaseUnresponsive after `seconds` (the attempt goes on, then closes)."""
    lock, done, box = threading.Lock(), threading.Event(), {}

    def attempt() -> None:
        try:
            connection = connect()
        except Exception as exc:  # handed to the waiting caller below
            box["error"] = exc
            done.set()
            return
        with lock:
            if box.get("abandoned"):
                connection.close()  # the caller gave up on it
                return
            box["connection"] = connection
        done.set()

    threading.Thread(target=attempt, name="leaverguard-db-connect", daemon=True).start()
    finished = done.wait(seconds)
    with lock:
        if "connection" in box:
            return box["connection"]
        box["abandoned"] = True
    if finished:
        on_failure(type(box["error"]).__name__)
        raise box["error"]
    on_failure("connect timeout")
    raise DatabaseUnresponsive(f"no connection to the database within {seconds:g} s")


def engine_arguments(url: str, bounds: Bounds) -> dict[str, Any]:
    """Keyword arguments of create_engine for `url` that apply `bounds` (the events come from `install`)."""
    if url.startswith("sqlite"):
        return {
            "connect_args": {"timeout": bounds.statement_ms / 1000, "check_same_thread": False},
            "pool_timeout": bounds.pool_seconds,
        }
    given = make_url(url).query.get("options")  # a DATABASE_URL's own ?options= are kept
    options = " ".join(filter(None, [given, f"-c statement_timeout={bounds.statement_ms}"]))
    return {
        # libpq's own bound, whole seconds with a 2 s floor: it ends the abandoned helper thread's attempt.
        "connect_args": {"options": options, "connect_timeout": max(2, math.ceil(bounds.connect_seconds))},
        "pool_timeout": bounds.pool_seconds,
    }


def install(engine: Engine, bounds: Bounds, breaker: Breaker) -> None:
    """Bound the connections `engine` opens and let `breaker` keep it off a hung database (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "do_connect")
    def connect(_dialect, _record, cargs, cparams):
        breaker.check()
        connection = connect_within(
            lambda: BoundedConnection.connect(*cargs, **cparams), bounds.connect_seconds, breaker.trip
        )
        connection.answer_seconds, connection.breaker = bounds.answer_seconds, breaker
        return connection

    @event.listens_for(engine, "checkout")
    def checkout(_dbapi_connection, _record, _proxy):
        # A pooled connection is not handed out while the breaker is open: the pool then discards it and
        # opens a new one, which the breaker refuses at once.
        if breaker.is_open:
            raise DisconnectionError("the database did not answer a moment ago")
