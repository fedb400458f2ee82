"""Baseline characteristics of the Sim reconstruction match the paper's description.

Sim et al. 2022, Results p. 784: 9 men and 9 women; median age 54 (range 18-83); culprits
dapsone 5, carbamazepine 3, vancomycin 3; latency median 28 days (range 8-92).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dresskit.analysis.baseline import baseline_frame, baseline_table, regiscar_frame
from dresskit.bundle import Bundle, read_bundle

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture(scope="module")
def frame(sim: Bundle) -> pl.DataFrame:
    return baseline_frame(sim, regiscar=regiscar_frame(sim.courses()))


def test_age_median_and_range_match_the_paper(frame: pl.DataFrame) -> None:
    ages = frame.get_column("age_years")
    assert (ages.median(), ages.min(), ages.max()) == (54.0, 18.0, 83.0)


def test_latency_median_and_range_match_the_paper(frame: pl.DataFrame) -> None:
    latency = frame.get_column("latency_days")
    assert (latency.median(), latency.min(), latency.max()) == (28.0, 8.0, 92.0)


def test_culprit_counts_match_the_paper(frame: pl.DataFrame) -> None:
    counts = dict(frame.get_column("suspect_drugs").value_counts().iter_rows())
    assert (counts["dapsone"], counts["carbamazepine"], counts["vancomycin"]) == (5, 3, 3)


def test_table_rows_show_sex_counts_and_missing(frame: pl.DataFrame) -> None:
    table = baseline_table(frame)
    rows = {(variable, level): value for variable, level, _, value in table.rows}
    assert rows[("Sex, n (%)", "male")] == "9 (50.0)"
    assert rows[("Sex, n (%)", "female")] == "9 (50.0)"
    assert rows[("Age, years, median [min,max]", "")] == "54.0 [18.0,83.0]"
    assert table.n == 18


def test_numbers_recorded_for_no_episode_are_left_out_and_named(frame: pl.DataFrame) -> None:
    table = baseline_table(frame)
    assert "Peak total IgE, kU/L" in table.not_recorded
    assert not any("nan" in value for _, _, _, value in table.rows)


def test_unknown_sex_is_a_category_of_its_own(sim: Bundle) -> None:
    patients = sim.patients.with_columns(
        pl.when(pl.col("patient_id") == "SIMP01").then(None).otherwise(pl.col("sex")).alias("sex")
    )
    frame = baseline_frame(replace(sim, patients=patients))
    table = baseline_table(frame)
    levels = {level for variable, level, _, _ in table.rows if variable.startswith("Sex")}
    assert "unknown" in levels


def test_latency_is_unknown_with_several_suspects(sim: Bundle) -> None:
    extra = sim.drug_exposures.filter(pl.col("episode_id") == "SIM01").with_columns(
        pl.lit("allopurinol").alias("drug")
    )
    bundle = replace(sim, drug_exposures=pl.concat([sim.drug_exposures, extra]))
    frame = baseline_frame(bundle)
    assert frame.filter(pl.col("episode_id") == "SIM01").get_column("latency_days")[0] is None


def test_regiscar_columns_come_from_each_course(frame: pl.DataFrame) -> None:
    assert frame.get_column("regiscar_total").null_count() == 0
    assert set(frame.get_column("regiscar_class").to_list()) <= {
        "no case",
        "possible",
        "probable",
        "definite",
    }
