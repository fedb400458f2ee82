"""Compare a computed course table with the table a paper printed.

Per patient, every value is compared with the published one (doses within half the printed
precision); per column, the published "median (range)" with the one computed over the known
values. Where a summary differs, the comparison says whether the paper's figure is what
counting the censored values as 0 days gives (a frequent slip: a patient lost to follow-up
has an unknown duration, not a duration of 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from dresskit.analysis.course_table import CourseTable
from dresskit.analysis.formatting import (
    REASON_TEXT,
    column_decimals,
    course_decimals,
    format_fixed,
    format_summary,
    plural,
)
from dresskit.errors import InputError

__all__ = ["ColumnComparison", "PublishedColumn", "PublishedComparison", "compare_with_published"]


@dataclass(frozen=True)
class PublishedColumn:
    """One column's printed summary: ``median (minimum–maximum)``."""

    column: str
    heading: str
    text: str
    median: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class ColumnComparison:
    """A column's published summary next to the computed one, and why they differ."""

    column: str
    heading: str
    published: str
    computed: str
    n: int
    n_episodes: int
    agrees: bool
    explanation: str


@dataclass(frozen=True)
class PublishedComparison:
    """Every column compared, and every per-patient value that differs."""

    citation: str
    columns: tuple[ColumnComparison, ...]
    value_mismatches: tuple[tuple[str, str, float | None, float | None], ...]
    values_compared: int

    @property
    def differing(self) -> tuple[ColumnComparison, ...]:
        """The columns whose summary differs from the paper's."""
        return tuple(column for column in self.columns if not column.agrees)

    def to_frame(self) -> pl.DataFrame:
        """Return one row per compared column: the printed and computed summaries and why.

        Columns: ``column``, ``heading``, ``published``, ``computed``, ``n``,
        ``n_episodes``, ``agrees``, ``explanation``.
        """
        return pl.DataFrame(
            [
                {
                    "column": column.column,
                    "heading": column.heading,
                    "published": column.published,
                    "computed": column.computed,
                    "n": column.n,
                    "n_episodes": column.n_episodes,
                    "agrees": column.agrees,
                    "explanation": column.explanation,
                }
                for column in self.columns
            ],
            schema={
                "column": pl.Utf8,
                "heading": pl.Utf8,
                "published": pl.Utf8,
                "computed": pl.Utf8,
                "n": pl.Int64,
                "n_episodes": pl.Int64,
                "agrees": pl.Boolean,
                "explanation": pl.Utf8,
            },
        )


def _same(published: float, computed: float | None) -> bool:
    # The paper prints one decimal: equal when the computed value rounds to the printed one.
    return computed is not None and abs(round(computed, 1) - published) < 0.051


def _same_value(published: float | None, computed: float | None) -> bool:
    if published is None or computed is None:
        return published is None and computed is None
    return abs(published - computed) <= 0.05


def _check_same_episodes(table: CourseTable, rows: Mapping[str, object]) -> None:
    computed = set(table.rows.get_column("episode_id").to_list())
    published = set(rows)
    if computed == published:
        return
    missing = sorted(published - computed)
    extra = sorted(computed - published)
    parts = []
    if missing:
        parts.append(f"not in the course table: {_some(missing)}")
    if extra:
        parts.append(f"not in the published table: {_some(extra)}")
    raise InputError(
        "published_rows",
        f"{len(published)} published episodes",
        f"the episodes of the course table ({len(computed)} with day 0 = {table.index}), the "
        f"same cohort as the paper's ({'; '.join(parts)})",
    )


def _some(values: Sequence[str], shown: int = 5) -> str:
    listed = ", ".join(values[:shown])
    return listed + (f", ... ({len(values)} in all)" if len(values) > shown else "")


def compare_with_published(
    table: CourseTable,
    published: Sequence[PublishedColumn],
    *,
    citation: str,
    rows: Mapping[str, Mapping[str, float | None]] | None = None,
) -> PublishedComparison:
    """Compare ``table`` with a published table's summary row (and rows, when given).

    Parameters
    ----------
    table
        The computed course table.
    published
        The paper's summary per column.
    citation
        The paper and table, printed with the comparison.
    rows
        Episode id -> column -> the paper's value (``None`` for its "—"), to compare per
        patient.

    Raises
    ------
    InputError
        When ``rows`` are given for other episodes than the course table's (another cohort,
        or the same cohort with episodes added or missing): the summaries would then compare
        different patients.
    """
    if rows is not None:
        _check_same_episodes(table, rows)
    comparisons = []
    decimals = course_decimals(table)
    for column in published:
        summary = table.summary(column.column)
        computed_text = format_summary(summary, decimals=decimals[column.column])
        agrees = (
            _same(column.median, summary.median)
            and _same(column.minimum, summary.minimum)
            and _same(column.maximum, summary.maximum)
        )
        explanation = ""
        as_zero = summary.if_left_out_counted_as_zero
        if not agrees:
            censored = {
                reason: ids
                for reason, ids in summary.left_out.items()
                if reason not in ("not_measured", "no_data_after_index")
            }
            who = "; ".join(
                f"{REASON_TEXT.get(reason, reason)}: {', '.join(ids)}"
                for reason, ids in censored.items()
            )
            count = sum(len(ids) for ids in censored.values())
            if as_zero is not None and all(
                _same(printed, value)
                for printed, value in zip(
                    (column.median, column.minimum, column.maximum), as_zero, strict=True
                )
            ):
                places = column_decimals(
                    table.rows.get_column(column.column).to_list(), medians=[as_zero[0]]
                )
                explanation = (
                    f"The paper's {column.text} is what counting the "
                    f"{plural(count, 'censored value')} ({who}) as 0 days gives: "
                    f"{format_fixed(as_zero[0], places)} ({format_fixed(as_zero[1], places)}–"
                    f"{format_fixed(as_zero[2], places)}). A censored duration is unknown, "
                    f"not 0; over the {plural(summary.n, 'known value')} it is "
                    f"{computed_text}."
                )
            else:
                explanation = (
                    f"The paper prints {column.text}; the {plural(summary.n, 'known value')} "
                    f"give{'s' if summary.n == 1 else ''} {computed_text}."
                )
        comparisons.append(
            ColumnComparison(
                column=column.column,
                heading=column.heading,
                published=column.text,
                computed=computed_text,
                n=summary.n,
                n_episodes=summary.n_episodes,
                agrees=agrees,
                explanation=explanation,
            )
        )
    mismatches = []
    compared = 0
    if rows is not None:
        computed_rows = {row["episode_id"]: row for row in table.rows.iter_rows(named=True)}
        for episode_id, values in sorted(rows.items()):
            for column_name, value in values.items():
                computed = computed_rows.get(episode_id, {}).get(column_name)
                compared += 1
                if not _same_value(value, computed):
                    mismatches.append((episode_id, column_name, value, computed))
    return PublishedComparison(
        citation=citation,
        columns=tuple(comparisons),
        value_mismatches=tuple(mismatches),
        values_compared=compared,
    )
