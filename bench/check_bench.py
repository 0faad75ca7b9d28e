"""Send-time check benchmark: how fast LeaverGuard answers "may this message go?".

Fills a database (default: a fresh SQLite file in a temporary directory) with a
synthetic directory: 1,000,000 client contacts and 100,000 client domains on
10,000 client accounts, 10,000 departures with aliases and personal addresses.
Then it measures, in one run:

1. in-process latency of `services.check_message` in mode `send` (so every call
   also writes its audit row) for 20-recipient messages: p50/p90/p99/max for
   senders on notice, for senders who are not leaving, and overall;
2. HTTP throughput under gunicorn of `POST /api/v1/check` (20 recipients) from
   senders on notice, `check (leaver)`, and from colleagues who are not leaving,
   `check (colleague)` (most real traffic: the check's fast path), against the
   trivial `GET /api/v1/ping` of the same app, interleaved ping, check (leaver),
   check (colleague), ping, ….

Targets: p99 <= 5 ms in-process, on SQLite and on PostgreSQL; each check's
throughput >= 70 % of ping's. The load generator runs on the same machine as
gunicorn, so both compete for its cores: the report says how much CPU each side used.

    .venv/bin/python -m bench.check_bench [--database-url URL]
        [--contacts 1000000 --domains 100000 --departures 10000]
        [--recipients 20] [--iterations 5000] [--http-seconds 10] [--workers 2]
        [--worker-class sync|gthread --threads N] [--clients 2] [--reset] [--seed 1]

On PostgreSQL: scripts/with-postgres.sh sh -c '.venv/bin/python -m bench.check_bench
--database-url "$TEST_DATABASE_URL"'. The summary is printed and written to bench/out/<backend>-<timestamp>.md.

This module holds the messages checked, the in-process measurement, the
arguments and the run; bench.synthetic the directory, bench.http_load the HTTP
side, bench.report the report.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench.http_load import Message, busy_cpu_seconds, measure_http
from bench.report import ROOT, InProcess, Run, percentile_ms, report, write_report
from bench.synthetic import (
    LEAVER,
    NON_LEAVER,
    STAFF,
    TENANT,
    Sizes,
    fill,
    leaver_email,
    leaver_object_id,
    on_notice,
    prepare,
    recipients_for,
    safe_url,
    staff_email,
    staff_object_id,
)
from server import db, services
from server.identities import Identity
from server.model import Attachment, Field, OutgoingMessage, Recipient, normalise_address
from server.services import CheckMode, CheckRequest

HTTP_SAMPLES = 500  # distinct messages per HTTP check endpoint, sent round-robin
HTTP_CHECKS = {"check (leaver)": LEAVER, "check (colleague)": NON_LEAVER}  # endpoint name -> sender kind
SUBJECTS = ("Re: Q3 figures", "Contract renewal", "Fwd: invoice", "Meeting notes", "Handover")

BODY_EN = (
    "Hi all,\n\nPlease find attached the updated figures for the third quarter. The numbers for the "
    "northern region are still provisional; we expect the final ones by the end of next week. "
    "Let me know if anything looks off, and whether Thursday still works for the review call.\n\n"
) * 3 + "Best regards,\nThe account team"
BODY_ES = (
    "Hola a todos:\n\nAdjunto las cifras actualizadas del tercer trimestre. Las de la región norte "
    "son provisionales; esperamos las definitivas a finales de la semana que viene.\n\n"
) * 3 + "Un saludo"
BODY_RU = (
    "Коллеги, добрый день!\n\nВо вложении обновлённые цифры за третий квартал. Данные по северному "
    "региону предварительные, окончательные ожидаем к концу следующей недели.\n\n"
) * 3 + "С уважением"
BODY_SOLICIT = BODY_EN + "\n\nI'm joining a new firm next month; let's stay in touch: +44 7700 900123."
# (body, locale, weight)
BODIES = ((BODY_EN, "en", 6), (BODY_ES, "es", 1), (BODY_RU, "ru", 1), (BODY_SOLICIT, "en", 1), ("Thanks!", "en", 1))


# --- messages -----------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One message to check: who sends it and the JSON body the add-in would post."""

    kind: str
    sender: str
    payload: dict[str, Any]
    object_id: str  # the `oid` of the sender's token


def make_sample(rng: random.Random, sizes: Sizes, kind: str, count: int, leavers: list[int]) -> Sample:
    leaver = rng.choice(leavers) if kind == LEAVER else None
    staff = rng.randrange(STAFF) if leaver is None else 0  # drawn as before, so the samples stay the same
    sender = leaver_email(leaver) if leaver is not None else staff_email(staff)
    object_id = leaver_object_id(leaver) if leaver is not None else staff_object_id(staff)
    addresses = recipients_for(rng, sizes, count, leaver)
    to, cc = round(count * 0.6), round(count * 0.25)
    body, locale, _ = rng.choices(BODIES, weights=[b[2] for b in BODIES])[0]
    attachments = [{"name": "figures.xlsx", "size": 48_213}] * rng.randrange(2)
    payload = {
        "mode": "send",
        "to": addresses[:to],
        "cc": addresses[to : to + cc],
        "bcc": addresses[to + cc :],
        "subject": f"{rng.choice(SUBJECTS)} #{rng.randrange(10_000)}",
        "body": body,
        "attachments": attachments,
        "client": {"app": "outlook", "platform": "bench", "locale": locale},
    }
    return Sample(kind, sender, payload, object_id)


def make_samples(rng: random.Random, sizes: Sizes, count: int, recipients: int, kinds: tuple[str, ...]) -> list[Sample]:
    """`count` samples cycling through `kinds`."""
    leavers = on_notice(sizes)
    return [make_sample(rng, sizes, kinds[n % len(kinds)], recipients, leavers) for n in range(count)]


def check_request(sample: Sample) -> CheckRequest:
    """What the web layer would hand to services.check_message for `sample`."""
    p = sample.payload
    recipients = tuple(Recipient(normalise_address(a), Field(f)) for f in ("to", "cc", "bcc") for a in p[f])
    attachments = tuple(Attachment(a["name"], a["size"]) for a in p["attachments"])
    message = OutgoingMessage(recipients, p["subject"], p["body"], attachments)
    client = p["client"]
    sender = normalise_address(sample.sender)
    return CheckRequest(
        sender,
        message,
        CheckMode.SEND,
        None,
        client["locale"],
        client["app"],
        client["platform"],
        identity=Identity(sender, "bearer", sample.object_id, TENANT),  # as an Entra ID token proves it
    )


def http_checks(rng: random.Random, sizes: Sizes, recipients: int) -> dict[str, list[Message]]:
    """HTTP_SAMPLES (sender, payload) messages for each HTTP check endpoint, leavers' first."""
    return {
        name: [(s.sender, s.payload) for s in make_samples(rng, sizes, HTTP_SAMPLES, recipients, (kind,))]
        for name, kind in HTTP_CHECKS.items()
    }


# --- in-process latency -------------------------------------------------------


def measure_in_process(engine: Engine, samples: list[Sample], warmup: int) -> InProcess:
    """Call check_message for every sample; the first `warmup` calls are not timed."""
    requests = [(s.kind, check_request(s)) for s in samples]
    cache = services.SettingsCache()  # as each server process keeps one
    for _, request in requests[:warmup]:
        services.check_message(engine, request, now=datetime.now(UTC), settings_cache=cache)
    result = InProcess(load_average=os.getloadavg()[0])
    busy, own, wall = busy_cpu_seconds(), time.process_time(), time.perf_counter()
    for kind, request in requests[warmup:]:
        now = datetime.now(UTC)
        cpu, started = time.thread_time_ns(), time.perf_counter_ns()
        answer = services.check_message(engine, request, now=now, settings_cache=cache)
        elapsed, cpu = time.perf_counter_ns() - started, time.thread_time_ns() - cpu
        result.add(kind, elapsed, cpu, answer.decision.verdict.value)
    result.seconds = time.perf_counter() - wall
    result.other_cpu = busy_cpu_seconds() - busy - (time.process_time() - own)
    return result


# --- main -----------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.check_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a fresh SQLite file in a temp dir)")
    parser.add_argument("--reset", action="store_true", help="delete every row first if the database is not empty")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--departures", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=5_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--http-seconds", type=float, default=10.0, help="per endpoint, split over the rounds")
    parser.add_argument("--http-rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per worker with --worker-class gthread")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    check_counts(parser, args)
    return args


def check_counts(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    counts = ("contacts", "domains", "departures", "recipients", "iterations", "http_rounds", "workers", "clients")
    for name in counts:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """`url`, or a fresh SQLite file in a temporary directory removed afterwards."""
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="leaverguard-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


def benchmark(url: str, args: argparse.Namespace) -> Run:
    sizes, started = Sizes(args.contacts, args.domains, args.departures), datetime.now(UTC)
    engine = prepare(url, args.reset)
    print(f"filling {safe_url(url)}: {sizes.describe()} …", flush=True)
    fill_seconds = fill(engine, sizes, started)
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in fill_seconds.items())
    print(f"  filled in {sum(fill_seconds.values()):.1f} s ({steps})", flush=True)
    rng = random.Random(args.seed)
    samples = make_samples(rng, sizes, args.warmup + args.iterations, args.recipients, (LEAVER, NON_LEAVER))
    print(f"in-process: {args.warmup} warm-up + {args.iterations} timed checks …", flush=True)
    check_engine = db.make_engine(url, autocommit=True)  # the engine the web layer checks on
    in_process = measure_in_process(check_engine, samples, args.warmup)
    check_engine.dispose()
    for kind, wall in in_process.latencies.items():
        print(f"  {kind}: p50 {percentile_ms(wall, 50):.2f} ms, p99 {percentile_ms(wall, 99):.2f} ms", flush=True)
    engine.dispose()
    print(f"HTTP: {args.http_seconds:g} s per endpoint …", flush=True)
    http = measure_http(url, args, http_checks(rng, sizes, args.recipients))
    return Run(engine.dialect.name, url, sizes, fill_seconds, in_process, http, args, started)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with database(args.database_url) as url:
        run = benchmark(url, args)
    text_ = report(run)
    print("\n" + text_)
    print(f"written to {write_report(run, text_).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
