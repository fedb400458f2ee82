"""Change and delete episodes under optimistic locking (ORM records), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from dresskit.bundle import Bundle, read_bundle
from dresskit.errors import InputError, InputErrors
from dresskit.registry import audit, editing
from dresskit.registry.editing import ConflictError, delete_episode, update_episode
from dresskit.registry.records import EpisodeRecord, PatientRecord
from dresskit.registry.schema import table
from dresskit.registry.store import import_bundle, load_bundle

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


def _episode(engine: Engine, episode_id: str) -> dict[str, object]:
    episodes = table("episodes")
    with engine.connect() as connection:
        row = connection.execute(select(episodes).where(episodes.c.episode_id == episode_id)).one()
    return dict(row._mapping)


def test_stale_update_is_refused(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    version = update_episode(
        engine, "SIM01", expected_version=1, changes={"outcome": "ongoing"}, actor="a"
    )
    assert version == 2
    with pytest.raises(ConflictError, match="changed by someone else"):
        update_episode(engine, "SIM01", expected_version=1, changes={"outcome": "died"}, actor="b")
    assert load_bundle(engine).episodes.filter(pl.col("episode_id") == "SIM01")[
        "outcome"
    ].to_list() == ["ongoing"]


def test_update_of_an_id_column_is_refused(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    with pytest.raises(InputError, match="episode_id"):
        update_episode(engine, "SIM01", expected_version=1, changes={"episode_id": "X"}, actor="a")


def test_parallel_writers_lose_no_update(engine: Engine, sim: Bundle) -> None:
    """Eight writers each move the last follow-up one day later, retrying on conflict."""
    import_bundle(engine, sim, actor="tester", source="sim")
    episodes = table("episodes")
    with engine.connect() as connection:
        start = connection.execute(
            select(episodes.c.last_follow_up_date).where(episodes.c.episode_id == "SIM02")
        ).scalar_one()
    conflicts = []

    def writer(number: int) -> None:
        while True:
            with engine.connect() as connection:
                current, version = connection.execute(
                    select(episodes.c.last_follow_up_date, episodes.c.version).where(
                        episodes.c.episode_id == "SIM02"
                    )
                ).one()
            try:
                update_episode(
                    engine,
                    "SIM02",
                    expected_version=version,
                    changes={"last_follow_up_date": current + timedelta(days=1)},
                    actor=f"writer {number}",
                )
                return
            except ConflictError:
                conflicts.append(number)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        final = connection.execute(
            select(episodes.c.last_follow_up_date).where(episodes.c.episode_id == "SIM02")
        ).scalar_one()
    assert final == start + timedelta(days=8)
    assert audit.verify(engine).intact


def test_delete_removes_the_episode_and_its_rows_and_is_audited(
    engine: Engine, sim: Bundle
) -> None:

    import_bundle(engine, sim, actor="tester", source="sim")
    delete_episode(engine, "SIM05", expected_version=1, actor="carol")
    loaded = load_bundle(engine)
    assert "SIM05" not in loaded.episodes.get_column("episode_id").to_list()
    assert loaded.observations.filter(pl.col("episode_id") == "SIM05").height == 0
    record = audit.records(engine)[-1]
    assert (record.actor, record.action, record.entity_id) == ("carol", "delete", "SIM05")
    assert audit.verify(engine).intact


def test_stale_delete_is_refused_and_deletes_nothing(engine: Engine, sim: Bundle) -> None:

    import_bundle(engine, sim, actor="tester", source="sim")
    update_episode(engine, "SIM05", expected_version=1, changes={"outcome": "ongoing"}, actor="a")
    with pytest.raises(ConflictError):
        delete_episode(engine, "SIM05", expected_version=1, actor="b")
    assert load_bundle(engine).observations.filter(pl.col("episode_id") == "SIM05").height > 0


def test_records_map_the_registry_tables_and_their_rows(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    with Session(engine) as session:
        record = session.scalars(
            select(EpisodeRecord).where(EpisodeRecord.episode_id == "SIM01")
        ).one()
        assert isinstance(record.patient, PatientRecord)
        assert record.patient.patient_id == sim.episodes.row(0, named=True)["patient_id"]
        expected = sim.observations.filter(pl.col("episode_id") == "SIM01").height
        assert len(record.observations) == expected > 0
        assert record.version == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outcome": "cured"}, "one of recovered, died"),
        ({"phenotype": None}, "the column is required"),
        ({"last_follow_up_date": "2020-01-01"}, r"a date \(datetime.date\)"),
        ({"last_follow_up_date": date(1990, 1, 1)}, "on or after onset"),
        ({"admission_date": date(1990, 1, 1)}, "no earlier than 30 days before onset"),
        ({"onset_date": date(2020, 1, 1)}, "one of admission_date"),
    ],
)
def test_a_value_the_bundle_format_refuses_changes_nothing(
    engine: Engine, sim: Bundle, changes: dict[str, object], message: str
) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    before = _episode(engine, "SIM01")
    with pytest.raises((InputError, InputErrors), match=message):
        update_episode(engine, "SIM01", expected_version=1, changes=changes, actor="a")
    assert _episode(engine, "SIM01") == before
    assert [record.action for record in audit.records(engine)] == ["import"]


def test_an_update_to_the_same_value_still_moves_the_version(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    outcome = _episode(engine, "SIM01")["outcome"]
    changes = {"outcome": outcome}
    assert update_episode(engine, "SIM01", expected_version=1, changes=changes, actor="a") == 2


def test_a_change_made_between_read_and_write_is_a_conflict(
    engine: Engine, sim: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else commits after this writer compared versions, before it flushes."""
    if engine.dialect.name == "sqlite":
        pytest.skip(
            "on SQLite the writer holds the write lock from BEGIN IMMEDIATE, so no one can "
            "commit in between (tests/hostile/test_audit_concurrency.py checks that they wait)"
        )
    import_bundle(engine, sim, actor="tester", source="sim")
    episodes = table("episodes")
    load = editing._load

    def load_then_someone_else_writes(session: Session, episode_id: str) -> EpisodeRecord:
        record = load(session, episode_id)
        with engine.begin() as other:
            other.execute(
                update(episodes)
                .where(episodes.c.episode_id == episode_id)
                .values(outcome="died", version=episodes.c.version + 1)
            )
        return record

    monkeypatch.setattr(editing, "_load", load_then_someone_else_writes)
    with pytest.raises(ConflictError, match="changed by someone else"):
        update_episode(
            engine, "SIM01", expected_version=1, changes={"outcome": "ongoing"}, actor="a"
        )
    assert _episode(engine, "SIM01")["outcome"] == "died"
    assert [record.action for record in audit.records(engine)] == ["import"]


def test_an_admission_up_to_30_days_before_onset_is_accepted_as_in_a_file(
    engine: Engine, sim: Bundle
) -> None:
    """The reaction may begin in hospital: the same rule as episodes.csv."""
    import_bundle(engine, sim, actor="tester", source="sim")
    onset = _episode(engine, "SIM01")["onset_date"]
    assert isinstance(onset, date)
    admitted = onset - timedelta(days=30)
    changes = {"admission_date": admitted}
    update_episode(engine, "SIM01", expected_version=1, changes=changes, actor="a")
    assert _episode(engine, "SIM01")["admission_date"] == admitted


def test_a_follow_up_before_admission_is_refused(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    onset = _episode(engine, "SIM01")["onset_date"]
    assert isinstance(onset, date)
    changes = {"admission_date": onset + timedelta(days=5), "last_follow_up_date": onset}
    with pytest.raises(InputErrors, match="on or after admission"):
        update_episode(engine, "SIM01", expected_version=1, changes=changes, actor="a")
