"""The send-time check benchmark's results and its markdown report.

Holds what one run measured (`InProcess`, `Run`; the HTTP side's `Load` is in
bench.http_load), the targets, the tables (summary, in-process latency, HTTP
throughput, setup) and the writing of the report to bench/out/. Measures
nothing itself.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy

from bench.http_load import PING, Load
from bench.synthetic import LEAVER, NON_LEAVER, Sizes, safe_url

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
P99_TARGET_MS = 5.0
RATIO_TARGET = 0.70


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


@dataclass
class Run:
    backend: str
    url: str
    sizes: Sizes
    fill_seconds: dict[str, float]
    in_process: InProcess
    http: dict[str, Load]  # PING first, then each check endpoint
    args: argparse.Namespace
    started: datetime

    def checks(self) -> dict[str, Load]:
        """The HTTP endpoints measured against ping."""
        return {name: load for name, load in self.http.items() if name != PING}


def percentile_ms(values_ns: list[int], p: float) -> float:
    """Nearest-rank percentile of nanosecond timings, in milliseconds."""
    ordered = sorted(values_ns)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] / 1e6


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio(run: Run, name: str) -> float:
    """Throughput of endpoint `name` as a share of ping's."""
    ping = run.http[PING]
    return run.http[name].rate / ping.rate if ping.rate else 0.0


# --- the tables -------------------------------------------------------------------


def p99_row(run: Run, kind: str) -> str:
    values = run.in_process.latencies[kind]
    p50, p99 = percentile_ms(values, 50), percentile_ms(values, 99)
    target = f"p99 ≤ {P99_TARGET_MS:g} ms"
    return f"| in-process p50 / p99, {kind} | {p50:.2f} / {p99:.2f} ms | {target} | {verdict(p99 <= P99_TARGET_MS)} |"


def ratio_row(run: Run, name: str) -> str:
    share = ratio(run, name)
    return f"| {name} / ping | {share:.0%} | ≥ {RATIO_TARGET:.0%} | {verdict(share >= RATIO_TARGET)} |"


def summary_table(run: Run) -> list[str]:
    checks = run.checks()
    return [
        "| measure | result | target | verdict |",
        "|---|---|---|---|",
        f"| backend | {run.backend} (`{safe_url(run.url)}`) | | |",
        f"| fill | {run.sizes.describe()} in {sum(run.fill_seconds.values()):.1f} s | not a target | |",
        p99_row(run, LEAVER),
        p99_row(run, NON_LEAVER),
        f"| HTTP GET /api/v1/ping | {run.http[PING].rate:,.0f} req/s | yardstick | |",
        *(f"| HTTP POST /api/v1/{name} | {load.rate:,.0f} req/s | | |" for name, load in checks.items()),
        *(ratio_row(run, name) for name in checks),
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


def share_cell(run: Run, name: str) -> str:
    """The HTTP table's ratio cell: `name`'s throughput against ping's, with its verdict."""
    if name == PING:
        return "yardstick"
    return f"{ratio(run, name):.0%} {verdict(ratio(run, name) >= RATIO_TARGET)}"


def http_table(run: Run) -> list[str]:
    lines = [
        f"| endpoint | req/s | of ping's (≥ {RATIO_TARGET:.0%}) | requests | errors | gunicorn CPU per request"
        " | load generator, cores | others, cores |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, load in run.http.items():
        cores = [load.client_cpu / load.seconds, load.other_cpu / load.seconds]
        lines.append(
            f"| {name} | {load.rate:,.0f} | {share_cell(run, name)} | {load.completed} | {load.errors}"
            f" | {load.server_cpu_ms:.2f} ms | {cores[0]:.2f} | {cores[1]:.2f} |"
        )
    return [*lines, http_note(run.http[PING], run.checks())]


def http_note(ping: Load, checks: dict[str, Load]) -> str:
    shares = ", ".join(f"ping ÷ {name}: {cpu_share(ping, load):.0%}" for name, load in checks.items())
    return (
        f"\ngunicorn CPU per request, {shares} (the ratios the throughputs would approach"
        " with the load generator and other processes off the server's cores). “others” is busy CPU that was"
        " neither gunicorn nor the load generator: the database server (PostgreSQL) and anything else running."
    )


def cpu_share(ping: Load, check: Load) -> float:
    """gunicorn's CPU per ping as a share of its CPU per check."""
    return ping.server_cpu_ms / check.server_cpu_ms if check.server_cpu_ms else 0.0


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
        f" check requests with {a.recipients} recipients, mode send, from leavers on notice (check (leaver)) and"
        " from colleagues who are not leaving (check (colleague), the check's fast path)",
        f"- machine: {os.cpu_count()} cores shared by gunicorn, the database, the load generator and anything else"
        f" running; Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}",
    ]


# --- the report -------------------------------------------------------------------


def report(run: Run) -> str:
    title = f"## Send-time check benchmark: {run.backend}, {run.started:%Y-%m-%d %H:%M} UTC"
    sections = [[title], summary_table(run), ["### In-process latency"], latency_table(run)]
    sections += [["### HTTP throughput"], http_table(run), ["### Setup"], setup_notes(run)]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def write_report(run: Run, text_: str) -> Path:
    """Write the report to bench/out/<backend>-<timestamp>.md; its path."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{run.backend}-{run.started:%Y%m%dT%H%M%S}.md"
    path.write_text(text_, encoding="utf-8")
    return path
