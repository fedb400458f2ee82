"""Import, load and change courses in the registry, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError

from dresskit.analysis.course_table import course_table
from dresskit.bundle import Bundle, read_bundle
from dresskit.bundle.fingerprints import episode_fingerprints
from dresskit.bundle.schema import TABLES as BUNDLE_SCHEMA
from dresskit.errors import InputError
from dresskit.registry import audit, store
from dresskit.registry.db import database_url, engine_for
from dresskit.registry.migrate import schema_status, upgrade
from dresskit.registry.schema import metadata, table
from dresskit.registry.store import (
    ImportRefusedError,
    NotInitialisedError,
    import_bundle,
    load_bundle,
    load_course,
    save_courses,
)

EXAMPLES = Path(__file__).parents[2] / "examples"
TABLES = tuple(name for name in BUNDLE_SCHEMA if name != "manifest")


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture(scope="module")
def shen() -> Bundle:
    return read_bundle(EXAMPLES / "shen2024")


def _count(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())


def test_migrations_create_exactly_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert schema_status(engine).up_to_date


def test_new_database_reports_no_revision(database_url: str) -> None:
    fresh = engine_for(database_url)
    status = schema_status(fresh)
    assert status.current is None
    assert not status.up_to_date
    assert upgrade(fresh) == status.head
    fresh.dispose()


def test_import_then_load_gives_the_same_bundle(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="examples/sim2022")
    loaded = load_bundle(engine)
    for name in TABLES:
        assert loaded.__getattribute__(name).equals(sim.__getattribute__(name)), name
    assert loaded.manifest == sim.manifest


def test_course_table_from_the_registry_equals_the_bundles(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="examples/sim2022")
    assert course_table(load_bundle(engine)).rows.equals(course_table(sim).rows)


def test_reimport_is_idempotent(engine: Engine, sim: Bundle, shen: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    import_bundle(engine, shen, actor="tester", source="shen")
    counts = {name: _count(engine, name) for name in TABLES}
    import_bundle(engine, sim, actor="tester", source="sim")
    assert {name: _count(engine, name) for name in TABLES} == counts
    assert counts["episodes"] == 19


def test_reimport_replaces_an_episodes_rows(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    fewer = replace(
        sim,
        observations=sim.observations.filter(
            ~((pl.col("episode_id") == "SIM01") & (pl.col("code") == "alt"))
        ),
    )
    import_bundle(engine, fewer, actor="tester", source="sim, corrected")
    # Only SIM01 was written again: its rows now come after the others' (insertion order).
    loaded = load_bundle(engine).observations.sort("episode_id", maintain_order=True)
    assert loaded.equals(fewer.observations.sort("episode_id", maintain_order=True))


def test_reimport_bumps_the_version_of_changed_episodes_only(engine: Engine, sim: Bundle) -> None:
    episodes = table("episodes")
    import_bundle(engine, sim, actor="tester", source="sim")
    changed = replace(
        sim,
        episodes=sim.episodes.with_columns(
            pl.when(pl.col("episode_id") == "SIM02")
            .then(pl.lit("other"))
            .otherwise(pl.col("phenotype").cast(pl.Utf8))
            .alias("phenotype")
        ),
    )
    report = import_bundle(engine, changed, actor="tester", source="sim, SIM02 changed")
    assert (report.episodes, report.unchanged) == (1, 17)
    with engine.connect() as connection:
        versions = {
            str(row[0]): int(row[1])
            for row in connection.execute(select(episodes.c.episode_id, episodes.c.version))
        }
    assert versions == {episode: 2 if episode == "SIM02" else 1 for episode in versions}


@pytest.fixture
def small_bulk_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the large-table path (indexes dropped and rebuilt) and many chunks on the examples."""
    monkeypatch.setattr(store, "_LARGE", 10)
    monkeypatch.setattr(store, "_BATCH", 7)


def _index_names(engine: Engine, name: str) -> set[str]:
    inspector = inspect(engine)
    names = {index["name"] for index in inspector.get_indexes(name)}
    names |= {key["name"] for key in inspector.get_foreign_keys(name)}
    if engine.dialect.name == "postgresql":
        names.add(inspector.get_pk_constraint(name)["name"])
    return names


@pytest.mark.usefixtures("small_bulk_thresholds")
def test_bulk_path_in_many_chunks_gives_the_same_bundle(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    loaded = load_bundle(engine)
    for name in TABLES:
        assert loaded.__getattribute__(name).equals(sim.__getattribute__(name)), name


@pytest.mark.usefixtures("small_bulk_thresholds")
def test_bulk_path_rebuilds_keys_indexes_and_foreign_keys(engine: Engine, sim: Bundle) -> None:
    before = {name: _index_names(engine, name) for name in ("observations", "drug_exposures")}
    import_bundle(engine, sim, actor="tester", source="sim")
    assert {name: _index_names(engine, name) for name in before} == before
    assert "ix_drug_exposures_episode_id" in before["drug_exposures"]
    assert "ix_observations_episode_id" in before["observations"]
    # Observations have no primary key (migration 0006).
    assert inspect(engine).get_pk_constraint("observations")["constrained_columns"] == []
    observations = table("observations")
    row = {"episode_id": "NOBODY", "row_order": 0, "date": date(2020, 1, 1), "code": "alt"}
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(observations.insert().values(**row, value=1.0))


@pytest.mark.usefixtures("small_bulk_thresholds")
def test_bulk_path_orders_each_episodes_rows_after_reimport(engine: Engine, sim: Bundle) -> None:
    changed = replace(sim, episodes=sim.episodes.with_columns(pl.lit("other").alias("phenotype")))
    import_bundle(engine, sim, actor="tester", source="sim")
    import_bundle(engine, changed, actor="tester", source="sim")  # every episode replaced
    observations, findings = table("observations"), table("findings")
    with engine.connect() as connection:
        keys = connection.execute(select(observations.c.episode_id, observations.c.row_order)).all()
        ids = connection.execute(select(findings.c.id)).scalars().all()
    assert len(keys) == len(set(keys)) == sim.observations.height
    assert len(ids) == len(set(ids)) == sim.findings.height


@pytest.mark.usefixtures("small_bulk_thresholds")
def test_only_an_import_that_at_least_doubles_a_table_rebuilds_its_indexes(
    engine: Engine, sim: Bundle, shen: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilt: list[str] = []
    original = store._without_indexes

    def spy(connection: Connection, name: str) -> AbstractContextManager[None]:
        rebuilt.append(name)
        return original(connection, name)

    monkeypatch.setattr(store, "_without_indexes", spy)
    import_bundle(engine, sim, actor="tester", source="sim")  # into empty tables
    assert "observations" in rebuilt
    rebuilt.clear()
    import_bundle(engine, shen, actor="tester", source="shen")  # 36 rows beside 2055
    assert "observations" not in rebuilt
    everything_changed = replace(
        sim, episodes=sim.episodes.with_columns(pl.lit("other").alias("phenotype"))
    )
    import_bundle(engine, everything_changed, actor="tester", source="sim")  # its own 2055 rows
    assert "observations" in rebuilt


def test_failed_import_writes_nothing(engine: Engine, sim: Bundle) -> None:
    broken = replace(
        sim,
        # An episode of an unknown patient breaks the foreign key mid-way through the import.
        episodes=sim.episodes.with_columns(
            pl.when(pl.col("episode_id") == "SIM18")
            .then(pl.lit("NOBODY"))
            .otherwise(pl.col("patient_id"))
            .alias("patient_id")
        ),
    )
    with pytest.raises(ImportRefusedError, match=r"(?i)nothing was written: .*(foreign key)"):
        import_bundle(engine, broken, actor="tester", source="broken")
    assert {name: _count(engine, name) for name in (*TABLES, "audit_log")} == dict.fromkeys(
        (*TABLES, "audit_log"), 0
    )


def test_a_first_import_stores_every_episodes_fingerprint(engine: Engine, sim: Bundle) -> None:
    """Into an empty registry the rows go in while the fingerprints are computed (a thread)."""
    import_bundle(engine, sim, actor="tester", source="sim")
    episodes = table("episodes")
    with engine.connect() as connection:
        query = select(episodes.c.episode_id, episodes.c.content_hash)
        stored = {str(row[0]): row[1] for row in connection.execute(query)}
    assert stored == episode_fingerprints(sim)
    assert import_bundle(engine, sim, actor="tester", source="sim").changed_nothing


@pytest.mark.parametrize("held", [False, True], ids=["first import", "registry holds some"])
def test_a_fingerprint_that_fails_writes_nothing(
    engine: Engine, sim: Bundle, shen: Bundle, held: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if held:
        import_bundle(engine, shen, actor="tester", source="shen")
    before = {name: _count(engine, name) for name in (*TABLES, "audit_log")}

    def failing(bundle: Bundle) -> dict[str, str]:
        raise MemoryError("no memory left for the fingerprints")

    monkeypatch.setattr(store, "episode_fingerprints", failing)
    with pytest.raises(MemoryError):
        import_bundle(engine, sim, actor="tester", source="sim")
    assert {name: _count(engine, name) for name in before} == before


def test_observations_are_given_their_position_in_the_bundle_as_their_order() -> None:
    frame = pl.DataFrame({"episode_id": ["B", "A", "B", "C", "A"], "value": [1.0, 2, 3, 4, 5]})
    numbered = store._with_row_numbers("observations", frame)
    assert numbered.columns == ["episode_id", "row_order", "value"]
    assert numbered.get_column("row_order").to_list() == [0, 1, 2, 3, 4]
    assert numbered.drop("row_order").equals(frame)
    assert store._with_row_numbers("findings", frame).equals(frame)


def test_import_killed_mid_way_leaves_the_registry_unchanged(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """A child process imports a generated bundle and is killed while writing observations."""
    bundle_dir = tmp_path / "bundle"
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parents[2] / "bench" / "synthetic_bundle.py"),
            str(bundle_dir),
            "--episodes",
            "400",
            "--days",
            "60",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    script = textwrap.dedent(
        f"""
        import sys, time
        from dresskit.bundle import read_bundle
        from dresskit.registry.db import engine_for
        from dresskit.registry import store
        original = store._bulk_insert
        def slow(connection, name, frame):
            if name == "observations":
                print("writing observations", flush=True)
                original(connection, name, frame.head(1000))
                time.sleep(60)
            original(connection, name, frame)
        store._bulk_insert = slow
        store.import_bundle(engine_for({database_url!r}), read_bundle({str(bundle_dir)!r}),
                            actor="killed", source="killed")
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing observations"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    for name in (*TABLES, "audit_log"):
        assert _count(engine, name) == 0, name


def test_loading_an_uninitialised_database_says_what_to_do(database_url: str) -> None:
    fresh = engine_for(database_url)
    with pytest.raises(NotInitialisedError, match="dresskit db init"):
        load_bundle(fresh)
    fresh.dispose()


def test_default_database_is_an_embedded_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRESSKIT_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = database_url()
    assert url.startswith("sqlite:///")
    assert url.endswith("registry.sqlite3")


def test_environment_names_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRESSKIT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"
    assert database_url("other.sqlite3").startswith("sqlite:///")


def test_one_course_loads_from_its_own_rows_and_equals_the_bundles(
    engine: Engine, sim: Bundle
) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    assert load_course(engine, "SIM14") == sim.course("SIM14")
    with pytest.raises(InputError, match="an episode of the registry"):
        load_course(engine, "O'Brien")


def test_saved_courses_load_back_equal_and_replace_the_episode(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    course = sim.course("SIM07")
    shorter = replace(course, observations=course.observations[:10])
    report = save_courses(engine, [shorter], actor="alice")
    assert (report.episodes, report.rows["observations"]) == (1, 10)
    assert load_course(engine, "SIM07") == shorter
    assert load_course(engine, "SIM08") == sim.course("SIM08")  # the others are untouched
    record = audit.records(engine)[-1]
    assert (record.actor, record.action) == ("alice", "import")


def test_a_course_the_bundle_cannot_hold_is_refused_and_nothing_is_written(
    engine: Engine, sim: Bundle
) -> None:
    with pytest.raises(InputError, match="notes"):
        save_courses(engine, [replace(sim.course("SIM07"), notes=("a note",))], actor="alice")
    assert _count(engine, "episodes") == 0
