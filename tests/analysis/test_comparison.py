"""The comparison with the published Table 1 finds the one summary that differs, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from dresskit.analysis.comparison import PublishedColumn, compare_with_published
from dresskit.analysis.course_table import course_table
from dresskit.bundle import read_bundle
from dresskit.datasets import load_published_table

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def comparison():  # type: ignore[no-untyped-def]
    published = load_published_table("sim2022_table1")
    columns = [
        PublishedColumn(
            name, published.columns[name], s["text"], s["median"], s["minimum"], s["maximum"]
        )
        for name, s in published.summary.items()
    ]
    table = course_table(read_bundle(EXAMPLES / "sim2022"))
    return compare_with_published(table, columns, citation=published.citation, rows=published.rows)


def test_only_the_steroid_after_summary_differs(comparison) -> None:  # type: ignore[no-untyped-def]
    assert [column.column for column in comparison.differing] == ["steroid_after_days"]


def test_difference_is_explained_as_the_lost_patient_counted_as_zero(comparison) -> None:  # type: ignore[no-untyped-def]
    column = comparison.differing[0]
    assert column.published == "36.5 (0–131.0)"
    assert column.computed == "37 (3–131)"
    assert column.n == 17
    assert "counting the 1 censored value (lost to follow-up: SIM14) as 0 days" in (
        column.explanation
    )


def test_every_per_patient_value_agrees(comparison) -> None:  # type: ignore[no-untyped-def]
    assert comparison.values_compared == 18 * 6
    assert comparison.value_mismatches == ()


def test_a_wrong_published_value_is_reported(comparison) -> None:  # type: ignore[no-untyped-def]
    published = load_published_table("sim2022_table1")
    rows = {episode: dict(values) for episode, values in published.rows.items()}
    rows["SIM03"]["steroid_days_before"] = 13
    table = course_table(read_bundle(EXAMPLES / "sim2022"))
    result = compare_with_published(table, [], citation="x", rows=rows)
    assert result.value_mismatches == (("SIM03", "steroid_days_before", 13, 14),)


def test_to_frame_has_a_row_per_compared_column(comparison) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    frame = comparison.to_frame()
    assert frame.height == len(comparison.columns)
    assert frame.schema["agrees"] == pl.Boolean
    assert frame.schema["n"] == pl.Int64
    differing = frame.filter(~pl.col("agrees")).get_column("column").to_list()
    assert differing == ["steroid_after_days"]


def test_computed_summary_uses_the_columns_one_precision(comparison) -> None:  # type: ignore[no-untyped-def]
    dose = next(c for c in comparison.columns if c.column == "steroid_start_mg_per_kg_day")
    assert dose.computed == "1.8 (1.0–2.0)"  # as Sim et al. 2022 Table 1 prints it
