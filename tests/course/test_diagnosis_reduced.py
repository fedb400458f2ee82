"""Scoring RegiSCAR from only the rows it reads gives exactly the full course's result."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dresskit.bundle import read_bundle
from dresskit.course.codes import CODE_ENUM
from dresskit.course.diagnosis import regiscar_from_course, regiscar_observations
from dresskit.errors import InputErrors

EXAMPLES = Path(__file__).parents[2] / "examples"


def _outcome(course):  # type: ignore[no-untyped-def]
    try:
        scored = regiscar_from_course(course)
    except InputErrors as error:
        return ("refused", str(error))
    return (scored.result.total, scored.result.classification, scored.answers, scored.provenance)


@pytest.mark.parametrize("name", ["sim2022", "shen2024"])
def test_examples_score_the_same_from_the_kept_rows(name: str) -> None:
    bundle = read_bundle(EXAMPLES / name)
    reduced = replace(bundle, observations=regiscar_observations(bundle.observations))
    assert reduced.observations.height < bundle.observations.height
    full = {c.episode.episode_id: _outcome(c) for c in bundle.courses()}
    kept = {c.episode.episode_id: _outcome(c) for c in reduced.courses()}
    assert kept == full


@pytest.mark.parametrize("seed", range(3))
def test_ties_and_same_day_counts_score_the_same(seed: int) -> None:
    """Random peaks with ties, and several counts on the peak day, in shuffled order."""
    bundle = read_bundle(EXAMPLES / "sim2022")
    rng = random.Random(seed)
    rows = []
    for row in bundle.observations.filter(pl.col("code") == "eosinophils").iter_rows(named=True):
        for code, value in (
            ("eosinophils", rng.choice([row["value"], 2.5, 2.5])),
            ("leukocytes", rng.choice([10.0, 12.0, 25.0])),
            ("eosinophils_pct", rng.choice([10.0, 20.8, 25.0])),
            ("temperature", rng.choice([38.0, 39.5, 39.5])),
        ):
            rows.append({**row, "code": code, "value": value, "unit": None})
    extra = pl.DataFrame(rows, schema=bundle.observations.schema, strict=False).with_columns(
        pl.col("code").cast(CODE_ENUM)
    )
    observations = pl.concat([bundle.observations, extra.select(bundle.observations.columns)])
    observations = observations.sample(fraction=1.0, shuffle=True, seed=seed)
    mixed = replace(bundle, observations=observations)
    reduced = replace(mixed, observations=regiscar_observations(mixed.observations))
    full = {c.episode.episode_id: _outcome(c) for c in mixed.courses()}
    kept = {c.episode.episode_id: _outcome(c) for c in reduced.courses()}
    assert kept == full
