"""Clients import under check traffic: a big import finishes while checks keep arriving, and how fast they stay.

Generates a clients file (bench/import_bench.py's: N contacts, N/10 domains, N/100 accounts) into a
temporary directory, migrates a fresh database (default: a SQLite file there) with one leaver on notice,
starts gunicorn on it (2 sync workers, as the Docker image), then sends `POST /api/v1/check` over
loopback at a steady rate (default 20 a second, each on a fresh connection, from a small pool so a slow
answer does not slow the rate) while this process imports the file as `flask clients import` would.

Reports the import's time and, for the checks sent while it ran, how many were answered 200, their
latency p50 / p99 / max, and every other answer. The add-in gives up after 3.5 s.

Target: 1,000,000 contacts import on SQLite at 20 checks a second, every check answered 200 in < 3.5 s.

    .venv/bin/python -m bench.import_under_load_bench [--contacts 1000000] [--rate 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.http_load import gunicorn
from bench.import_bench import write_clients_csv
from server import db, imports, store
from server.model import Departure

LEAVER = "alice@northwind.example"
ADDIN_TIMEOUT = 3.5


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="leaverguard-import-load-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        with engine.begin() as conn:
            today = date.today()
            store.save_departure(conn, Departure(LEAVER, today - timedelta(days=3), today + timedelta(days=30)), _now())
        path = Path(tmp) / "clients.csv"
        rows = write_clients_csv(path, args.contacts)
        print(f"generated {rows:,} rows ({path.stat().st_size / 2**20:,.0f} MiB); starting gunicorn …", flush=True)
        with gunicorn(url, argparse.Namespace(workers=args.workers, worker_class="sync", threads=1)) as server:
            traffic = Traffic(server.port, args.rate)
            traffic.start()
            time.sleep(2)  # checks before the import: the yardstick
            started = time.monotonic()
            report = imports.import_clients(engine, path, now=_now(), actor="bench")
            finished = time.monotonic()
            time.sleep(2)
            traffic.stop()
        engine.dispose()
    print(f"import: {report.summary()}")
    _print(args, rows, finished - started, traffic.answers, started, finished)


def _now() -> datetime:
    return datetime.now(UTC)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts in the file (default 1,000,000)")
    parser.add_argument("--rate", type=float, default=20.0, help="checks a second (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--database-url", default="", help="database to import into (default: a temp SQLite file)")
    return parser.parse_args(argv)


class Traffic:
    """Checks at a steady rate on a pool of threads; every answer kept as (sent at, seconds, status, error code)."""

    def __init__(self, port: int, rate: float) -> None:
        self.port, self.interval = port, 1 / rate
        self.answers: list[tuple[float, float, int, str]] = []
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(16)
        self._thread = threading.Thread(target=self._schedule, daemon=True)
        body = {"mode": "send", "to": ["ana.person7@client000000-7.example", "someone@example.org"], "body": "Hi"}
        self._body = json.dumps(body | {"subject": "Figures"}).encode()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)

    def _schedule(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self._pool.submit(self._check, time.monotonic())
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _check(self, sent: float) -> None:
        headers = {"Authorization": f"Dev {LEAVER}", "Content-Type": "application/json", "Connection": "close"}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", "/api/v1/check", body=self._body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            code = "" if response.status == 200 else json.loads(payload or b"{}").get("error", {}).get("code", "?")
            self.answers.append((sent, time.monotonic() - sent, response.status, code))
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.answers.append((sent, time.monotonic() - sent, 0, type(exc).__name__))
        finally:
            conn.close()


def _print(args: argparse.Namespace, rows: int, seconds: float, answers: list, started: float, finished: float) -> None:
    during = [a for a in answers if started <= a[0] <= finished]
    outside = [a for a in answers if not started <= a[0] <= finished]
    print(f"\nclients import of {args.contacts:,} contacts ({rows:,} rows) under {args.rate:g} checks/s")
    print(f"| measure | value |\n|---|---|\n| import | {seconds:.1f} s ({rows / seconds:,.0f} rows/s) |")
    for name, group in (("during the import", during), ("before and after", outside)):
        if not group:
            continue
        latencies = sorted(a[1] for a in group)
        ok = sum(1 for a in group if a[2] == 200)
        slow = sum(1 for a in group if a[1] >= ADDIN_TIMEOUT)
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        print(
            f"| checks {name} | {len(group)} sent, {ok} answered 200, {slow} took ≥ {ADDIN_TIMEOUT} s; "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms |"
        )
        others = Counter(f"{a[2]} {a[3]}" for a in group if a[2] != 200)
        if others:
            print(f"| other answers {name} | {dict(others)} |")


if __name__ == "__main__":
    main()
