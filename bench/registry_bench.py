"""Benchmark: import the synthetic bundle into the registry (SQLite and PostgreSQL), load it back.

Generates (untimed, in a child process) the synthetic bundle with bench/synthetic_bundle.py,
reads it once (untimed), then for each database: creates the registry tables, times
``import_bundle`` (one transaction; SQLite executemany, PostgreSQL COPY) and reports the
observation rows per second, then times ``load_bundle`` (read back and validated, ready for a
report). The baseline in the same run is writing the same bundle as CSV files
(``write_bundle``). Prints times, rows/s, and the process's peak resident memory.

Run: .venv/bin/python bench/registry_bench.py [--episodes 10000] [--days 90] [--bundle PATH]
     [--postgres URL] (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres; "" skips)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from dresskit.registry.bundle_files import read_bundle, write_bundle
from dresskit.registry.db import engine_for
from dresskit.registry.migrate import upgrade
from dresskit.registry.store import import_bundle, load_bundle

sys.path.insert(0, str(Path(__file__).parent))
from _shared import add_bundle_arguments, bundle_path, peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_bundle_arguments(parser)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = bundle_path(arguments, folder)
        bundle = read_bundle(path)
        rows = bundle.observations.height
        started = time.perf_counter()
        write_bundle(bundle, Path(folder) / "copy")
        baseline = time.perf_counter() - started
        print(f"baseline: write the bundle as CSV files   {baseline:6.2f} s")
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
                engine = engine_for(url)
                upgrade(engine)
                started = time.perf_counter()
                import_bundle(engine, bundle, actor="bench", source=str(path))
                imported = time.perf_counter() - started
                started = time.perf_counter()
                loaded = load_bundle(engine)
                load = time.perf_counter() - started
                assert loaded.observations.height == rows
                print(
                    f"{label:<10} import {imported:6.2f} s ({rows / imported / 1e3:,.0f} k "
                    f"observation rows/s, {imported / baseline:.1f}x the CSV baseline); "
                    f"load back {load:6.2f} s; peak RSS {peak_rss_mib():,.0f} MiB"
                )
                engine.dispose()
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
