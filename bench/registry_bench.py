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
On PostgreSQL a second baseline (issue 11) runs just before the import, in the same fresh
database: a bare binary ``COPY`` of the same rows (patients, episodes and every episode
table, in the same binary encoding, :func:`dresskit.registry.copy_binary.write_frame`) into
tables with no key, index, constraint or default, in one transaction; the import is then
stated as a multiple of it (target: at most 2x).
Prints times, rows/s and each step's peak resident memory.

Run: .venv/bin/python bench/registry_bench.py [--episodes 10000] [--days 90] [--bundle PATH]
     [--postgres URL] (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres; "" skips)
     [--only sqlite|postgresql]
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
from typing import Any

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
    elif kind == "bare-copy":
        bundle = read_bundle(path)
        os.sync()
        seconds = _bare_copy(url, bundle)
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


#: SQL and binary COPY form of each bundle column kind, for the bare tables.
_BARE_TYPES: dict[str, tuple[str, str]] = {
    "date": ("date", "date"),
    "number": ("double precision", "float8"),
    "integer": ("integer", "int4"),
}


def _bare_copy(url: str, bundle: Any) -> float:
    """Seconds to binary-COPY the rows an import writes into tables with nothing on them."""
    from sqlalchemy import create_engine as plain_engine

    from dresskit.bundle.schema import TABLES
    from dresskit.registry.copy_binary import write_frame
    from dresskit.registry.schema import CHILD_TABLES

    engine = plain_engine(url)
    names = ("patients", "episodes", *CHILD_TABLES)
    started = time.perf_counter()
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        for name in names:
            declared = TABLES[name]
            columns = ", ".join(
                f'"{c.name}" {_BARE_TYPES.get(c.kind, ("text", "text"))[0]}' for c in declared
            )
            connection.exec_driver_sql(f'CREATE TABLE "bare_{name}" ({columns})')
            frame = getattr(bundle, name).select([c.name for c in declared])
            if frame.height == 0:
                continue
            kinds: Any = {c.name: _BARE_TYPES.get(c.kind, ("text", "text"))[1] for c in declared}
            statement = f'COPY "bare_{name}" FROM STDIN WITH (FORMAT binary)'
            with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                write_frame(copy, frame, kinds)
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        for name in names:
            connection.exec_driver_sql(f'DROP TABLE "bare_{name}"')
    engine.dispose()
    return seconds


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
        "--only", choices=["sqlite", "postgresql"], help="time one database (default: both)"
    )
    parser.add_argument(
        "--step",
        choices=["baseline", "bare-copy", "import", "load", "reimport"],
        help=argparse.SUPPRESS,
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
        targets = []
        if arguments.only != "postgresql":
            targets.append(("SQLite", f"sqlite:///{Path(folder) / 'registry.sqlite3'}"))
        admin = None
        name = f"dresskit_bench_{uuid.uuid4().hex[:8]}"
        if arguments.postgres and arguments.only != "sqlite":
            admin = create_engine(arguments.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            targets.append(
                ("PostgreSQL", admin.url.set(database=name).render_as_string(hide_password=False))
            )
        try:
            for label, url in targets:
                bare = run("bare-copy", url, path) if label == "PostgreSQL" else None
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
                if bare is not None:
                    print(
                        f"{'':<10} bare binary COPY of the same rows into unindexed tables "
                        f"{bare['seconds']:6.2f} s: the import takes "
                        f"{imported['seconds'] / bare['seconds']:.2f}x (target <= 2x)"
                    )
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
