"""Swimmer lanes: each episode's treatments and follow-up on a day axis from its day 0.

:func:`swimmer_lanes` works column-wise on bundle frames (polars), so that a registry of
10 000 episodes is laid out in a fraction of a second; Python only builds the small result
objects at the end. :func:`dresskit.analysis.figures.swimmer.plot_swimmer` draws them.

References
----------
.. [1] clinical-reference.md §10 (day 0 of an index event; outcomes censor later events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import accumulate
from typing import Final

import polars as pl

from dresskit.course.model import EpisodeOutcome
from dresskit.errors import InputError

__all__ = ["EndMarker", "SwimmerLane", "SwimmerSegment", "swimmer_lanes"]


class EndMarker(StrEnum):
    """What the end of a lane shows: how the record of the episode ends."""

    RECOVERED = "recovered"
    DIED = "died"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    TRANSFERRED = "transferred"
    ONGOING = "ongoing"


_END_MARKERS: Final = {outcome: EndMarker(outcome.value) for outcome in EpisodeOutcome}


@dataclass(frozen=True)
class SwimmerSegment:
    """One treatment period of a lane.

    Attributes
    ----------
    kind
        ``"steroid"``, ``"ivig"``, ``"biologic"`` or ``"other"``.
    agent
        Generic name as recorded.
    start_day, end_day
        First and last day (inclusive) relative to the episode's day 0.
    running
        ``True`` when the record gives no end date: the segment runs to the last follow-up.
    """

    kind: str
    agent: str
    start_day: int
    end_day: int
    running: bool


@dataclass(frozen=True)
class SwimmerLane:
    """One episode's lane.

    Attributes
    ----------
    episode_id
        The episode.
    day0
        Calendar date of day 0.
    follow_up_days
        Last follow-up, in days from day 0 (where the lane ends).
    outcome
        How the record ends.
    end_marker
        The marker drawn at the lane's end (one per outcome).
    segments
        Treatment periods, by start day.
    """

    episode_id: str
    day0: date
    follow_up_days: int
    outcome: EpisodeOutcome
    end_marker: EndMarker
    segments: tuple[SwimmerSegment, ...]


_EPISODE_COLUMNS: Final = ("episode_id", "outcome", "last_follow_up_date")
_TREATMENT_COLUMNS: Final = ("episode_id", "kind", "agent", "start_date", "end_date")


def _require(frame: pl.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(
            name, ", ".join(frame.columns), "a frame with columns " + ", ".join(columns)
        )


def swimmer_lanes(
    episodes: pl.DataFrame,
    treatments: pl.DataFrame,
    day0: pl.DataFrame,
    *,
    limit: int | None = None,
) -> list[SwimmerLane]:
    """Lay out each episode's treatments and follow-up relative to its day 0.

    Parameters
    ----------
    episodes
        Bundle episodes: ``episode_id``, ``outcome``, ``last_follow_up_date`` (others are
        ignored).
    treatments
        Bundle treatments: ``episode_id``, ``kind``, ``agent``, ``start_date``, ``end_date``.
    day0
        ``episode_id``, ``day0`` as from :func:`dresskit.course.vectorised.index_dates`.
        Episodes without a day 0 (no index event) have no lane.
    limit
        Keep only the first ``limit`` lanes (the longest follow-up); ``None`` keeps all.

    Returns
    -------
    list of SwimmerLane
        Ordered by follow-up length, longest first (ties by episode id). A treatment without
        an end date runs to the last follow-up and is flagged ``running``.

    Raises
    ------
    InputError
        When a frame lacks a column, or ``limit`` is negative.

    References
    ----------
    Day 0 and censoring outcomes: clinical-reference.md §10.

    Examples
    --------
    >>> from datetime import date
    >>> episodes = pl.DataFrame({"episode_id": ["e1"], "outcome": ["died"],
    ...                          "last_follow_up_date": [date(2020, 1, 20)]})
    >>> treatments = pl.DataFrame({"episode_id": ["e1"], "kind": ["steroid"],
    ...     "agent": ["prednisolone"], "start_date": [date(2020, 1, 8)],
    ...     "end_date": [None]}, schema_overrides={"end_date": pl.Date})
    >>> day0 = pl.DataFrame({"episode_id": ["e1"], "day0": [date(2020, 1, 10)]})
    >>> lane = swimmer_lanes(episodes, treatments, day0)[0]
    >>> lane.follow_up_days, lane.end_marker.value, lane.segments[0]
    (10, 'died', SwimmerSegment(kind='steroid', agent='prednisolone', start_day=-2, end_day=10, running=True))
    """  # noqa: E501
    _require(episodes, "episodes", _EPISODE_COLUMNS)
    _require(treatments, "treatments", _TREATMENT_COLUMNS)
    _require(day0, "day0", ("episode_id", "day0"))
    if limit is not None and limit < 0:
        raise InputError("limit", limit, "a whole number >= 0, or None for every lane")
    lanes = (
        episodes.lazy()
        .select(
            pl.col("episode_id").cast(pl.Utf8),
            pl.col("outcome").cast(pl.Utf8),
            pl.col("last_follow_up_date"),
        )
        .join(day0.lazy().select(pl.col("episode_id").cast(pl.Utf8), "day0"), on="episode_id")
        .with_columns(
            (pl.col("last_follow_up_date") - pl.col("day0"))
            .dt.total_days()
            .cast(pl.Int64)
            .alias("follow_up_days")
        )
        .sort(["follow_up_days", "episode_id"], descending=[True, False])
        .head(limit if limit is not None else episodes.height)
        .with_row_index("lane")
        .collect()
    )
    segments = (
        treatments.lazy()
        .select(
            pl.col("episode_id").cast(pl.Utf8),
            pl.col("kind").cast(pl.Utf8),
            pl.col("agent").cast(pl.Utf8),
            "start_date",
            "end_date",
        )
        .join(
            lanes.lazy().select("episode_id", "lane", "day0", "last_follow_up_date"),
            on="episode_id",
        )
        .select(
            "lane",
            "kind",
            "agent",
            (pl.col("start_date") - pl.col("day0")).dt.total_days().cast(pl.Int64).alias("start"),
            (pl.col("end_date").fill_null(pl.col("last_follow_up_date")) - pl.col("day0"))
            .dt.total_days()
            .cast(pl.Int64)
            .alias("end"),
            pl.col("end_date").is_null().alias("running"),
        )
        .sort(["lane", "start", "kind", "agent", "end"])
        .collect()
    )
    built = [
        SwimmerSegment(kind, agent, start, end, running)
        for kind, agent, start, end, running in zip(
            segments.get_column("kind").to_list(),
            segments.get_column("agent").to_list(),
            segments.get_column("start").to_list(),
            segments.get_column("end").to_list(),
            segments.get_column("running").to_list(),
            strict=True,
        )
    ]
    # Segments are sorted by lane: slice them with the per-lane counts.
    counts = (
        segments.get_column("lane")
        .value_counts()
        .join(lanes.select("lane"), on="lane", how="right")
        .sort("lane")
        .get_column("count")
        .fill_null(0)
        .to_list()
    )
    ends = list(accumulate(counts))
    return [
        SwimmerLane(
            episode_id=episode_id,
            day0=first_day,
            follow_up_days=follow_up,
            outcome=EpisodeOutcome(outcome),
            end_marker=_END_MARKERS[EpisodeOutcome(outcome)],
            segments=tuple(built[end - count : end]),
        )
        for episode_id, outcome, first_day, follow_up, count, end in zip(
            lanes.get_column("episode_id").to_list(),
            lanes.get_column("outcome").to_list(),
            lanes.get_column("day0").to_list(),
            lanes.get_column("follow_up_days").to_list(),
            counts,
            ends,
            strict=True,
        )
    ]
