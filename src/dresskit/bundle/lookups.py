"""Column-wise lookups of bundle validation: episode numbering and unit conversion.

:class:`_EpisodeLookup` numbers rows by their episode and gathers each episode's window
(:data:`WINDOW_BEFORE_ONSET_DAYS` before onset to the last follow-up); :func:`_pair_number`,
:func:`_conversion_series` and :func:`_per_code` number observation (code, unit) pairs and
gather per-code values, so that conversions and bounds apply to a whole column at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from dresskit.course.codes import CODE_ENUM, OBSERVATION_CODES, UNIT_ENUM, linear_conversion

#: Observations and findings may precede onset by this many days (prodrome, baseline labs).
WINDOW_BEFORE_ONSET_DAYS: Final = 30


@dataclass(frozen=True)
class _EpisodeLookup:
    """Episode ids as an enumeration, with each episode's window, for column-wise lookups.

    Casting a text ``episode_id`` column to :attr:`ids` numbers every row by its episode
    (null for an unknown id) in one cheap pass; the window bounds are then gathered by that
    number. On millions of rows this is much cheaper than joining or mapping text keys.
    """

    ids: pl.Enum
    earliest: pl.Series  # first date allowed (onset - WINDOW_BEFORE_ONSET_DAYS), per number
    onset: pl.Series
    last: pl.Series  # last follow-up; null where the episode's own dates are inconsistent

    @classmethod
    def of(cls, episodes: pl.DataFrame) -> _EpisodeLookup:
        distinct = episodes.filter(pl.col("episode_id").is_not_null()).unique(
            "episode_id", keep="first", maintain_order=True
        )
        # Episodes whose own dates are wrong are reported once, not again through every row.
        consistent = pl.col("last_follow_up_date") >= pl.col("onset_date")
        onset = pl.when(consistent).then(pl.col("onset_date"))
        bounds = distinct.select(
            onset.alias("onset"),
            (onset - pl.duration(days=WINDOW_BEFORE_ONSET_DAYS)).alias("earliest"),
            pl.when(consistent).then(pl.col("last_follow_up_date")).alias("last"),
        )
        return cls(
            ids=pl.Enum(distinct.get_column("episode_id")),
            earliest=bounds.get_column("earliest"),
            onset=bounds.get_column("onset"),
            last=bounds.get_column("last"),
        )

    def number(self) -> pl.Expr:
        """Return the episode number of each row's ``episode_id`` (null when unknown)."""
        return pl.col("episode_id").cast(self.ids, strict=False).to_physical()


_CODES: Final = list(OBSERVATION_CODES)
_UNITS: Final = list(UNIT_ENUM.categories)


def _pair_number() -> pl.Expr:
    """Return the number of each row's (code, unit) pair: code * units + unit (or null)."""
    code = pl.col("code").cast(CODE_ENUM, strict=False).to_physical().cast(pl.Int64)
    unit = pl.col("unit").cast(UNIT_ENUM, strict=False).to_physical().cast(pl.Int64)
    return code * len(_UNITS) + unit


def _conversion_series() -> tuple[pl.Series, pl.Series]:
    """Scale and offset to the canonical unit for every pair number (null: not accepted).

    Computed through pint (:func:`dresskit.course.codes.linear_conversion`), once per process.
    """
    scales: list[float | None] = [None] * (len(_CODES) * len(_UNITS))
    offsets: list[float | None] = list(scales)
    for code_number, (code, definition) in enumerate(OBSERVATION_CODES.items()):
        for unit in definition.accepted_units:
            pair = code_number * len(_UNITS) + _UNITS.index(unit)
            scales[pair], offsets[pair] = linear_conversion(code, unit)
    return pl.Series(scales, dtype=pl.Float64), pl.Series(offsets, dtype=pl.Float64)


def _per_code(values: list[object], dtype: pl.DataType) -> pl.Expr:
    """Gather ``values`` (one per observation code, in code order) by each row's code."""
    code = pl.col("code").cast(CODE_ENUM, strict=False).to_physical()
    return pl.lit(pl.Series(values, dtype=dtype)).gather(code)
