"""The course table reproduces Sim et al. 2022 Table 1 and summarises it without counting
censored values as zero.

Published numbers: Sim DW, Yu J, Koh YI. Clin Transl Sci 2022;15:782-788, Table 1 (p. 785),
shipped as ``dresskit.datasets.load_published_table("sim2022_table1")``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dresskit.analysis.course_table import COURSE_COLUMNS, course_table
from dresskit.bundle import Bundle, read_bundle
from dresskit.course.steroids import daily_steroid_doses
from dresskit.course.treatments import ivig_total
from dresskit.datasets import load_published_table

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture(scope="module")
def table(sim: Bundle):  # type: ignore[no-untyped-def]
    return course_table(sim, index="ivig")


def test_every_published_value_is_reproduced(table) -> None:  # type: ignore[no-untyped-def]
    published = load_published_table("sim2022_table1")
    rows = {row["episode_id"]: row for row in table.rows.iter_rows(named=True)}
    for episode_id, values in published.rows.items():
        for column, value in values.items():
            computed = rows[episode_id][column]
            if value is None:
                assert computed is None, (episode_id, column)
            else:
                assert computed == pytest.approx(value, abs=0.05), (episode_id, column)


@pytest.mark.parametrize(
    ("column", "median", "minimum", "maximum", "n"),
    [
        # Paper: 1.8 (1.0-2.0), i.e. 1.75 printed with one decimal.
        ("steroid_start_mg_per_kg_day", 1.75, 1.0, 2.0, 18),
        ("steroid_days_before", 6.5, 2.0, 14.0, 18),
        ("ivig_total_g_per_kg", 2.0, 1.5, 2.0, 18),
        # Paper: 36.5 (0-131.0); over the 17 known values it is 37 (3-131).
        ("steroid_after_days", 37.0, 3.0, 131.0, 17),
        ("defervescence_days", 1.0, 0.0, 3.0, 18),
        ("alt_normalisation_days", 13.0, 0.0, 27.0, 17),
    ],
)
def test_summary_row_over_known_values(table, column, median, minimum, maximum, n) -> None:  # type: ignore[no-untyped-def]
    summary = table.summary(column)
    assert (summary.median, summary.minimum, summary.maximum, summary.n) == (
        median,
        minimum,
        maximum,
        n,
    )
    assert summary.n_episodes == 18


def test_censored_patient_is_left_out_with_its_reason(table) -> None:  # type: ignore[no-untyped-def]
    summary = table.summary("steroid_after_days")
    assert summary.left_out == {"lost_to_follow_up": ("SIM14",)}


def test_counting_the_censored_patient_as_zero_gives_the_papers_summary(table) -> None:  # type: ignore[no-untyped-def]
    """The paper's 36.5 (0-131) is the median of the 17 values plus a 0 for patient 14."""
    assert table.summary("steroid_after_days").if_left_out_counted_as_zero == (36.5, 0.0, 131.0)


def test_column_never_measured_has_no_summary_numbers(table) -> None:  # type: ignore[no-untyped-def]
    summary = table.summary("rash_resolution_days")
    assert summary.n == 0
    assert summary.median is None
    assert summary.if_left_out_counted_as_zero is None


def test_quartiles_use_linear_interpolation(table) -> None:  # type: ignore[no-untyped-def]
    summary = table.summary("steroid_days_before")
    values = sorted(v for v in table.rows.get_column("steroid_days_before").to_list())
    # numpy / R type 7: position (n - 1) * p.
    position = (len(values) - 1) * 0.25
    low = values[int(position)]
    expected = low + (values[int(position) + 1] - low) * (position - int(position))
    assert summary.q1 == pytest.approx(expected)


def test_unknown_summary_column_is_refused(table) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError, match="no column"):
        table.summary("days_to_nothing")


def test_columns_follow_table_1_then_the_other_outcomes() -> None:
    assert [c.name for c in COURSE_COLUMNS][:6] == list(
        load_published_table("sim2022_table1").columns
    )


def test_start_dose_and_ivig_equal_the_per_episode_reference(sim: Bundle, table) -> None:  # type: ignore[no-untyped-def]
    rows = {row["episode_id"]: row for row in table.rows.iter_rows(named=True)}
    for course in sim.courses():
        first = daily_steroid_doses(course)[0]
        row = rows[course.episode.episode_id]
        assert row["steroid_start_mg_per_kg_day"] == first.mg_per_kg
        assert row["ivig_total_g_per_kg"] == ivig_total(course).g_per_kg


def _without_weights(bundle: Bundle) -> Bundle:
    from dataclasses import replace

    return replace(bundle, observations=bundle.observations.filter(pl.col("code") != "weight"))


def test_dose_per_kg_without_a_weight_is_unknown_not_zero(sim: Bundle) -> None:
    table = course_table(_without_weights(sim))
    assert table.rows.get_column("steroid_start_mg_per_kg_day").null_count() == 18
    assert set(table.rows.get_column("steroid_start_mg_per_kg_day_reason").to_list()) == {
        "no_weight"
    }
    assert table.summary("steroid_start_mg_per_kg_day").left_out["no_weight"][0] == "SIM01"


def test_row_order_of_the_input_does_not_change_the_table(sim: Bundle, table) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    shuffled = replace(
        sim,
        observations=sim.observations.sample(fraction=1.0, shuffle=True, seed=7),
        treatments=sim.treatments.sample(fraction=1.0, shuffle=True, seed=7),
    )
    assert course_table(shuffled).rows.equals(table.rows)


def test_table_does_not_modify_the_bundle(sim: Bundle) -> None:
    before = sim.observations.clone(), sim.treatments.clone()
    course_table(sim)
    assert sim.observations.equals(before[0])
    assert sim.treatments.equals(before[1])


def test_onset_index_keeps_every_episode(sim: Bundle) -> None:
    table = course_table(sim, index="onset")
    assert table.rows.height == 18
    assert table.parameters["index"] == "onset"


def test_to_frame_summarises_every_column_with_numbers_and_ucum_units(table) -> None:  # type: ignore[no-untyped-def]
    frame = table.to_frame()
    assert frame.height == len(COURSE_COLUMNS)
    assert frame.schema["n"] == pl.Int64
    assert frame.schema["median"] == pl.Float64
    dose = frame.filter(pl.col("column") == "steroid_start_mg_per_kg_day").row(0, named=True)
    assert (dose["unit"], dose["median"], dose["n"]) == ("mg/kg/d", 1.75, 18)
    assert set(frame.get_column("unit").to_list()) <= {"mg/kg/d", "d", "g/kg"}


def test_empty_columns_are_the_ones_with_no_known_value(table) -> None:  # type: ignore[no-untyped-def]
    assert [column.name for column in table.empty_columns] == ["rash_resolution_days"]


def test_every_column_definition_has_a_primary_source() -> None:
    for column in COURSE_COLUMNS:
        assert column.sources, column.name
        assert all("20" in source for source in column.sources), column.name  # a dated paper
