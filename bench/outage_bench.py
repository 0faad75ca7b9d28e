"""A hung PostgreSQL under check traffic: how fast checks are answered while it hangs, and when they succeed again.

Starts a throw-away PostgreSQL of its own (tests/throwaway_postgres.py: its postmaster and backends are
the only processes it signals), gunicorn on it (2 sync workers, as the Docker image), and checks at a
steady rate (default 20 a second) over loopback. After a few seconds it stops the server with SIGSTOP
for `--hang` seconds, probing /healthz twice a second meanwhile, then continues it (SIGCONT).

Reports, for the checks sent before, during and after the hang: answers by status, latency p50 / p99 /
max; /healthz's slowest answer during the hang; and how long after SIGCONT the first check succeeded.

    .venv/bin/python -m bench.outage_bench [--rate 20] [--hang 10]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import time
from collections import Counter

from bench.http_load import gunicorn
from bench.import_under_load_bench import Traffic
from server import db
from tests.throwaway_postgres import throwaway_postgres


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="checks a second (default 20)")
    parser.add_argument("--hang", type=float, default=10.0, help="seconds the server stays stopped (default 10)")
    args = parser.parse_args(argv)
    with throwaway_postgres() as server:
        engine = db.make_engine(server.url)
        db.upgrade(engine)
        engine.dispose()
        with gunicorn(server.url, argparse.Namespace(workers=2, worker_class="sync", threads=1)) as web:
            traffic = Traffic(web.port, args.rate)
            traffic.start()
            time.sleep(3)
            with server.frozen(at_most=args.hang + 5):
                frozen_at = time.monotonic()
                health = _probe_health(web.port, frozen_at + args.hang)
            thawed_at = time.monotonic()
            time.sleep(5)
            traffic.stop()
    _print(args, traffic.answers, frozen_at, thawed_at, health)


def _probe_health(port: int, until: float) -> list[float]:
    """Seconds each /healthz took, twice a second until `until` (a failure counts as 30 s)."""
    took = []
    while time.monotonic() < until:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            ok = False
        finally:
            conn.close()
        took.append(time.monotonic() - started if ok else 30.0)
        time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    return took


def _print(args: argparse.Namespace, answers: list, frozen_at: float, thawed_at: float, health: list[float]) -> None:
    phases = {
        "before the hang": [a for a in answers if a[0] < frozen_at],
        "during the hang": [a for a in answers if frozen_at <= a[0] < thawed_at],
        "after SIGCONT": [a for a in answers if a[0] >= thawed_at],
    }
    print(f"\nPostgreSQL stopped (SIGSTOP) for {args.hang:g} s under {args.rate:g} checks/s, gunicorn 2 sync workers")
    print("| checks | sent | answers | p50 | p99 | max |\n|---|---|---|---|---|---|")
    for name, group in phases.items():
        latencies = sorted(a[1] for a in group) or [0.0]
        statuses = dict(Counter(f"{a[2]} {a[3]}".strip() for a in group))
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        print(
            f"| {name} | {len(group)} | {statuses} | {statistics.median(latencies) * 1000:.0f} ms"
            f" | {p99 * 1000:.0f} ms | {latencies[-1] * 1000:.0f} ms |"
        )
    recovered = [a[0] + a[1] - thawed_at for a in phases["after SIGCONT"] if a[2] == 200]
    print(f"| /healthz during the hang | {len(health)} probes | slowest {max(health, default=0) * 1000:.0f} ms | | | |")
    first = f"{min(recovered):.2f} s" if recovered else "never"
    print(f"| first check answered 200 after SIGCONT | {first} | | | | |")


if __name__ == "__main__":
    main()
