"""Class 12 (database part): an import killed mid-way leaves the registry exactly as it was.

``dresskit import`` of a generated bundle (``bench/synthetic_bundle.py``: 400 episodes of 60
days, 288 000 observations, enough for the bulk path that drops and rebuilds indexes and keys)
runs in a subprocess against a registry that already holds the sim2022 example, and is killed
with SIGKILL while it writes: on PostgreSQL once ``pg_stat_activity`` shows its ``COPY``; on
SQLite once it holds the write lock (a probe's ``BEGIN IMMEDIATE`` is refused) and has worked
inside that transaction for a moment (its CPU time grew; its rows sit in SQLite's page cache
until the commit, so the WAL file only grows at the very end). Afterwards: none of its rows, no
audit record, the schema (keys, indexes) intact, ``audit verify`` intact, and the same import
run again succeeds.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from dresskit.bundle.schema import DATA_TABLES
from dresskit.cli import app
from dresskit.registry import audit
from dresskit.registry.db import engine_for
from dresskit.registry.schema import metadata, table
from tests.registry.conftest import new_postgres_database

ROOT = Path(__file__).parents[2]
DRESSKIT = Path(sys.executable).with_name("dresskit")
runner = CliRunner()

TABLES = DATA_TABLES
#: How long to wait for the import to reach its writing phase before calling the test failed
#: (a bound on a poll, not a timed assertion).
PATIENCE_SECONDS = 120


@pytest.fixture(scope="module")
def big_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "bundle"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "synthetic_bundle.py"),
            str(out),
            "--episodes",
            "400",
            "--days",
            "60",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: int(
                connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            )
            for name in (*TABLES, "audit_log")
        }


def _start_import(bundle: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(DRESSKIT), "import", str(bundle), "--db", url, "--user", "killed"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _kill_when_writing_sqlite(child: subprocess.Popen[bytes], path: Path) -> None:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + PATIENCE_SECONDS
    locked_at: int | None = None
    try:
        while child.poll() is None and time.monotonic() < deadline:
            if locked_at is None:
                try:
                    probe.execute("BEGIN IMMEDIATE")
                    probe.execute("ROLLBACK")
                except sqlite3.OperationalError:  # "database is locked": the import's write
                    locked_at = _cpu_ticks(child.pid)
            elif _cpu_ticks(child.pid) - locked_at >= ticks_per_second // 4:
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        probe.close()


def _kill_when_writing_postgres(child: subprocess.Popen[bytes], engine: Engine) -> int:
    """Kill the import once its COPY runs; return the server process that served it."""
    database = engine.url.database
    deadline = time.monotonic() + PATIENCE_SECONDS
    with engine.connect() as observer:
        while child.poll() is None and time.monotonic() < deadline:
            backend = observer.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = :database "
                    "AND state = 'active' AND query LIKE 'COPY \"observations\"%'"
                ),
                {"database": database},
            ).scalar_one_or_none()
            observer.rollback()
            if backend is not None:
                child.send_signal(signal.SIGKILL)
                return int(backend)
            time.sleep(0.005)
    return -1


def _wait_for_backend_to_end(engine: Engine, backend: int) -> None:
    """The server rolls back the killed client's transaction when it sees the socket close."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    with engine.connect() as observer:
        while time.monotonic() < deadline:
            alive = observer.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}
            ).scalar_one()
            observer.rollback()
            if not alive:
                return
            time.sleep(0.01)
    pytest.fail(f"the server process {backend} of the killed import did not end")


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A registry (URL) that holds the sim2022 example."""

    def prepare(url: str) -> str:
        assert runner.invoke(app, ["db", "init", "--db", url]).exit_code == 0
        result = runner.invoke(app, ["import", str(ROOT / "examples" / "sim2022"), "--db", url])
        assert result.exit_code == 0, result.output
        return url

    if request.param == "sqlite":
        yield prepare(str(tmp_path / "registry.sqlite3"))
        return
    with new_postgres_database() as url:
        yield prepare(url)


def test_an_import_killed_while_writing_leaves_the_registry_as_it_was(
    registry: str, big_bundle: Path, tmp_path: Path
) -> None:
    engine = engine_for(registry)
    before = _counts(engine)
    head = audit.records(engine)[-1].hash
    log = tmp_path / "import.log"
    child = _start_import(big_bundle, registry, log)
    if engine.dialect.name == "postgresql":
        backend = _kill_when_writing_postgres(child, engine)
    else:
        _kill_when_writing_sqlite(child, Path(registry))
    returncode = child.wait()
    assert returncode == -signal.SIGKILL, (
        f"the import ended ({returncode}) before it could be killed mid-way: {log.read_text()}"
    )
    if engine.dialect.name == "postgresql":
        _wait_for_backend_to_end(engine, backend)

    assert _counts(engine) == before  # no row of it, and no audit record
    with engine.connect() as connection:
        synthetic = connection.execute(
            select(func.count())
            .select_from(table("episodes"))
            .where(table("episodes").c.episode_id.like("E0%"))
        ).scalar_one()
        assert synthetic == 0
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    check = audit.verify(engine, expected_head=head)
    assert (check.intact, check.checked, check.reason) == (True, 1, "")
    verified = runner.invoke(app, ["audit", "verify", "--db", registry, "--head", head])
    assert verified.exit_code == 0, verified.output
    assert "audit trail intact: 1 records" in verified.output

    again = subprocess.run(
        [str(DRESSKIT), "import", str(big_bundle), "--db", registry],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    after = _counts(engine)
    assert after["episodes"] == before["episodes"] + 400
    assert after["observations"] == before["observations"] + 400 * 60 * 12
    assert after["audit_log"] == 2
    assert audit.verify(engine).intact
    engine.dispose()
