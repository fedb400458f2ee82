"""Benchmark the web application with 10 000 episodes in the registry (SQLite and PostgreSQL).

What is measured (docs/benchmarks.md):

1. **Patient page** ``GET /patients/{episode}``: server time (the ``Server-Timing`` header the
   application sends: the time until it answered), p50 and p95 over random episodes (mostly
   first visits: the page keeps the 256 most recent courses), one request at a time, once the
   list's background derivation of every episode's classes has finished (the steady state;
   how long that takes after start is printed). Target p95 < 100 ms.
2. **Patient list with filters** ``GET /patients?...``: the same, over a mix of filters.
   Target p95 < 200 ms.
3. **Stateless scoring** ``POST /api/v1/scores/regiscar`` (a published case's JSON, with an API
   token): requests per second under load, beside a bare FastAPI endpoint (a JSON body in,
   ``{"ok": true}`` out, no authentication) served the same way in the same run; the ratio is
   the cost of dresskit's authentication, validation and scoring. Both servers run
   ``uvicorn --workers 2`` on this 2-core machine, with the load generator (an asyncio
   HTTP/1.1 keep-alive client, 32 connections) on the same cores. Target >= 1 000 requests/s.

Peak memory: the benchmark process's peak RSS, and each server's (parent and workers, from
/proc's VmHWM). Nothing here is patient data (bench/synthetic_bundle.py).

Run: .venv/bin/python bench/web_bench.py [--episodes 10000] [--days 30] [--seconds 10]
     [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_bundle import generate_bundle

ROOT = Path(__file__).parents[1]
DRESSKIT = str(Path(sys.executable).parent / "dresskit")

#: The bare endpoint the scoring endpoint is measured beside.
bare_app = FastAPI()


@bare_app.post("/bare")
def bare(body: dict[str, Any]) -> dict[str, bool]:
    """Answer ``{"ok": true}`` to any JSON object (no authentication, no work)."""
    return {"ok": bool(body) or True}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        status = Path(f"/proc/{one}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


@contextmanager
def _server(
    command: list[str], port: int, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"server did not start: {error}") from None
            time.sleep(0.1)
    time.sleep(1.0)  # let every worker come up
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
    }


def _server_ms(response: httpx.Response) -> float:
    timing = response.headers["server-timing"]
    return float(timing.split("dur=")[1].split(",")[0])


def _timed_gets(client: httpx.Client, paths: list[str]) -> dict[str, float]:
    server, wall = [], []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
        server.append(_server_ms(response))
    found = _percentiles(server)
    found["wall_p95"] = _percentiles(wall)["p95"]
    return found


async def _load(
    port: int,
    path: str,
    body: bytes,
    headers: dict[str, str],
    seconds: float,
    connections: int = 32,
) -> tuple[int, int]:
    """Send POSTs over keep-alive connections for ``seconds``; return (answers, non-2xx)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    ).encode()
    request = head + body
    done = [0, 0]
    stop = time.perf_counter() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop:
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            done[0] += 1
            if not status_line.split(b" ")[1].startswith(b"2"):
                done[1] += 1
        writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return done[0], done[1]


def _throughput(
    port: int, path: str, body: bytes, headers: dict[str, str], seconds: float
) -> tuple[float, int]:
    asyncio.run(_load(port, path, body, headers, 1.0))  # warm-up
    started = time.perf_counter()
    answers, failures = asyncio.run(_load(port, path, body, headers, seconds))
    return answers / (time.perf_counter() - started), failures


def _prepare(url: str, bundle: Path) -> tuple[str, list[str], float]:
    """Migrate, import the bundle, create an admin and a clinician token; return token, ids, s."""
    env = {**os.environ, "DRESSKIT_USER": "bench"}
    subprocess.run([DRESSKIT, "db", "init", "--db", url], check=True, env=env, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [DRESSKIT, "import", str(bundle), "--db", url], check=True, env=env, capture_output=True
    )
    imported = time.perf_counter() - started
    for name, role in (("bench-admin", "admin"), ("bench-clinician", "clinician")):
        subprocess.run(
            [
                DRESSKIT,
                "user",
                "add",
                name,
                "--role",
                role,
                "--site",
                "main",
                "--random-password",
                "--db",
                url,
            ],
            check=True,
            env=env,
            capture_output=True,
        )
    token = subprocess.run(
        [DRESSKIT, "user", "token", "bench-clinician", "--db", url],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ids = [line.split(",")[0] for line in (bundle / "episodes.csv").read_text().splitlines()[1:]]
    return token, ids, imported


def _score_body() -> bytes:
    template = subprocess.run(
        [DRESSKIT, "score", "regiscar", "--template"], check=True, capture_output=True, text=True
    ).stdout
    return json.dumps(json.loads(template)).encode()


LIST_FILTERS = [
    "/patients",
    "/patients?page=3",
    "/patients?q=E00012",
    "/patients?regiscar=definite",
    "/patients?regiscar=probable&regiscar=possible",
    "/patients?response=hyporesponsive:yes",
    "/patients?drug=allopurinol",
    "/patients?onset_from=2020-01-01&onset_to=2021-12-31",
    "/patients?sort=regiscar&descending=1&page=2",
]


def _bench_database(
    label: str, url: str, bundle: Path, args: argparse.Namespace, score_body: bytes
) -> dict[str, Any]:
    token, ids, imported = _prepare(url, bundle)
    port = _free_port()
    command = [DRESSKIT, "serve", "--db", url, "--port", str(port), "--workers", "2"]
    results: dict[str, Any] = {"database": label, "import_s": imported}
    auth = {"authorization": f"Bearer {token}"}
    with _server(command, port, {}) as process:
        started_serving = time.perf_counter()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=60) as client:
            # The list derives every episode's classes once, in the background, after start
            # (each worker process, with the CPU it takes): time the steady state after it.
            deadline = time.monotonic() + 1800
            while any("still being derived" in client.get("/patients").text for _ in range(4)):
                if time.monotonic() > deadline:
                    raise RuntimeError("the list's classes were not derived in 30 minutes")
                time.sleep(2)
            derived = time.perf_counter() - started_serving
            results["derivation_s"] = derived
            rng = random.Random(20221)
            _timed_gets(client, [f"/patients/{rng.choice(ids)}" for _ in range(20)])  # warm-up
            results["patient_page"] = _timed_gets(
                client, [f"/patients/{rng.choice(ids)}" for _ in range(args.requests)]
            )
            _timed_gets(client, LIST_FILTERS)  # warm-up
            paths = [LIST_FILTERS[i % len(LIST_FILTERS)] for i in range(args.requests)]
            results["patient_list"] = _timed_gets(client, paths)
        rate, failures = _throughput(
            port, "/api/v1/scores/regiscar", score_body, auth, args.seconds
        )
        results["scoring_rps"], results["scoring_failures"] = rate, failures
        results["server_peak_mib"] = _peak_rss_mib(process.pid)
    return results


def _bare(args: argparse.Namespace, body: bytes) -> tuple[float, float]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(Path(__file__).parent),
        "web_bench:bare_app",
        "--port",
        str(port),
        "--workers",
        "2",
        "--log-level",
        "warning",
    ]
    with _server(command, port, {}) as process:
        rate, _ = _throughput(port, "/bare", body, {}, args.seconds)
        return rate, _peak_rss_mib(process.pid)


@contextmanager
def _postgres_database(admin_url: str) -> Iterator[str]:
    name = f"dresskit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dresskit-web-bench-"))
    try:
        started = time.perf_counter()
        bundle = generate_bundle(work / "bundle", episodes=args.episodes, days=args.days)
        print(
            f"bundle: {args.episodes} episodes x {args.days} days in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        body = _score_body()
        bare_rps, bare_mib = _bare(args, body)
        print(
            f"bare FastAPI endpoint: {bare_rps:,.0f} requests/s (server peak {bare_mib:.0f} MiB)",
            flush=True,
        )
        runs = [("SQLite", f"sqlite:///{work / 'registry.sqlite3'}")]
        if not args.no_postgres:
            runs.append(("PostgreSQL", ""))
        for label, url in runs:
            if label == "PostgreSQL":
                with _postgres_database(args.postgres) as pg_url:
                    found = _bench_database(label, pg_url, bundle, args, body)
            else:
                found = _bench_database(label, url, bundle, args, body)
            page, listing = found["patient_page"], found["patient_list"]
            ratio = found["scoring_rps"] / bare_rps
            print(
                f"{label}: import {found['import_s']:.1f} s, list classes derived in "
                f"{found['derivation_s']:.0f} s after start\n"
                f"  patient page server p50 {page['p50']:.1f} ms, p95 {page['p95']:.1f} ms "
                f"(wall p95 {page['wall_p95']:.1f} ms, n={page['n']})\n"
                f"  list with filters server p50 {listing['p50']:.1f} ms, "
                f"p95 {listing['p95']:.1f} ms (n={listing['n']})\n"
                f"  scoring {found['scoring_rps']:,.0f} requests/s ({ratio:.2f}x the bare "
                f"endpoint; {found['scoring_failures']} non-2xx)\n"
                f"  server peak {found['server_peak_mib']:.0f} MiB",
                flush=True,
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"benchmark process peak RSS {peak:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
