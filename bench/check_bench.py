"""Send-time check benchmark: how fast LeaverGuard answers "may this message go?".

Fills a database (default: a fresh SQLite file in a temporary directory) with a
synthetic directory: 1,000,000 client contacts and 100,000 client domains on
10,000 client accounts, 10,000 departures with aliases and personal addresses.
Then it measures, in one run:

1. in-process latency of `services.check_message` in mode `send` (so every call
   also writes its audit row) for 20-recipient messages: p50/p90/p99/max for
   senders on notice, for senders who are not leaving, and overall;
2. HTTP throughput under gunicorn of `POST /api/v1/check` (senders on notice,
   20 recipients) against the trivial `GET /api/v1/ping` of the same app,
   interleaved ping, check, ping, check.

Targets: p99 <= 5 ms in-process, on SQLite and on PostgreSQL; check throughput
>= 70 % of ping's. The load generator runs on the same machine as gunicorn, so
both compete for its cores: the report says how much CPU each side used.

    .venv/bin/python -m bench.check_bench [--database-url URL]
        [--contacts 1000000 --domains 100000 --departures 10000]
        [--recipients 20] [--iterations 5000] [--http-seconds 10] [--workers 2]
        [--worker-class sync|gthread --threads N] [--clients 2] [--reset] [--seed 1]

On PostgreSQL: scripts/with-postgres.sh sh -c '.venv/bin/python -m bench.check_bench
--database-url "$TEST_DATABASE_URL"'. The summary is printed and written to bench/out/<backend>-<timestamp>.md.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import multiprocessing
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Connection, Engine, delete, insert, make_url, text

from server import db, services, store
from server import tables as t
from server.model import Attachment, Field, OutgoingMessage, PolicySettings, Recipient, normalise_address
from server.services import CheckMode, CheckRequest

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
COMPANY = "northwind.example"
SOURCE = "bench"
STAFF = 5_000  # colleagues who are not leaving: staff00000@ … staff04999@
OWNERS = 400  # account owners: owner000@ … owner399@
BATCH = 20_000
P99_TARGET_MS = 5.0
RATIO_TARGET = 0.70
LEAVER, NON_LEAVER = "leaver on notice", "non-leaver"
# Departure i is in phase PHASES[i % 10]: half on notice, the rest spread over the others.
PHASES = ("notice",) * 5 + ("garden_leave", "garden_leave", "departed", "withdrawn", "before_notice")
WEBMAIL = ("gmail.com", "outlook.com", "yahoo.com", "mail.ru", "gmx.de", "yandex.ru")
SUBDOMAINS = ("mail", "eu", "uk.sales", "ops")
ROLES = ("info", "accounts", "j.smith", "procurement", "legal")
SUBJECTS = ("Re: Q3 figures", "Contract renewal", "Fwd: invoice", "Meeting notes", "Handover")
# Per 20 recipients: what a busy leaver's mail looks like.
MIX = ("contact",) * 6 + ("subdomain",) * 3 + ("client_domain",) + ("webmail",) * 3 + ("external",) * 3
MIX += ("internal",) * 4
WEBMAIL_SLOT, INTERNAL_SLOT = MIX.index("webmail"), len(MIX) - 1
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


# --- the synthetic directory -------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    contacts: int
    domains: int
    departures: int

    @property
    def accounts(self) -> int:
        return max(1, self.domains // 10)

    def describe(self) -> str:
        return (
            f"{self.contacts:,} contacts · {self.domains:,} domains · {self.accounts:,} accounts · "
            f"{self.departures:,} departures"
        )


def domain_name(j: int) -> str:
    """Client domain `j`; it belongs to account j % accounts."""
    return f"c{j:06d}.example"


def contact_email(c: int, sizes: Sizes) -> str:
    """Contact `c`, of account c % accounts, on one of its domains; every 25th is on webmail (gmail)."""
    if c % 25 == 0:
        return f"client.person{c}@gmail.com"
    account = c % sizes.accounts
    per_account = max(1, sizes.domains // sizes.accounts)
    return f"p{c:07d}@{domain_name(account + sizes.accounts * ((c // sizes.accounts) % per_account))}"


def leaver_email(i: int) -> str:
    return f"leaver{i:05d}@{COMPANY}"


def staff_email(k: int) -> str:
    return f"staff{k:05d}@{COMPANY}"


def personal_email(i: int) -> str | None:
    """Every second leaver has a personal address on record."""
    return f"leaver.{i:05d}@gmail.com" if i % 2 == 0 else None


def on_notice(sizes: Sizes) -> list[int]:
    return [i for i in range(sizes.departures) if PHASES[i % 10] == "notice"]


def departure_dates(i: int, today: date) -> tuple[date, date, date | None]:
    """(notice, last working day, garden leave) that put departure `i` in phase PHASES[i % 10] today."""
    day, phase = timedelta(days=1), PHASES[i % 10]
    notice, last = today - (5 + i % 20) * day, today + (10 + i % 30) * day
    if phase == "garden_leave":
        return notice, last, today - (1 + i % 5) * day
    if phase == "departed":
        return today - 60 * day, today - (1 + i % 30) * day, None
    if phase == "before_notice":
        return today + (1 + i % 10) * day, last + 30 * day, None
    return notice, last, None


# --- filling the database ------------------------------------------------------


def batches(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def insert_rows(conn: Connection, table: sqlalchemy.Table, rows: Iterable[dict]) -> None:
    """Core executemany in large batches."""
    for batch in batches(rows):
        conn.execute(insert(table), batch)


def fill_settings(conn: Connection, sizes: Sizes, now: datetime) -> None:
    store.set_internal_domains(conn, [COMPANY], now)
    store.save_settings(conn, PolicySettings(), now)


def fill_accounts(conn: Connection, sizes: Sizes, now: datetime) -> None:
    rows = (
        {"id": a + 1, "name": f"Client {a:06d}", "owner_email": f"owner{a % OWNERS:03d}@{COMPANY}"}
        | {"source": SOURCE, "updated_at": now}
        for a in range(sizes.accounts)
    )
    insert_rows(conn, t.client_accounts, rows)


def fill_domains(conn: Connection, sizes: Sizes, now: datetime) -> None:
    rows = (
        {"domain": domain_name(j), "account_id": j % sizes.accounts + 1, "source": SOURCE} for j in range(sizes.domains)
    )
    insert_rows(conn, t.client_domains, rows)


def contact_rows(bounds: tuple[int, int], sizes: Sizes) -> list[dict]:
    """Rows for contacts start..stop-1 (run in pool workers, so generating overlaps inserting)."""
    rows = []
    for c in range(*bounds):
        address = normalise_address(contact_email(c, sizes))
        rows.append(
            {"match_key": address.key, "email": address.email, "name": f"Contact {c}"}
            | {"account_id": c % sizes.accounts + 1, "source": SOURCE}
        )
    return rows


def fill_contacts(conn: Connection, sizes: Sizes, now: datetime, pool: Any) -> None:
    chunks = [(start, min(start + BATCH, sizes.contacts)) for start in range(0, sizes.contacts, BATCH)]
    for rows in pool.imap(partial(contact_rows, sizes=sizes), chunks):
        conn.execute(insert(t.client_contacts), rows)


def departure_row(i: int, today: date, now: datetime) -> dict:
    notice, last, garden = departure_dates(i, today)
    email = leaver_email(i)
    return {
        "id": i + 1,
        "email": email,
        "match_key": normalise_address(email).key,
        "notice_date": notice,
        "last_working_date": last,
        "garden_leave_date": garden,
        "successor_email": staff_email(i % STAFF),
        "status": "withdrawn" if PHASES[i % 10] == "withdrawn" else "active",
        "source": SOURCE,
        "updated_at": now,
    }


def address_rows(i: int) -> tuple[list[dict], list[dict]]:
    """(sends-as rows: primary and, for every third leaver, an alias; personal address rows)."""
    sends_as = [leaver_email(i)] + ([f"l{i:05d}.alias@{COMPANY}"] if i % 3 == 0 else [])
    addresses = [normalise_address(e) for e in sends_as]
    rows = [
        {"match_key": a.key, "email": a.email, "departure_id": i + 1, "is_primary": n == 0}
        for n, a in enumerate(addresses)
    ]
    personal = personal_email(i)
    if personal is None:
        return rows, []
    address = normalise_address(personal)
    return rows, [{"departure_id": i + 1, "match_key": address.key, "email": address.email}]


def fill_departures(conn: Connection, sizes: Sizes, now: datetime) -> None:
    insert_rows(conn, t.departures, (departure_row(i, now.date(), now) for i in range(sizes.departures)))
    pairs = [address_rows(i) for i in range(sizes.departures)]
    insert_rows(conn, t.departure_addresses, (row for sends_as, _ in pairs for row in sends_as))
    insert_rows(conn, t.departure_personal_addresses, (row for _, personal in pairs for row in personal))


def after_fill(engine: Engine) -> None:
    """PostgreSQL: move the id sequences past the explicit ids, and ANALYZE as autovacuum soon would."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("client_accounts", "departures"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def fill_steps(pool: Any) -> dict[str, Callable[[Connection, Sizes, datetime], None]]:
    return {
        "settings": fill_settings,
        "accounts": fill_accounts,
        "domains": fill_domains,
        "contacts": partial(fill_contacts, pool=pool),
        "departures": fill_departures,
    }


def fill(engine: Engine, sizes: Sizes, now: datetime) -> dict[str, float]:
    """Fill every table, one transaction per table; seconds per step."""
    seconds = {}
    engine.dispose()  # the pool's processes are forked: they must not inherit open connections
    with multiprocessing.Pool(os.cpu_count()) as pool:
        for name, step in fill_steps(pool).items():
            started = time.perf_counter()
            with engine.begin() as conn:
                step(conn, sizes, now)
            seconds[name] = time.perf_counter() - started
    started = time.perf_counter()
    after_fill(engine)
    seconds["after"] = time.perf_counter() - started
    return seconds


def prepare(url: str, reset: bool) -> Engine:
    """A migrated, empty database at `url` (emptied first with --reset)."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.begin() as conn:
        if not store.is_empty(conn):
            if not reset:
                raise SystemExit(f"{safe_url(url)} is not empty; pass --reset to delete every row first")
            for table in reversed(t.metadata.sorted_tables):
                conn.execute(delete(table))
    return engine


# --- messages -----------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One message to check: who sends it and the JSON body the add-in would post."""

    kind: str
    sender: str
    payload: dict[str, Any]


def recipient(rng: random.Random, sizes: Sizes, category: str) -> str:
    domain = domain_name(rng.randrange(sizes.domains))
    return {
        "contact": lambda: contact_email(rng.randrange(sizes.contacts), sizes),
        "subdomain": lambda: f"{rng.choice(ROLES)}@{rng.choice(SUBDOMAINS)}.{domain}",
        "client_domain": lambda: f"new.person{rng.randrange(10**6)}@{domain}",
        "webmail": lambda: f"friend{rng.randrange(10**6)}@{rng.choice(WEBMAIL)}",
        "external": lambda: f"sales@{rng.choice(('', 'mail.', 'eu.'))}vendor{rng.randrange(10**5)}.test",
        "internal": lambda: staff_email(rng.randrange(STAFF)),
    }[category]()


def recipients_for(rng: random.Random, sizes: Sizes, count: int, leaver: int | None) -> list[str]:
    """`count` recipients in the MIX proportions; a leaver sometimes copies the successor or writes home."""
    addresses = [recipient(rng, sizes, MIX[k % len(MIX)]) for k in range(count)]
    if leaver is not None and count > INTERNAL_SLOT and rng.random() < 1 / 3:
        addresses[INTERNAL_SLOT] = staff_email(leaver % STAFF)  # their successor
    if leaver is not None and personal_email(leaver) and count > WEBMAIL_SLOT and rng.random() < 0.2:
        addresses[WEBMAIL_SLOT] = personal_email(leaver)  # their own private address
    rng.shuffle(addresses)
    return addresses


def make_sample(rng: random.Random, sizes: Sizes, kind: str, count: int, leavers: list[int]) -> Sample:
    leaver = rng.choice(leavers) if kind == LEAVER else None
    sender = leaver_email(leaver) if leaver is not None else staff_email(rng.randrange(STAFF))
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
    return Sample(kind, sender, payload)


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
    return CheckRequest(
        normalise_address(sample.sender),
        message,
        CheckMode.SEND,
        None,
        client["locale"],
        client["app"],
        client["platform"],
    )


# --- in-process latency -------------------------------------------------------


@dataclass
class InProcess:
    latencies: dict[str, list[int]] = field(default_factory=dict)  # kind -> wall-clock ns per call
    cpu: dict[str, list[int]] = field(default_factory=dict)  # kind -> this thread's CPU ns per call
    verdicts: dict[str, Counter] = field(default_factory=dict)  # kind -> verdict counts
    seconds: float = 0.0
    other_cpu: float = 0.0  # CPU seconds other processes used meanwhile (a database server, anyone else)
    load_average: float = 0.0  # one-minute load average when the timed calls started

    def add(self, kind: str, wall_ns: int, cpu_ns: int, verdict_: str) -> None:
        self.latencies.setdefault(kind, []).append(wall_ns)
        self.cpu.setdefault(kind, []).append(cpu_ns)
        self.verdicts.setdefault(kind, Counter())[verdict_] += 1


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


def percentile_ms(values_ns: list[int], p: float) -> float:
    """Nearest-rank percentile of nanosecond timings, in milliseconds."""
    ordered = sorted(values_ns)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] / 1e6


# --- HTTP throughput ------------------------------------------------------------

HttpRequest = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


@dataclass
class Load:
    """What the load generator achieved against one endpoint (summed over its rounds)."""

    completed: int = 0
    errors: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0  # CPU seconds used by the load-generator processes
    server_cpu: float = 0.0  # CPU seconds used by gunicorn (master and workers)
    busy_cpu: float = 0.0  # CPU seconds the whole machine was busy (every core)

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms(self) -> float:
        """gunicorn's CPU per request (the database server's, for PostgreSQL, is not in it)."""
        return 1000 * self.server_cpu / max(1, self.completed)

    @property
    def other_cpu(self) -> float:
        """Busy CPU that was neither gunicorn nor the load generator: a database server, other processes."""
        return max(0.0, self.busy_cpu - self.client_cpu - self.server_cpu)

    def add(self, other: Load) -> None:
        self.completed += other.completed
        self.errors += other.errors
        self.seconds += other.seconds
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu
        self.busy_cpu += other.busy_cpu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(args: argparse.Namespace, port: int) -> list[str]:
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}"]
    command += ["--worker-class", args.worker_class, "--log-level", "warning"]
    if args.worker_class == "gthread":  # with sync, --threads > 1 would silently switch to gthread
        command += ["--threads", str(args.threads)]
    return [*command, "server:create_app()"]


@dataclass(frozen=True)
class Server:
    port: int
    pid: int  # gunicorn's master; its workers are its children


@contextmanager
def gunicorn(url: str, args: argparse.Namespace) -> Iterator[Server]:
    """A gunicorn serving the app on the bench database; stopped afterwards.

    Its output (the app logs a line per check at the default level, INFO) goes to
    a temporary file, shown only if gunicorn does not come up.
    """
    port = free_port()
    env = os.environ | {"LEAVERGUARD_ENV": "development", "DATABASE_URL": url}
    with tempfile.TemporaryFile() as output:
        command = gunicorn_command(args, port)
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_up(port, process, output)
            yield Server(port, process.pid)
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_up(port: int, process: subprocess.Popen, output: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if send(http.client.HTTPConnection("127.0.0.1", port, timeout=2), ("GET", "/healthz", None, {})):
                return
        except OSError:
            pass
        time.sleep(0.1)
    output.seek(0)
    tail = output.read().decode(errors="replace").splitlines()[-20:]
    raise SystemExit("gunicorn did not come up:\n" + "\n".join(tail))


def send(conn: http.client.HTTPConnection, request: HttpRequest) -> bool:
    """One request; True on 200. A closed connection is reopened by http.client on the next request."""
    method, path, body, headers = request
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        conn.close()
        return False


def drive(port: int, requests: list[HttpRequest], start: float, stop: float) -> tuple[int, int, float]:
    """One load-generator process: `requests` round-robin from `start` to `stop`; (ok, errors, CPU seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    time.sleep(max(0.0, start - time.monotonic()))
    cpu, ok, errors = time.process_time(), 0, 0
    for request in itertools.cycle(requests):
        if time.monotonic() >= stop:
            break
        if send(conn, request):
            ok += 1
        else:
            errors += 1
    conn.close()
    return ok, errors, time.process_time() - cpu


def process_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by process `root` and its children (Linux /proc)."""
    total = 0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # not a process, or it has just exited
        if entry.name == str(root) or fields[1] == str(root):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU seconds the machine has spent not idle, over all cores (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def run_phase(pool: Any, server: Server, requests: list[HttpRequest], seconds: float, clients: int) -> Load:
    """All client processes against one endpoint for `seconds`."""
    start = time.monotonic() + 0.3
    stop = start + seconds
    step = max(1, len(requests) // clients)
    jobs = [
        pool.apply_async(drive, (server.port, requests[k * step :] + requests[: k * step], start, stop))
        for k in range(clients)
    ]
    time.sleep(max(0.0, start - time.monotonic()))
    busy, gunicorn_cpu = busy_cpu_seconds(), process_cpu_seconds(server.pid)
    results = [job.get() for job in jobs]
    busy, gunicorn_cpu = busy_cpu_seconds() - busy, process_cpu_seconds(server.pid) - gunicorn_cpu
    ok, errors, client_cpu = (sum(column) for column in zip(*results, strict=True))
    return Load(ok, errors, seconds, client_cpu, gunicorn_cpu, busy)


def http_requests(samples: list[Sample]) -> dict[str, list[HttpRequest]]:
    checks = [
        ("POST", "/api/v1/check", json.dumps(s.payload).encode(), {"Authorization": f"Dev {s.sender}"}) for s in samples
    ]
    for _, _, _, headers in checks:
        headers["Content-Type"] = "application/json"
    return {"ping": [("GET", "/api/v1/ping", None, {})], "check": checks}


def first_answer(port: int, request: HttpRequest) -> str:
    """The verdict of one check, to show the HTTP path does the real work."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    method, path, body, headers = request
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return f"HTTP {response.status}, verdict {answer.get('verdict')}, {len(answer.get('findings', []))} finding(s)"


def measure_http(url: str, args: argparse.Namespace, samples: list[Sample]) -> dict[str, Load]:
    """Warm up, then ping, check, ping, check … for --http-seconds per endpoint in all."""
    requests = http_requests(samples)
    loads = {"ping": Load(), "check": Load()}
    with gunicorn(url, args) as server, multiprocessing.Pool(args.clients) as pool:
        print(f"  sample check: {first_answer(server.port, requests['check'][0])}")
        for name in loads:
            run_phase(pool, server, requests[name], 1.0, args.clients)  # warm-up, not counted
        for _ in range(args.http_rounds):
            for name, load in loads.items():
                phase = run_phase(pool, server, requests[name], args.http_seconds / args.http_rounds, args.clients)
                print(
                    f"  {name:5} {phase.rate:8.0f} req/s  ({phase.completed} ok, {phase.errors} errors;"
                    f" gunicorn {phase.server_cpu_ms:.2f} ms CPU/request)",
                    flush=True,
                )
                load.add(phase)
    return loads


# --- the report -----------------------------------------------------------------


@dataclass
class Run:
    backend: str
    url: str
    sizes: Sizes
    fill_seconds: dict[str, float]
    in_process: InProcess
    http: dict[str, Load]
    args: argparse.Namespace
    started: datetime


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio(run: Run) -> float:
    ping, check = run.http["ping"], run.http["check"]
    return check.rate / ping.rate if ping.rate else 0.0


def p99_row(run: Run, kind: str) -> str:
    values = run.in_process.latencies[kind]
    p50, p99 = percentile_ms(values, 50), percentile_ms(values, 99)
    target = f"p99 ≤ {P99_TARGET_MS:g} ms"
    return f"| in-process p50 / p99, {kind} | {p50:.2f} / {p99:.2f} ms | {target} | {verdict(p99 <= P99_TARGET_MS)} |"


def summary_table(run: Run) -> list[str]:
    ping, check = run.http["ping"], run.http["check"]
    return [
        "| measure | result | target | verdict |",
        "|---|---|---|---|",
        f"| backend | {run.backend} (`{safe_url(run.url)}`) | | |",
        f"| fill | {run.sizes.describe()} in {sum(run.fill_seconds.values()):.1f} s | not a target | |",
        p99_row(run, LEAVER),
        p99_row(run, NON_LEAVER),
        f"| HTTP GET /api/v1/ping | {ping.rate:,.0f} req/s | yardstick | |",
        f"| HTTP POST /api/v1/check | {check.rate:,.0f} req/s | | |",
        f"| check / ping | {ratio(run):.0%} | ≥ {RATIO_TARGET:.0%} | {verdict(ratio(run) >= RATIO_TARGET)} |",
    ]


def latency_row(kind: str, wall: list[int], cpu: list[int], counts: Counter) -> str:
    cells = [f"{percentile_ms(wall, p):.2f}" for p in (50, 90, 99, 100)]
    cells += [f"{percentile_ms(cpu, p):.2f}" for p in (50, 99)]
    return f"| {kind} | {len(wall)} | {' | '.join(cells)} | {', '.join(f'{k} {n}' for k, n in counts.most_common())} |"


def latency_table(run: Run) -> list[str]:
    measured = run.in_process
    lines = [
        "| sender | n | p50 ms | p90 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms | verdicts |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, wall in measured.latencies.items():
        lines.append(latency_row(kind, wall, measured.cpu[kind], measured.verdicts[kind]))
    everything = [list(itertools.chain(*column.values())) for column in (measured.latencies, measured.cpu)]
    lines.append(latency_row("overall", *everything, sum(measured.verdicts.values(), Counter())))
    lines.append(
        "\nWall-clock time per call; CPU is this process's own CPU time in the call (the gap is waiting: "
        f"database, locks, other processes). Meanwhile other processes kept {measured.other_cpu / measured.seconds:.2f}"
        f" cores busy on average; one-minute load average at the start {measured.load_average:.2f}."
    )
    return lines


def http_table(run: Run) -> list[str]:
    lines = [
        "| endpoint | req/s | requests | errors | gunicorn CPU per request | load generator, cores | others, cores |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, load in run.http.items():
        cores = [load.client_cpu / load.seconds, load.other_cpu / load.seconds]
        lines.append(
            f"| {name} | {load.rate:,.0f} | {load.completed} | {load.errors} | {load.server_cpu_ms:.2f} ms "
            f"| {cores[0]:.2f} | {cores[1]:.2f} |"
        )
    return [*lines, http_note(run.http["ping"], run.http["check"])]


def http_note(ping: Load, check: Load) -> str:
    cpu_ratio = ping.server_cpu_ms / check.server_cpu_ms if check.server_cpu_ms else 0.0
    return (
        f"\ngunicorn CPU per request, ping ÷ check: {cpu_ratio:.0%} (the ratio the throughputs would approach"
        " with the load generator and other processes off the server's cores). “others” is busy CPU that was"
        " neither gunicorn nor the load generator: the database server (PostgreSQL) and anything else running."
    )


def setup_notes(run: Run) -> list[str]:
    a = run.args
    server = f"gunicorn -w {a.workers} --worker-class {a.worker_class}"
    server += f" --threads {a.threads}" if a.worker_class == "gthread" else ""
    reconnect = "sync workers close every connection, so each request reconnects"
    if a.worker_class == "gthread":
        reconnect = "gthread keeps connections alive"
    fill = ", ".join(f"{k} {v:.1f} s" for k, v in run.fill_seconds.items())
    analyze = " (then ANALYZE, as autovacuum would)" if run.backend == "postgresql" else " (no ANALYZE)"
    return [
        f"- fill: {fill}{analyze}",
        f"- in-process: {a.iterations} timed calls of services.check_message (mode send, audit row written) after"
        f" {a.warmup} untimed; {a.recipients} recipients; half from leavers on notice, half from colleagues",
        f"- HTTP: `{server}`; {a.clients} load-generator processes with http.client ({reconnect});"
        f" {a.http_seconds:g} s per endpoint in {a.http_rounds} interleaved rounds after 1 s of warm-up each;"
        f" check requests from leavers on notice with {a.recipients} recipients, mode send",
        f"- machine: {os.cpu_count()} cores shared by gunicorn, the database, the load generator and anything else"
        f" running; Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}",
    ]


def report(run: Run) -> str:
    title = f"## Send-time check benchmark: {run.backend}, {run.started:%Y-%m-%d %H:%M} UTC"
    sections = [[title], summary_table(run), ["### In-process latency"], latency_table(run)]
    sections += [["### HTTP throughput"], http_table(run), ["### Setup"], setup_notes(run)]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def write_report(run: Run, text_: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{run.backend}-{run.started:%Y%m%dT%H%M%S}.md"
    path.write_text(text_, encoding="utf-8")
    return path


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


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
    in_process = measure_in_process(engine, samples, args.warmup)
    for kind, wall in in_process.latencies.items():
        print(f"  {kind}: p50 {percentile_ms(wall, 50):.2f} ms, p99 {percentile_ms(wall, 99):.2f} ms", flush=True)
    engine.dispose()
    print(f"HTTP: {args.http_seconds:g} s per endpoint …", flush=True)
    http = measure_http(url, args, make_samples(rng, sizes, 500, args.recipients, (LEAVER,)))
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
