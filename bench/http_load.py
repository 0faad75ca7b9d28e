"""HTTP throughput for the send-time check benchmark: gunicorn, the load generator and CPU accounting.

Holds the gunicorn the benchmark starts and stops, the multiprocessing load
generator (each process one http.client connection, requests round-robin),
the CPU accounting from Linux /proc (gunicorn's, the load generator's, the
whole machine's) and `Load`, what one endpoint achieved. `measure_http` runs
ping and each check endpoint interleaved. Knows nothing of the database's
contents or of the report.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PING = "ping"  # the yardstick endpoint's name in measure_http's answer
HttpRequest = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers
Message = tuple[str, dict[str, Any]]  # sender, the JSON body the add-in would post


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


# --- gunicorn -----------------------------------------------------------------------


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


# --- the load generator ---------------------------------------------------------------


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


# --- the endpoints ----------------------------------------------------------------------


def check_request(sender: str, payload: dict[str, Any]) -> HttpRequest:
    """POST /api/v1/check of `payload` from `sender`, authenticated by the development scheme."""
    headers = {"Authorization": f"Dev {sender}", "Content-Type": "application/json"}
    return ("POST", "/api/v1/check", json.dumps(payload).encode(), headers)


def endpoints(checks: dict[str, list[Message]]) -> dict[str, list[HttpRequest]]:
    """GET /api/v1/ping first, then one check endpoint per name in `checks`."""
    requests = {name: [check_request(*message) for message in messages] for name, messages in checks.items()}
    return {PING: [("GET", "/api/v1/ping", None, {})]} | requests


def first_answer(port: int, request: HttpRequest) -> str:
    """The verdict of one check, to show the HTTP path does the real work."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    method, path, body, headers = request
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return f"HTTP {response.status}, verdict {answer.get('verdict')}, {len(answer.get('findings', []))} finding(s)"


def measure_http(url: str, args: argparse.Namespace, checks: dict[str, list[Message]]) -> dict[str, Load]:
    """Warm up, then ping, each check, ping, each check … for --http-seconds per endpoint in all."""
    requests = endpoints(checks)
    loads = {name: Load() for name in requests}
    with gunicorn(url, args) as server, multiprocessing.Pool(args.clients) as pool:
        for name in checks:
            print(f"  sample {name}: {first_answer(server.port, requests[name][0])}")
        for name in loads:
            run_phase(pool, server, requests[name], 1.0, args.clients)  # warm-up, not counted
        for _ in range(args.http_rounds):
            for name, load in loads.items():
                phase = run_phase(pool, server, requests[name], args.http_seconds / args.http_rounds, args.clients)
                print(
                    f"  {name:17} {phase.rate:8.0f} req/s  ({phase.completed} ok, {phase.errors} errors;"
                    f" gunicorn {phase.server_cpu_ms:.2f} ms CPU/request)",
                    flush=True,
                )
                load.add(phase)
    return loads
