"""Retention benchmark: what housekeeping's purge costs on a large database, and how fast a backlog drains.

Fills a fresh database with three years of history: AUDIT audit events (one every few seconds,
evenly spread), REQUESTS ended sign-off requests with a 2 KB body each and three sent mails per
request. With the default periods (90 days of content, 730 of audit) about a third of the audit
log and of the requests is past its period, and nearly all contents and mails. Then times, through
the service housekeeping calls (services.retention.purge, no HTTP):
- one bounded round on the backlog (what a tick does the first time), and its slowest batch:
  the longest a batch holds its locks, which is what a send-time check may wait on SQLite;
- draining the rest (`flask retention purge`), in rows per second;
- a round with nothing left to do: what every housekeeping tick of every process costs from then on.

    .venv/bin/python -m bench.retention_bench [--audit 1000000] [--database-url URL] [--reset]
    scripts/with-postgres.sh sh -c '.venv/bin/python -m bench.retention_bench --database-url "$TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, event, func, select

from bench import synthetic
from server import tables as t
from server.retention import RetentionSettings
from server.services import retention

YEARS = 3
REPEAT = 20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit", type=int, default=1_000_000, help="audit events (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=20_000, help="ended sign-off requests (default 20,000)")
    parser.add_argument("--database-url", default="", help="database to fill (default: a temporary SQLite file)")
    parser.add_argument("--reset", action="store_true", help="empty a database that has data first")
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="leaverguard-retention-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = synthetic.prepare(url, args.reset)
        started = time.perf_counter()
        _fill(engine, args.audit, args.requests, now)
        print(f"filled {synthetic.safe_url(url)} in {time.perf_counter() - started:.0f} s: {_counts(engine)}")
        _measure(engine, now)
        engine.dispose()


def _fill(engine: Engine, audit: int, requests: int, now: datetime) -> None:
    span = timedelta(days=365 * YEARS)
    body = "Dear client, " + "a handover paragraph that goes on for a while. " * 45  # about 2 KB
    with engine.begin() as conn:
        synthetic.insert_rows(conn, t.audit_events, (_event(i, now - span * (i / audit)) for i in range(audit)))
        rows = [_request(i, now - span * (i / requests), body) for i in range(1, requests + 1)]
        synthetic.insert_rows(conn, t.approval_requests, rows)
        synthetic.insert_rows(conn, t.outbound_mail, (_mail(row, body) for row in rows for _ in range(3)))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('approval_requests', 'id'), {requests})")
            conn.exec_driver_sql("VACUUM ANALYZE")


def _event(i: int, at: datetime) -> dict:
    actor = synthetic.leaver_email(i % 1000)
    return {"at": at, "kind": "check", "actor": actor, "verdict": "warn", "details": {"recipient_count": 3}}


def _mail(request: dict, body: str) -> dict:
    at = request["decided_at"]
    return {
        "created_at": at, "next_attempt_at": at, "sent_at": at, "kind": "approval.request", "status": "sent",
        "approval_id": request["id"], "recipients": ["hr@northwind.example"], "subject": "Sign-off", "text_body": body,
    }  # fmt: skip


def _request(i: int, at: datetime, body: str) -> dict:
    recipients = [{"email": f"kim{i}@contoso.example", "field": "to"}]
    return {
        "id": i, "sender_key": synthetic.leaver_email(i % 1000), "sender_email": synthetic.leaver_email(i % 1000),
        "fingerprint": f"sha256:{i:064x}", "status": "rejected", "recipients": recipients, "subject": f"Handover {i}",
        "body": body, "attachments": [{"name": "clients.xlsx", "size": 48213}], "justification": "Farewell note.",
        "attestation": True, "created_at": at - timedelta(hours=2), "expires_at": at + timedelta(days=3),
        "decided_at": at, "decided_by": "hr@northwind.example", "comment": "No.", "locale": "en",
        "approvers": ["hr@northwind.example"], "context": {"recipients": recipients, "findings": []},
    }  # fmt: skip


def _measure(engine: Engine, now: datetime) -> None:
    settings = RetentionSettings()
    batches = _BatchTimer(engine)
    started = time.perf_counter()
    first = retention.purge(engine, settings, now)
    print(f"first round: {time.perf_counter() - started:.2f} s, slowest batch {batches.slowest_ms():.0f} ms: ", end="")
    print(first.summary())
    started = time.perf_counter()
    rest = retention.purge_all(engine, settings, now)
    seconds = time.perf_counter() - started
    rows = rest.contents + rest.mails + rest.requests + rest.audit_events
    print(f"drained the rest in {seconds:.1f} s ({rows / seconds:,.0f} rows/s), slowest batch ", end="")
    print(f"{batches.slowest_ms():.0f} ms: {rest.summary()}")
    idle = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        assert not retention.purge(engine, settings, now)
        idle.append((time.perf_counter() - started) * 1000)
    print(f"a round with nothing to do: median {statistics.median(idle):.1f} ms, slowest {max(idle):.1f} ms")
    print(f"left: {_counts(engine)}")


class _BatchTimer:
    """The longest transaction (BEGIN to COMMIT) on the engine since the last call: one purge batch."""

    def __init__(self, engine: Engine):
        self.longest, self._began = 0.0, 0.0
        event.listen(engine, "begin", lambda _conn: self._begin())
        event.listen(engine, "commit", lambda _conn: self._end())

    def _begin(self) -> None:
        self._began = time.perf_counter()

    def _end(self) -> None:
        self.longest = max(self.longest, time.perf_counter() - self._began)

    def slowest_ms(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest * 1000


def _counts(engine: Engine) -> str:
    with engine.connect() as conn:
        count = {table.name: conn.scalar(select(func.count()).select_from(table)) for table in
                 (t.audit_events, t.approval_requests, t.outbound_mail)}  # fmt: skip
        content = conn.scalar(select(func.count()).where(t.approval_requests.c.content_removed_at.is_(None)))
    return ", ".join(f"{n:,} {name}" for name, n in count.items()) + f" ({content:,} requests with content)"


if __name__ == "__main__":
    main()
