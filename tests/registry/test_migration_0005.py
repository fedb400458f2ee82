"""Migration 0005: observations' episode id in the "C" collation and ids cached (PostgreSQL).

An existing registry (at revision 0004, holding an import) is upgraded: the column's
collation and the id sequence's cache change on PostgreSQL, nothing changes on SQLite, every
row loads back equal, the index and the foreign key still work (a row of an unknown episode
is refused), rows imported afterwards keep their order, and the revision downgrades and
upgrades again. (Revision 0006 then rebuilds the table: tests/registry/test_migration_0006.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from dresskit.bundle import Bundle, read_bundle
from dresskit.registry.db import engine_for
from dresskit.registry.migrate import _config, schema_status, upgrade
from dresskit.registry.store import import_bundle, load_bundle

OBSERVATION_ID_CACHE = 100  # migrations/versions/0005_observation_keys.py

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture
def at_0004(database_url: str, sim: Bundle) -> Iterator[Engine]:
    """A registry made before revision 0005, holding the Sim example.

    Imported at the newest revision (the import writes the newest schema), then downgraded.
    """
    created = engine_for(database_url)
    upgrade(created)
    import_bundle(created, sim, actor="tester", source="examples/sim2022")
    _downgrade(created, "0004")
    assert schema_status(created).current == "0004"
    yield created
    created.dispose()


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    """The observations in id order, read with SQL (loading reads the newest schema only)."""
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT episode_id, date, time, code, value, unit, text "
                    "FROM observations ORDER BY id"
                )
            )
        ]


def _collation(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        found: str | None = connection.execute(
            text(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'observations' AND column_name = 'episode_id'"
            )
        ).scalar_one()
    return found


def _id_cache(engine: Engine) -> int | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT cache_size FROM pg_sequences WHERE sequencename = 'observations_id_seq'"
                )
            ).scalar_one()
        )


def _downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_upgrade_to_0005_keeps_every_row_and_sets_the_c_collation(
    at_0004: Engine, sim: Bundle
) -> None:
    before = _rows(at_0004)
    assert len(before) == sim.observations.height
    assert _collation(at_0004) != "C"
    assert upgrade(at_0004, "0005") == "0005"
    assert _collation(at_0004) == ("C" if at_0004.dialect.name == "postgresql" else None)
    assert _id_cache(at_0004) == (
        OBSERVATION_ID_CACHE if at_0004.dialect.name == "postgresql" else None
    )
    assert _rows(at_0004) == before
    indexes = {index["name"] for index in inspect(at_0004).get_indexes("observations")}
    assert "ix_observations_episode_id" in indexes


def test_after_0005_a_row_of_an_unknown_episode_is_still_refused(at_0004: Engine) -> None:
    upgrade(at_0004, "0005")
    with pytest.raises(Exception, match=r"(?i)foreign key"), at_0004.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO observations (episode_id, date, code, value) "
                "VALUES ('NO-SUCH-EPISODE', '2020-01-01', 'alt', 1.0)"
            )
        )


def test_after_0005_the_episode_index_finds_rows_by_id(at_0004: Engine, sim: Bundle) -> None:
    upgrade(at_0004, "0005")
    first = sim.episodes.get_column("episode_id")[0]
    expected = sim.observations.filter(sim.observations["episode_id"] == first).height
    with at_0004.connect() as connection:
        found = connection.execute(
            text("SELECT count(*) FROM observations WHERE episode_id = :id"), {"id": first}
        ).scalar_one()
    assert found == expected > 0


def test_0005_downgrades_and_upgrades_again(at_0004: Engine, sim: Bundle) -> None:
    upgrade(at_0004, "0005")
    _downgrade(at_0004, "0004")
    assert schema_status(at_0004).current == "0004"
    assert _collation(at_0004) != "C"
    assert _id_cache(at_0004) in (1, None)
    before = _rows(at_0004)
    assert upgrade(at_0004, "0005") == "0005"
    assert _rows(at_0004) == before
    assert upgrade(at_0004) == schema_status(at_0004).head
    assert load_bundle(at_0004).observations.equals(sim.observations)
