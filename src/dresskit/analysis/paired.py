"""Paired before/after values of one observation around the index, per episode.

For each episode with the index event, the value of an observation code on a chosen day
before and a chosen day after day 0 (Sim et al. 2022 Figure 1: fever, eosinophils and ALT
before and after the IVIG start). Several readings on one day are reduced as the daily
summaries of dresskit do: the day's maximum for temperature (fever is a peak), the day's
last reading for laboratory values and ratings. An episode without a reading on either day
has no pair; it is listed with the reason, never imputed or carried forward.

References
----------
.. [1] Sim DW, Yu J, Koh YI. Clin Transl Sci. 2022;15:782-788, Figure 1 and Results
   ("improved significantly within 4 days after IVIG injection").
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Final

import polars as pl

from dresskit.analysis.words import plural
from dresskit.bundle import Bundle
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.course.vectorised import index_dates

__all__ = ["DAILY_MAXIMUM_CODES", "PairedValues", "paired_values"]

#: Codes whose several readings on one day are summarised by the day's maximum.
DAILY_MAXIMUM_CODES: Final = frozenset({"temperature"})


@dataclass(frozen=True)
class PairedValues:
    """Values of one code on two days relative to the index, for every complete pair.

    ``episode_ids``, ``before`` and ``after`` are aligned (complete pairs only, sorted by
    episode id); ``unpaired`` maps each episode without a complete pair to the reason
    (``"no reading on day -1"``, ...).
    """

    code: str
    label: str
    unit: str
    index: str
    before_day: int
    after_day: int
    daily_rule: str
    episode_ids: tuple[str, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    unpaired: tuple[tuple[str, str], ...]

    @property
    def n_pairs(self) -> int:
        """Number of complete pairs."""
        return len(self.episode_ids)

    @property
    def median_before(self) -> float | None:
        """The median of the values before (the mean of the two middle ones for an even n)."""
        return statistics.median(self.before) if self.before else None

    @property
    def median_after(self) -> float | None:
        """The median of the values after (the mean of the two middle ones for an even n)."""
        return statistics.median(self.after) if self.after else None

    def to_frame(self) -> pl.DataFrame:
        """Return one row per complete pair: ``episode_id``, ``before``, ``after``, ``difference``.

        The values are in the canonical unit of the code (:attr:`unit`, a UCUM code).
        """
        return pl.DataFrame(
            {
                "episode_id": list(self.episode_ids),
                "before": list(self.before),
                "after": list(self.after),
            },
            schema={"episode_id": pl.Utf8, "before": pl.Float64, "after": pl.Float64},
        ).with_columns((pl.col("after") - pl.col("before")).alias("difference"))


def _day_label(day: int) -> str:
    return f"day {day:+d}" if day else "day 0"


def paired_values(
    bundle: Bundle,
    code: str,
    *,
    before_day: int = -1,
    after_day: int = 4,
    index: str = "ivig",
    tolerance_days: int = 0,
) -> PairedValues:
    """Collect the value of ``code`` on ``before_day`` and ``after_day`` for every episode.

    Parameters
    ----------
    bundle
        A validated bundle (values in canonical units).
    code
        An observation code (``"temperature"``, ``"eosinophils"``, ``"alt"``, ...).
    before_day, after_day
        Days relative to day 0 of the index (default -1 and +4, as Sim et al. 2022).
    index
        The index event (see :func:`dresskit.course.vectorised.index_dates`).
    tolerance_days
        Accept the reading of the nearest day within this many days of the chosen day when
        that day has none (laboratory values are often drawn every other day). The nearest
        day wins; between two equally near days, the earlier. A window never reaches across
        day 0 (``before_day`` takes days < 0 only when it is negative, ``after_day`` days > 0
        only when it is positive), so one reading never serves both sides.

    Raises
    ------
    KeyError
        For an unknown observation code.
    ValueError
        When ``before_day`` is not earlier than ``after_day``.
    """
    definition = OBSERVATION_CODES[code]
    if before_day >= after_day:
        raise ValueError(f"before_day ({before_day}) must be earlier than after_day ({after_day})")
    if tolerance_days < 0 or (before_day + tolerance_days >= after_day - tolerance_days):
        raise ValueError(
            f"tolerance_days ({tolerance_days}) must be >= 0 and keep the two windows apart"
        )
    day0 = index_dates(bundle.episodes, bundle.treatments, index)
    readings = (
        bundle.observations.filter((pl.col("code") == code) & pl.col("value").is_not_null())
        .select("episode_id", "date", "time", "value")
        .join(day0, on="episode_id")
        .with_columns((pl.col("date") - pl.col("day0")).dt.total_days().alias("day"))
    )
    if code in DAILY_MAXIMUM_CODES:
        rule = "the day's highest reading"
        per_day = readings.group_by("episode_id", "day").agg(pl.col("value").max())
    else:
        rule = "the day's last reading (by time; untimed readings count as earliest)"
        per_day = (
            readings.sort("episode_id", "day", "time", nulls_last=False)
            .group_by("episode_id", "day", maintain_order=True)
            .agg(pl.col("value").last())
        )
    if tolerance_days:
        rule += f"; the nearest day within {plural(tolerance_days, 'day')} when the day has none"
    wide = day0.select("episode_id")
    for side, target in (("before", before_day), ("after", after_day)):
        low, high = target - tolerance_days, target + tolerance_days
        if target < 0:
            high = min(high, -1)
        if target > 0:
            low = max(low, 1)
        nearest = (
            per_day.filter(pl.col("day").is_between(low, high))
            .sort("episode_id", (pl.col("day") - target).abs(), "day")
            .group_by("episode_id", maintain_order=True)
            .agg(pl.col("value").first().alias(side))
        )
        wide = wide.join(nearest, on="episode_id", how="left")
    wide = wide.sort("episode_id")
    complete = wide.filter(pl.col("before").is_not_null() & pl.col("after").is_not_null())
    unpaired = []
    for episode_id, before, after in wide.filter(
        pl.col("before").is_null() | pl.col("after").is_null()
    ).iter_rows():
        missing = [
            _day_label(day)
            for day, value in ((before_day, before), (after_day, after))
            if value is None
        ]
        unpaired.append((episode_id, "no reading on " + " or ".join(missing)))
    return PairedValues(
        code=code,
        label=definition.label,
        unit=definition.canonical_unit,
        index=index,
        before_day=before_day,
        after_day=after_day,
        daily_rule=rule,
        episode_ids=tuple(complete.get_column("episode_id").to_list()),
        before=tuple(complete.get_column("before").to_list()),
        after=tuple(complete.get_column("after").to_list()),
        unpaired=tuple(unpaired),
    )
