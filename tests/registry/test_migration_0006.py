"""Migration 0006: observations without a surrogate key, ordered by ``row_order``.

An existing registry (at revision 0005, holding an import) is upgraded: every row stays, each
episode's rows keep their old id order (rows written later come last), the migrated database
matches the metadata, the observations have no primary key and no id sequence but keep their
episode index and foreign key (a row of an unknown episode is refused, an episode's deletion
deletes its rows), imports afterwards keep each episode's rows in bundle order, and the
revision downgrades and upgrades again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from dresskit.bundle import Bundle, read_bundle
from dresskit.registry.db import engine_for
from dresskit.registry.migrate import _config, schema_status, upgrade
from dresskit.registry.schema import metadata, table
from dresskit.registry.store import import_bundle, load_bundle

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


def _downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@pytest.fixture
def at_0005(database_url: str, sim: Bundle) -> Iterator[Engine]:
    """A registry at revision 0005 holding the Sim example, plus two SIM01 rows written last.

    The two rows get the highest ids, after every other episode's: the upgrade must number
    them after SIM01's other rows, in their id order.
    """
    created = engine_for(database_url)
    upgrade(created)
    import_bundle(created, sim, actor="tester", source="examples/sim2022")
    _downgrade(created, "0005")
    assert schema_status(created).current == "0005"
    with created.begin() as connection:
        for value in (111.0, 222.0):
            connection.execute(
                text(
                    "INSERT INTO observations (episode_id, date, code, value) "
                    "VALUES ('SIM01', :day, 'alt', :value)"
                ),
                {"day": date(2012, 8, 20), "value": value},
            )
    yield created
    created.dispose()


def _sim01_values(engine: Engine, order: str = "row_order") -> list[float | None]:
    with engine.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                text(f"SELECT value FROM observations WHERE episode_id = 'SIM01' ORDER BY {order}")
            )
        ]


def test_upgrade_to_0006_keeps_each_episodes_rows_in_id_order(at_0005: Engine, sim: Bundle) -> None:
    before = _sim01_values(at_0005, order="id")
    assert upgrade(at_0005, "0006") == "0006"
    values = _sim01_values(at_0005)
    expected = sim.observations.filter(pl.col("episode_id") == "SIM01")
    assert values == before
    assert values == [*expected.get_column("value").to_list(), 111.0, 222.0]
    with at_0005.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM observations")).scalar_one()
    assert total == sim.observations.height + 2


def test_after_0006_the_schema_matches_and_observations_have_no_key(at_0005: Engine) -> None:
    upgrade(at_0005)
    with at_0005.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    inspector = inspect(at_0005)
    assert inspector.get_pk_constraint("observations")["constrained_columns"] == []
    assert "id" not in {column["name"] for column in inspector.get_columns("observations")}
    assert [index["column_names"] for index in inspector.get_indexes("observations")] == [
        ["episode_id"]
    ]
    [foreign_key] = inspector.get_foreign_keys("observations")
    assert foreign_key["referred_columns"] == ["episode_id"]
    assert foreign_key["options"].get("ondelete") == "CASCADE"
    if at_0005.dialect.name == "postgresql":
        assert foreign_key["name"] == "observations_episode_id_fkey"
        with at_0005.connect() as connection:
            sequences = connection.execute(
                text("SELECT count(*) FROM pg_sequences WHERE sequencename LIKE 'observations%'")
            ).scalar_one()
            collation = connection.execute(
                text(
                    "SELECT collation_name FROM information_schema.columns "
                    "WHERE table_name = 'observations' AND column_name = 'episode_id'"
                )
            ).scalar_one()
        assert (sequences, collation) == (0, "C")


def test_after_0006_a_row_of_an_unknown_episode_is_refused(at_0005: Engine) -> None:
    upgrade(at_0005)
    row = {"episode_id": "NO-SUCH-EPISODE", "row_order": 0, "date": date(2020, 1, 1)}
    insert = table("observations").insert()
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), at_0005.begin() as connection:
        connection.execute(insert.values(**row, code="alt", value=1.0))


def test_after_0006_deleting_an_episode_deletes_its_observations(at_0005: Engine) -> None:
    upgrade(at_0005)
    with at_0005.begin() as connection:
        if at_0005.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        for name in ("drug_exposures", "drug_assessments", "findings", "treatments"):
            connection.execute(text(f"DELETE FROM {name} WHERE episode_id = 'SIM02'"))
        connection.execute(text("DELETE FROM episodes WHERE episode_id = 'SIM02'"))
    with at_0005.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM observations WHERE episode_id = 'SIM02'")
        ).scalar_one()
    assert left == 0


def test_0006_downgrades_and_upgrades_again(at_0005: Engine, sim: Bundle) -> None:
    upgrade(at_0005)
    before = _sim01_values(at_0005)
    _downgrade(at_0005, "0005")
    assert schema_status(at_0005).current == "0005"
    inspector = inspect(at_0005)
    assert inspector.get_pk_constraint("observations")["constrained_columns"] == ["id"]
    assert {index["name"] for index in inspector.get_indexes("observations")} == {
        "ix_observations_episode_id"
    }
    assert _sim01_values(at_0005, order="id") == before
    if at_0005.dialect.name == "postgresql":
        with at_0005.connect() as connection:
            cache = connection.execute(
                text(
                    "SELECT cache_size FROM pg_sequences WHERE sequencename = 'observations_id_seq'"
                )
            ).scalar_one()
        assert cache == 100
    assert upgrade(at_0005, "0006") == "0006"
    assert _sim01_values(at_0005) == before
    with at_0005.begin() as connection:
        connection.execute(
            text("DELETE FROM observations WHERE episode_id = 'SIM01' AND value IN (111, 222)")
        )
    assert load_bundle(at_0005).observations.equals(sim.observations)


def test_after_0006_rows_imported_again_keep_their_order_within_each_episode(
    at_0005: Engine, sim: Bundle
) -> None:
    """The import numbers each episode's rows in bundle order; they load back in that order."""
    upgrade(at_0005)
    shuffled = replace(
        sim, observations=sim.observations.sample(fraction=1.0, shuffle=True, seed=3)
    )
    assert not import_bundle(at_0005, shuffled, actor="tester", source="shuffled").changed_nothing
    loaded = load_bundle(at_0005).observations
    # Grouped by episode, in episode id order (byte order on both databases).
    assert loaded.equals(shuffled.observations.sort("episode_id", maintain_order=True))
    for episode_id in sim.episodes.get_column("episode_id"):
        mine = pl.col("episode_id") == episode_id
        assert loaded.filter(mine).equals(shuffled.observations.filter(mine)), episode_id
