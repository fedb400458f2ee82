"""Episode fingerprints: equal exactly when an episode's data is equal, whatever the file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dresskit.bundle import Bundle, read_bundle, validate_tables, write_bundle
from dresskit.bundle.fingerprints import FINGERPRINT_VERSION, episode_fingerprints
from tests.bundle.fixture import tables

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


def test_every_episode_gets_a_versioned_sha256(sim: Bundle) -> None:
    fingerprints = episode_fingerprints(sim)
    assert list(fingerprints) == list(sim.episode_ids())
    assert all(
        f.startswith(f"{FINGERPRINT_VERSION}:") and len(f) == 66 for f in fingerprints.values()
    )
    assert len(set(fingerprints.values())) == len(fingerprints)


@pytest.mark.parametrize("format", ["folder", "zip", "xlsx"])
def test_the_same_data_written_in_any_format_has_the_same_fingerprints(
    sim: Bundle, tmp_path: Path, format: str
) -> None:
    suffix = {"folder": "", "zip": ".zip", "xlsx": ".xlsx"}[format]
    path = write_bundle(sim, tmp_path / f"again{suffix}", format=format)  # type: ignore[arg-type]
    assert episode_fingerprints(read_bundle(path)) == episode_fingerprints(sim)


def test_units_and_spellings_made_canonical_give_the_same_fingerprint() -> None:
    plain = validate_tables(tables(), source="a")
    observations = tables()["observations"].with_columns(
        pl.when(pl.col("code") == "alt")
        .then(pl.lit("300"))
        .otherwise(pl.col("value"))
        .alias("value"),
        pl.when(pl.col("code") == "alt")
        .then(pl.lit("U/L"))
        .otherwise(pl.col("unit"))
        .alias("unit"),
    )
    exposures = tables()["drug_exposures"].with_columns(pl.col("drug").str.to_uppercase())
    other = validate_tables(
        {**tables(), "observations": observations, "drug_exposures": exposures}, source="b"
    )
    assert episode_fingerprints(other) == episode_fingerprints(plain)


def test_episodes_in_another_order_keep_their_fingerprints(sim: Bundle) -> None:
    reversed_blocks = pl.concat(
        [sim.observations.filter(pl.col("episode_id") == e) for e in reversed(sim.episode_ids())]
    )
    interleaved = (
        sim.observations.with_columns(pl.int_range(pl.len()).over("episode_id").alias("rank"))
        .sort("rank", "episode_id", maintain_order=True)
        .drop("rank")
    )
    for observations in (reversed_blocks, interleaved):
        moved = replace(sim, observations=observations)
        assert episode_fingerprints(moved) == episode_fingerprints(sim)


def test_a_patient_change_changes_each_of_its_episodes_only(sim: Bundle) -> None:
    first = sim.patients.get_column("patient_id")[0]
    changed = replace(
        sim,
        patients=sim.patients.with_columns(
            pl.when(pl.col("patient_id") == first)
            .then(pl.lit(99, dtype=pl.Int64))
            .otherwise(pl.col("age_years"))
            .alias("age_years")
        ),
    )
    before, after = episode_fingerprints(sim), episode_fingerprints(changed)
    owners = set(sim.episodes.filter(pl.col("patient_id") == first).get_column("episode_id"))
    assert {e for e in before if before[e] != after[e]} == owners


@settings(max_examples=30, deadline=None)
@given(row=st.integers(min_value=0, max_value=2000), delta=st.sampled_from([0.5, 1.0, 7.25]))
def test_changing_one_value_changes_only_its_episodes_fingerprint(
    sim: Bundle, row: int, delta: float
) -> None:
    index = row % sim.observations.height
    values = sim.observations.get_column("value")
    if values[index] is None:
        return
    changed = replace(
        sim,
        observations=sim.observations.with_columns(
            values.scatter(index, values[index] + delta).alias("value")
        ),
    )
    before, after = episode_fingerprints(sim), episode_fingerprints(changed)
    owner = sim.observations.get_column("episode_id")[index]
    assert {e for e in before if before[e] != after[e]} == {owner}


def test_an_empty_cell_differs_from_zero() -> None:
    plain = validate_tables(tables(), source="a")
    exposures = tables()["drug_exposures"].with_columns(pl.lit(None, pl.Utf8).alias("stop_date"))
    emptied = validate_tables({**tables(), "drug_exposures": exposures}, source="b")
    assert episode_fingerprints(emptied)["E1"] != episode_fingerprints(plain)["E1"]
