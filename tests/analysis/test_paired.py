"""Paired before/after values around the index (Sim et al. 2022 Figure 1: day -1 vs day +4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from pathlib import Path

import polars as pl
import pytest

from dresskit.analysis.paired import paired_values
from dresskit.bundle import Bundle, read_bundle
from dresskit.course.codes import CODE_ENUM, UNIT_ENUM

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


def _with_rows(bundle: Bundle, rows: list[tuple[str, date, time | None, str, float]]) -> Bundle:
    extra = pl.DataFrame(
        {
            "episode_id": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "time": [r[2] for r in rows],
            "code": pl.Series([r[3] for r in rows], dtype=CODE_ENUM),
            "value": [r[4] for r in rows],
            "unit": pl.Series(["U/L"] * len(rows), dtype=UNIT_ENUM),
            "text": pl.Series([None] * len(rows), dtype=pl.Utf8),
        },
        schema=bundle.observations.schema,
    )
    return replace(bundle, observations=pl.concat([bundle.observations, extra]))


def test_temperature_pairs_use_the_days_highest_reading(sim: Bundle) -> None:
    paired = paired_values(sim, "temperature")
    day0 = sim.treatments.filter(
        (pl.col("episode_id") == "SIM01") & (pl.col("kind") == "ivig")
    ).get_column("start_date")[0]
    readings = sim.observations.filter(
        (pl.col("episode_id") == "SIM01")
        & (pl.col("code") == "temperature")
        & ((pl.col("date") - day0).dt.total_days() == -1)
    ).get_column("value")
    assert paired.before[paired.episode_ids.index("SIM01")] == readings.max()
    assert paired.daily_rule.startswith("the day's highest")


def test_patient_without_a_reading_on_the_day_has_no_pair_and_a_reason(sim: Bundle) -> None:
    """SIM14 was lost to follow-up 3 days after IVIG: no reading on day +4."""
    paired = paired_values(sim, "alt")
    assert "SIM14" not in paired.episode_ids
    assert ("SIM14", "no reading on day +4") in paired.unpaired
    assert paired.n_pairs == 17


def test_tolerance_takes_the_nearest_day_never_across_day_0(sim: Bundle) -> None:
    exact = paired_values(sim, "eosinophils")
    near = paired_values(sim, "eosinophils", tolerance_days=1)
    assert exact.n_pairs < near.n_pairs == 18
    assert "nearest day within 1" in near.daily_rule


def test_several_readings_a_day_give_the_last_by_time(sim: Bundle) -> None:
    day0 = sim.treatments.filter(
        (pl.col("episode_id") == "SIM14") & (pl.col("kind") == "ivig")
    ).get_column("start_date")[0]
    from datetime import timedelta

    on = day0 + timedelta(days=4)
    bundle = _with_rows(
        sim,
        [
            ("SIM14", on, time(18, 0), "alt", 90.0),
            ("SIM14", on, time(6, 0), "alt", 120.0),
        ],
    )
    paired = paired_values(bundle, "alt")
    assert paired.after[paired.episode_ids.index("SIM14")] == 90.0


def test_days_in_the_wrong_order_are_refused(sim: Bundle) -> None:
    with pytest.raises(ValueError, match="earlier"):
        paired_values(sim, "alt", before_day=4, after_day=-1)


def test_overlapping_windows_are_refused(sim: Bundle) -> None:
    with pytest.raises(ValueError, match="apart"):
        paired_values(sim, "alt", before_day=-1, after_day=1, tolerance_days=1)


def test_unknown_code_is_refused(sim: Bundle) -> None:
    with pytest.raises(KeyError):
        paired_values(sim, "glucose")


def test_medians_are_true_medians_and_to_frame_has_each_pair(sim: Bundle) -> None:
    import statistics

    paired = paired_values(sim, "alt", before_day=-1, after_day=4, tolerance_days=1)
    assert paired.n_pairs % 2 == 0  # an even count: the median is between two values
    assert paired.median_before == statistics.median(paired.before)
    assert paired.median_before == 381.5
    frame = paired.to_frame()
    assert frame.columns == ["episode_id", "before", "after", "difference"]
    assert frame.height == paired.n_pairs
    first = frame.row(0, named=True)
    assert first["difference"] == first["after"] - first["before"]
