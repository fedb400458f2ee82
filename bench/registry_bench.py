"""Benchmark: import the synthetic bundle into the registry (SQLite and PostgreSQL), load it back.

Generates (untimed, in a child process) the synthetic bundle with bench/synthetic_bundle.py.
Then, for each database, two steps each run in a child process of their own, so that each
step's peak memory is its own (an import and a report are separate runs in practice):

1. import: read the bundle, create the registry tables, time ``import_bundle`` (one
   transaction; SQLite executemany, PostgreSQL COPY) and report observation rows per second;
2. load: time ``load_bundle`` (read back, typed and validated, ready for a report);
3. reimport: read the same bundle again and time ``import_bundle`` into the registry that
   already holds it: every episode's fingerprint matches, so nothing is written (checked).

The baseline, in the same run, is writing the same bundle as CSV files (``write_bundle``).
Prints times, rows/s and each step's peak resident memory.

Run: .venv/bin/python bench/registry_bench.py [--episodes 10000] [--days 90] [--bundle PATH]
     [--postgres URL] (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres; "" skips)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))
from _shared import add_bundle_arguments, bundle_path, peak_rss_mib


def step(kind: str, url: str, path: str) -> None:
    """Run one step in this process and print its result as JSON."""
    from dresskit.bundle import read_bundle, write_bundle
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import upgrade
    from dresskit.registry.store import import_bundle, load_bundle

    # Start each step with the page cache clean: a previous step's database files (SQLite
    # writes about 1.5 GB) would otherwise be flushed to disk while this step is timed.
    os.sync()
    if kind == "baseline":
        bundle = read_bundle(path)
        started = time.perf_counter()
        write_bundle(bundle, Path(url))
        seconds = time.perf_counter() - started
        rows = bundle.observations.height
    elif kind in ("import", "reimport"):
        bundle = read_bundle(path)
        engine = engine_for(url)
        if kind == "import":
            upgrade(engine)
        os.sync()
        started = time.perf_counter()
        report = import_bundle(engine, bundle, actor="bench", source=path)
        seconds = time.perf_counter() - started
        rows = bundle.observations.height
        assert report.changed_nothing == (kind == "reimport"), report
    else:
        engine = engine_for(url)
        started = time.perf_counter()
        rows = load_bundle(engine).observations.height
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mib": peak_rss_mib()}))


def run(kind: str, url: str, path: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--step", kind, "--url", url, "--bundle", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_bundle_arguments(parser)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument(
        "--step", choices=["baseline", "import", "load", "reimport"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.step:
        step(arguments.step, arguments.url, str(arguments.bundle))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = bundle_path(arguments, folder)
        baseline = run("baseline", str(Path(folder) / "copy"), path)
        print(
            f"baseline: write the bundle as CSV files  {baseline['seconds']:6.2f} s "
            f"({baseline['rows'] / baseline['seconds'] / 1e3:,.0f} k rows/s)"
        )
        targets = [("SQLite", f"sqlite:///{Path(folder) / 'registry.sqlite3'}")]
        admin = None
        name = f"dresskit_bench_{uuid.uuid4().hex[:8]}"
        if arguments.postgres:
            admin = create_engine(arguments.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            targets.append(
                ("PostgreSQL", admin.url.set(database=name).render_as_string(hide_password=False))
            )
        try:
            for label, url in targets:
                imported = run("import", url, path)
                loaded = run("load", url, path)
                again = run("reimport", url, path)
                assert loaded["rows"] == imported["rows"]
                rate = imported["rows"] / imported["seconds"]
                print(
                    f"{label:<10} import {imported['seconds']:6.2f} s ({rate / 1e3:,.0f} k "
                    f"observation rows/s, {imported['seconds'] / baseline['seconds']:.1f}x the "
                    f"CSV baseline), peak {imported['peak_mib']:,.0f} MiB; load back "
                    f"{loaded['seconds']:6.2f} s, peak {loaded['peak_mib']:,.0f} MiB; identical "
                    f"re-import (nothing written) {again['seconds']:6.2f} s, peak "
                    f"{again['peak_mib']:,.0f} MiB"
                )
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
