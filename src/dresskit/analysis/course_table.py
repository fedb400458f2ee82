"""The course table: one row per episode, the seed's Table 1 columns and every derived outcome.

Numbers first: :func:`course_table` returns a :class:`CourseTable` whose rows are numbers (or
null with the reason why: censored, not measured, no weight), and whose column summaries are
numbers too (n, median, quartiles, range, and what was left out and why). Formatting is the
last step (:mod:`dresskit.analysis.formatting`).

The per-episode values come from the column-wise outcome table
(:func:`dresskit.course.vectorised.outcome_table`) and two column-wise derivations here (the
first steroid day's prednisone-equivalent dose per kg, the total IVIG dose per kg), each
equal to its per-episode reference in :mod:`dresskit.course` (checked by the tests).

References
----------
.. [1] Sim DW, Yu J, Koh YI. Efficacy of add-on therapy with intravenous immunoglobulin in
   steroid hyporesponsive DRESS syndrome. Clin Transl Sci. 2022;15:782-788, Table 1 (columns,
   "Median (range)" summary row).
.. [2] clinical-reference.md §8 (steroid equivalence), §9 (IVIG dosing), §10 (outcomes).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from dresskit.bundle import Bundle
from dresskit.course.outcomes import (
    DEFAULT_ALT_ULN_U_PER_L,
    DEFERVESCENCE_BELOW_CEL,
    EOSINOPHILS_NORMAL_BELOW,
)
from dresskit.course.steroids import EQUIVALENT_DOSE_MG, prednisone_equivalent_mg
from dresskit.course.vectorised import outcome_table

__all__ = ["COURSE_COLUMNS", "ColumnSummary", "CourseColumn", "CourseTable", "course_table"]


#: Primary sources of the course-table definitions (printed in the report's methods).
SIM_2022: Final = (
    "Sim DW, Yu J, Koh YI. Efficacy of add-on therapy with intravenous immunoglobulin in "
    "steroid hyporesponsive DRESS syndrome. Clin Transl Sci. 2022;15:782-788."
)
MEIKLE_TYLER_1977: Final = (
    "Meikle AW, Tyler FH. Potency and duration of action of glucocorticoids. Am J Med. "
    "1977;63:200-207."
)


@dataclass(frozen=True)
class CourseColumn:
    """One column of the course table: what it holds, in which unit, by which definition.

    ``unit`` is a UCUM code (``"mg/kg/d"``, ``"d"``): machine formats write it as is, and
    everything a person reads shows :func:`dresskit.display_units.display_unit` of it.
    ``definition`` is written for a clinician; ``sources`` are its primary sources (Sim et
    al. 2022 Table 1 for the columns and day numbering; Meikle and Tyler 1977 for the
    steroid equivalence).
    """

    name: str
    label: str
    unit: str
    definition: str
    time_to_event: bool = False
    sources: tuple[str, ...] = (SIM_2022,)


#: The columns, in the order of Sim et al. 2022 Table 1, then the other derived outcomes.
COURSE_COLUMNS: Final[tuple[CourseColumn, ...]] = (
    CourseColumn(
        "steroid_start_mg_per_kg_day",
        "Steroid dose",
        "mg/kg/d",
        "prednisone-equivalent dose on the first day of systemic steroids, per kilogram of the "
        "most recent body weight recorded on or before that day",
        sources=(MEIKLE_TYLER_1977, SIM_2022),
    ),
    CourseColumn(
        "steroid_days_before",
        "Steroid before index",
        "d",
        "days from the first dose of systemic steroids to day 0",
    ),
    CourseColumn(
        "ivig_total_g_per_kg",
        "IVIG dose",
        "g/kg",
        "total intravenous immunoglobulin dose per kilogram: the daily doses summed, a dose "
        "in grams divided by the most recent body weight recorded on or before its day",
    ),
    CourseColumn(
        "steroid_after_days",
        "Steroid after index",
        "d",
        "days from day 0 to the last dose of systemic steroids; not known (censored) when "
        "steroids were still given at the last follow-up",
        time_to_event=True,
    ),
    CourseColumn(
        "defervescence_days",
        "Time to defervescence",
        "d",
        "days from day 0 to the first day from which every recorded temperature stays below "
        "the fever threshold for 48 hours (thresholds: see Methods)",
        time_to_event=True,
    ),
    CourseColumn(
        "alt_normalisation_days",
        "Time to ALT normalisation",
        "d",
        "days from day 0 to the first day ALT is at or below the upper limit of normal, "
        "confirmed at the next measurement",
        time_to_event=True,
    ),
    CourseColumn(
        "eosinophil_normalisation_days",
        "Time to eosinophil normalisation",
        "d",
        "days from day 0 to the first day the eosinophil count is below the normal limit, "
        "confirmed at the next measurement",
        time_to_event=True,
    ),
    CourseColumn(
        "rash_resolution_days",
        "Time to rash resolution",
        "d",
        "days from day 0 to the first day the rash covers 0% of the body surface area, "
        "confirmed at the next assessment",
        time_to_event=True,
    ),
)
_BY_NAME: Final = {column.name: column for column in COURSE_COLUMNS}


@dataclass(frozen=True)
class ColumnSummary:
    """The summary of one column: numbers over the values known, and what was left out.

    ``median``, ``q1``, ``q3`` (quartiles by linear interpolation, numpy's default and R's
    type 7), ``minimum`` and ``maximum`` are over the ``n`` known values; ``None`` when
    ``n`` is 0. ``left_out`` maps each reason (a censoring reason such as
    ``lost_to_follow_up``, or ``not_measured``, ``no_weight``, ``no_steroid``) to the episode
    ids concerned: a value left out is never counted as zero. ``if_left_out_counted_as_zero``
    gives (median, minimum, maximum) as they would be if the censored values were counted as
    0 days, a common error in published tables, so that a reader can recognise it.
    """

    column: str
    n: int
    n_episodes: int
    median: float | None
    q1: float | None
    q3: float | None
    minimum: float | None
    maximum: float | None
    left_out: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    if_left_out_counted_as_zero: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class CourseTable:
    """Per-episode course values and their summaries.

    ``rows`` has ``episode_id``, ``patient_id``, ``day0`` and, for every column of
    :data:`COURSE_COLUMNS`, the value (null when not known) and ``<column>_reason`` (why it
    is null; null when known). ``outcomes`` is the full outcome table
    (:func:`dresskit.course.vectorised.outcome_table`: days, observed, followed-up days and
    censoring reason per outcome), the input of the time-to-event analyses.
    """

    index: str
    rows: pl.DataFrame
    columns: tuple[CourseColumn, ...]
    summaries: tuple[ColumnSummary, ...]
    parameters: Mapping[str, float | int | str]
    outcomes: pl.DataFrame

    @property
    def empty_columns(self) -> tuple[CourseColumn, ...]:
        """The columns with no known value for any episode (dropped from printed tables)."""
        return tuple(
            column
            for column, summary in zip(self.columns, self.summaries, strict=True)
            if summary.n == 0
        )

    def to_frame(self) -> pl.DataFrame:
        """Return the summary of every column as a polars frame (numbers, UCUM units).

        One row per column: ``column``, ``label``, ``unit`` (UCUM code), ``n``,
        ``n_episodes``, ``median``, ``q1``, ``q3``, ``minimum``, ``maximum`` and ``left_out``
        (how many values were not counted). The per-episode values are :attr:`rows`.
        """
        return pl.DataFrame(
            [
                {
                    "column": column.name,
                    "label": column.label,
                    "unit": column.unit,
                    "n": summary.n,
                    "n_episodes": summary.n_episodes,
                    "median": summary.median,
                    "q1": summary.q1,
                    "q3": summary.q3,
                    "minimum": summary.minimum,
                    "maximum": summary.maximum,
                    "left_out": sum(len(ids) for ids in summary.left_out.values()),
                }
                for column, summary in zip(self.columns, self.summaries, strict=True)
            ],
            schema={
                "column": pl.Utf8,
                "label": pl.Utf8,
                "unit": pl.Utf8,
                "n": pl.Int64,
                "n_episodes": pl.Int64,
                "median": pl.Float64,
                "q1": pl.Float64,
                "q3": pl.Float64,
                "minimum": pl.Float64,
                "maximum": pl.Float64,
                "left_out": pl.Int64,
            },
        )

    def summary(self, column: str) -> ColumnSummary:
        """Return the summary of ``column`` (a name in :data:`COURSE_COLUMNS`)."""
        for summary in self.summaries:
            if summary.column == column:
                return summary
        raise KeyError(f"no column {column!r}; columns: {', '.join(_BY_NAME)}")


def _weights(bundle: Bundle) -> pl.DataFrame:
    """Every weight (kg) with its patient, sorted by date, for as-of lookups."""
    return (
        bundle.observations.filter(pl.col("code") == "weight")
        .select("episode_id", "date", "value")
        .join(bundle.episodes.select("episode_id", "patient_id"), on="episode_id")
        .select("patient_id", pl.col("date").alias("weight_date"), pl.col("value").alias("kg"))
        .drop_nulls()
        .sort("weight_date")
    )


def _with_weight(frame: pl.DataFrame, on: str, weights: pl.DataFrame) -> pl.DataFrame:
    """Add ``kg``: the patient's most recent weight on or before column ``on``."""
    return frame.sort(on).join_asof(
        weights,
        left_on=on,
        right_on="weight_date",
        by="patient_id",
        strategy="backward",
        check_sortedness=False,  # both sorted just above; polars cannot check within groups
    )


def _steroid_start_dose(bundle: Bundle, weights: pl.DataFrame) -> pl.DataFrame:
    """Prednisone-equivalent mg/kg on the first steroid day (as ``daily_steroid_doses()[0]``)."""
    factor = {agent: prednisone_equivalent_mg(agent, 1.0) for agent in EQUIVALENT_DOSE_MG}
    steroids = bundle.treatments.filter(pl.col("kind") == "steroid").select(
        "episode_id",
        "start_date",
        "end_date",
        (pl.col("dose") * pl.col("agent").replace_strict(factor, return_dtype=pl.Float64)).alias(
            "equivalent_mg"
        ),
    )
    first = steroids.group_by("episode_id").agg(pl.col("start_date").min().alias("first_day"))
    on_first_day = (
        steroids.join(first, on="episode_id")
        .filter(
            (pl.col("start_date") <= pl.col("first_day"))
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("first_day")))
        )
        .group_by("episode_id", "first_day")
        .agg(pl.col("equivalent_mg").sum().round(3))
        .join(bundle.episodes.select("episode_id", "patient_id"), on="episode_id")
    )
    weighed = _with_weight(on_first_day, "first_day", weights)
    return weighed.select(
        "episode_id",
        (pl.col("equivalent_mg") / pl.col("kg")).round(4).alias("steroid_start_mg_per_kg_day"),
        pl.when(pl.col("kg").is_null())
        .then(pl.lit("no_weight"))
        .alias("steroid_start_mg_per_kg_day_reason"),
    )


def _ivig_total(bundle: Bundle, weights: pl.DataFrame) -> pl.DataFrame:
    """Total IVIG g/kg per episode (as :func:`dresskit.course.treatments.ivig_total`)."""
    rows = bundle.treatments.filter(pl.col("kind") == "ivig")
    days = (
        rows.select(
            "episode_id",
            pl.date_ranges(
                "start_date", pl.coalesce("end_date", "start_date"), interval="1d"
            ).alias("day"),
            "dose",
            (pl.col("dose_unit") == "g/kg/d").alias("per_kg"),
        )
        .explode("day")
        .join(bundle.episodes.select("episode_id", "patient_id"), on="episode_id")
    )
    weighed = _with_weight(days, "day", weights)
    per_day = weighed.select(
        "episode_id",
        pl.when(pl.col("per_kg"))
        .then(pl.col("dose"))
        .otherwise(pl.col("dose") / pl.col("kg"))
        .alias("g_per_kg"),
    )
    return per_day.group_by("episode_id").agg(
        # Any day whose dose per kg is unknown makes the total unknown, never smaller.
        pl.when(pl.col("g_per_kg").is_null().any())
        .then(None)
        .otherwise(pl.col("g_per_kg").sum().round(3))
        .first()
        .alias("ivig_total_g_per_kg"),
        pl.when(pl.col("g_per_kg").is_null().any())
        .then(pl.lit("no_weight"))
        .otherwise(None)
        .first()
        .alias("ivig_total_g_per_kg_reason"),
    )


def _summarise(rows: pl.DataFrame, column: CourseColumn) -> ColumnSummary:
    name = column.name
    known = rows.get_column(name).drop_nulls()
    left_out: dict[str, list[str]] = {}
    for episode_id, reason in (
        rows.filter(pl.col(name).is_null()).select("episode_id", f"{name}_reason").iter_rows()
    ):
        left_out.setdefault(reason or "not_measured", []).append(episode_id)
    stats = (
        known.to_frame()
        .select(
            pl.col(name).median().alias("median"),
            pl.col(name).quantile(0.25, interpolation="linear").alias("q1"),
            pl.col(name).quantile(0.75, interpolation="linear").alias("q3"),
            pl.col(name).min().alias("minimum"),
            pl.col(name).max().alias("maximum"),
        )
        .row(0, named=True)
    )
    as_zero = None
    censored = sum(
        len(ids)
        for reason, ids in left_out.items()
        if reason in _CENSORING and column.time_to_event
    )
    if censored and known.len():
        with_zeros = [float(value) for value in known.to_list()] + [0.0] * censored
        as_zero = (statistics.median(with_zeros), min(with_zeros), max(with_zeros))
    return ColumnSummary(
        column=name,
        n=known.len(),
        n_episodes=rows.height,
        median=_number(stats["median"]),
        q1=_number(stats["q1"]),
        q3=_number(stats["q3"]),
        minimum=_number(stats["minimum"]),
        maximum=_number(stats["maximum"]),
        left_out={reason: tuple(ids) for reason, ids in sorted(left_out.items())},
        if_left_out_counted_as_zero=as_zero,
    )


#: Reasons that mean "followed, the event had not happened" (not "never measured").
_CENSORING: Final = frozenset({"died", "lost_to_follow_up", "transferred", "end_of_data"})


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def course_table(
    bundle: Bundle,
    *,
    index: str = "ivig",
    alt_uln_u_per_l: float = DEFAULT_ALT_ULN_U_PER_L,
    alt_uln_by_sex: Mapping[str, float] | None = None,
    defervescence_below_cel: float = DEFERVESCENCE_BELOW_CEL,
    defervescence_days: int = 2,
    eosinophils_below: float = EOSINOPHILS_NORMAL_BELOW,
) -> CourseTable:
    """Build the course table of every episode that has the index event.

    Parameters
    ----------
    bundle
        A validated bundle.
    index
        Day 0: ``"ivig"`` (first IVIG dose), ``"steroid"``, ``"onset"``, ``"admission"`` or
        an agent name (first dose of that biologic or other treatment).
    alt_uln_u_per_l, alt_uln_by_sex, defervescence_below_cel, defervescence_days, eosinophils_below
        Outcome definitions, as in :func:`dresskit.course.vectorised.outcome_table`
        (defaults from clinical-reference.md §10).

    Returns
    -------
    CourseTable
        One row per episode with the index event, sorted by episode id, and a summary per
        column.

    References
    ----------
    Sim et al. 2022, Table 1; clinical-reference.md §8-§10.
    """
    outcomes = outcome_table(
        bundle.episodes,
        bundle.observations,
        bundle.treatments,
        bundle.patients,
        index=index,
        alt_uln_u_per_l=alt_uln_u_per_l,
        alt_uln_by_sex=alt_uln_by_sex,
        defervescence_below_cel=defervescence_below_cel,
        defervescence_days=defervescence_days,
        eosinophils_below=eosinophils_below,
    )
    weights = _weights(bundle)
    rows = (
        outcomes.join(bundle.episodes.select("episode_id", "patient_id"), on="episode_id")
        .join(_steroid_start_dose(bundle, weights), on="episode_id", how="left")
        .join(_ivig_total(bundle, weights), on="episode_id", how="left")
    )
    no_steroid = pl.col("steroid_days_before").is_null()
    rows = rows.select(
        "episode_id",
        "patient_id",
        "day0",
        "steroid_start_mg_per_kg_day",
        pl.when(no_steroid)
        .then(pl.lit("no_steroid"))
        .otherwise(pl.col("steroid_start_mg_per_kg_day_reason"))
        .alias("steroid_start_mg_per_kg_day_reason"),
        "steroid_days_before",
        pl.when(no_steroid).then(pl.lit("no_steroid")).alias("steroid_days_before_reason"),
        "ivig_total_g_per_kg",
        pl.when(pl.col("ivig_total_g_per_kg").is_null())
        .then(pl.coalesce("ivig_total_g_per_kg_reason", pl.lit("no_ivig")))
        .alias("ivig_total_g_per_kg_reason"),
        *[
            expression
            for column in COURSE_COLUMNS
            if column.time_to_event
            for expression in (
                pl.col(column.name),
                pl.col(column.name.removesuffix("_days") + "_censor_reason").alias(
                    f"{column.name}_reason"
                ),
            )
        ],
    ).sort("episode_id")
    parameters: dict[str, float | int | str] = {
        "index": index,
        "alt_uln_u_per_l": alt_uln_u_per_l,
        "defervescence_below_cel": defervescence_below_cel,
        "defervescence_sustained_days": defervescence_days,
        "eosinophils_normal_below_10e9_per_l": eosinophils_below,
    }
    for sex, uln in sorted((alt_uln_by_sex or {}).items()):
        parameters[f"alt_uln_u_per_l_{sex}"] = uln
    return CourseTable(
        index=index,
        rows=rows,
        columns=COURSE_COLUMNS,
        summaries=tuple(_summarise(rows, column) for column in COURSE_COLUMNS),
        parameters=parameters,
        outcomes=outcomes,
    )
