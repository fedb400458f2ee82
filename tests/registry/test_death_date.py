"""The date of death in the registry: stored, edited, migrated, exported (SQLite, PostgreSQL).

Migration 0004 adds ``episodes.death_date`` (NULL for existing rows). A ``died`` episode stored
before it keeps loading: its last follow-up date stands for the date of death, with a warning
naming the episode (:func:`dresskit.registry.loading.legacy_deaths`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from alembic import command
from sqlalchemy import Engine, update

from dresskit.bundle import Bundle, read_bundle
from dresskit.errors import InputErrors
from dresskit.registry.db import writing
from dresskit.registry.deidentify import deidentify
from dresskit.registry.editing import read_episode, update_episode
from dresskit.registry.loading import load_course
from dresskit.registry.migrate import _config, schema_status, upgrade
from dresskit.registry.schema import table
from dresskit.registry.store import import_bundle, load_bundle

EXAMPLES = Path(__file__).parents[2] / "examples"
#: Patient 18 of the Sim 2022 reconstruction died on its last follow-up day.
SIM18_DEATH = date(2017, 1, 5)


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


def _forget_death_dates(engine: Engine) -> None:
    """Leave the registry as one written before death_date existed (every date NULL)."""
    with writing(engine).begin() as connection:
        connection.execute(update(table("episodes")).values(death_date=None))


def test_the_date_of_death_is_stored_and_loaded_back(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    assert read_episode(engine, "SIM18")["death_date"] == SIM18_DEATH
    assert read_episode(engine, "SIM01")["death_date"] is None
    bundle = load_bundle(engine)
    assert bundle.course("SIM18").episode.death == SIM18_DEATH
    assert not [w for w in bundle.warnings if w.field == "death_date"]


def test_a_death_stored_without_its_date_loads_with_the_last_follow_up_and_a_warning(
    engine: Engine, sim: Bundle
) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    _forget_death_dates(engine)
    bundle = load_bundle(engine)
    (warning,) = [w for w in bundle.warnings if w.field == "death_date"]
    assert "of episode SIM18 (outcome 'died') is not recorded" in warning.concern
    assert "last follow-up date is taken as the date of death" in warning.concern
    assert bundle.course("SIM18").episode.death == SIM18_DEATH  # = its last follow-up
    assert bundle.episodes.height == sim.episodes.height  # nothing left out
    assert load_course(engine, "SIM18").episode.death == SIM18_DEATH
    assert read_episode(engine, "SIM18")["death_date"] is None  # nothing written


def test_migration_0004_adds_an_empty_death_date_to_an_existing_registry(
    engine: Engine, sim: Bundle
) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    config = _config()
    with writing(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert schema_status(engine).current == "0003"
    assert upgrade(engine) == schema_status(engine).head  # through 0004 (and any later)
    assert read_episode(engine, "SIM18")["death_date"] is None
    bundle = load_bundle(engine)
    assert bundle.course("SIM18").episode.death == SIM18_DEATH
    assert [w.field for w in bundle.warnings] == ["death_date"]


def test_setting_the_date_of_death_of_a_legacy_death_ends_the_warning(
    engine: Engine, sim: Bundle
) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    _forget_death_dates(engine)
    version = read_episode(engine, "SIM18")["version"]
    update_episode(
        engine,
        "SIM18",
        expected_version=version,
        changes={"death_date": date(2017, 1, 3)},
        actor="tester",
    )
    bundle = load_bundle(engine)
    assert bundle.course("SIM18").episode.death == date(2017, 1, 3)
    assert not [w for w in bundle.warnings if w.field == "death_date"]


def test_an_edit_to_died_needs_the_date_of_death(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    with pytest.raises(InputErrors) as caught:
        update_episode(
            engine, "SIM02", expected_version=1, changes={"outcome": "died"}, actor="tester"
        )
    (error,) = caught.value.errors
    assert (error.field, error.row) == ("death_date", 1)
    assert "required when outcome is 'died'" in error.expected
    assert read_episode(engine, "SIM02")["outcome"] == "recovered"
    last = read_episode(engine, "SIM02")["last_follow_up_date"]
    update_episode(
        engine,
        "SIM02",
        expected_version=1,
        changes={"outcome": "died", "death_date": last},
        actor="tester",
    )
    assert load_bundle(engine).course("SIM02").episode.death == last


def test_a_date_of_death_after_the_last_follow_up_is_refused(engine: Engine, sim: Bundle) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    with pytest.raises(InputErrors) as caught:
        update_episode(
            engine,
            "SIM18",
            expected_version=1,
            changes={"death_date": date(2017, 2, 1)},
            actor="tester",
        )
    (error,) = caught.value.errors
    assert (error.field, error.value, error.expected) == (
        "death_date",
        "2017-02-01",
        "on or before last_follow_up_date",
    )


@pytest.mark.parametrize("dates", ["relative", "shifted"])
def test_deidentified_export_moves_the_date_of_death_with_the_other_dates(
    sim: Bundle, dates: str
) -> None:
    export = deidentify(sim, key=b"0123456789abcdef", dates=dates)  # type: ignore[arg-type]
    episodes = export.episodes
    if dates == "relative":
        row = episodes.filter(pl.col("death_day").is_not_null()).row(0, named=True)
        assert row["death_day"] == row["last_follow_up_day"]  # SIM18 died on its last day
        assert episodes.get_column("death_day").null_count() == episodes.height - 1
    else:
        row = episodes.filter(pl.col("death_date").is_not_null()).row(0, named=True)
        assert row["death_date"] == row["last_follow_up_date"]
        assert row["death_date"] != "2017-01-05"  # shifted, never the real date
