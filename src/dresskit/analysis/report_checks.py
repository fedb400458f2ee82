"""Refuse report arguments that would give an empty, partial or silently different report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from dresskit.bundle import Bundle
from dresskit.errors import InputError

__all__ = ["BUILT_IN_INDEXES", "check_arguments"]

#: Day 0 events every bundle can be asked for (an agent name is the other choice).
BUILT_IN_INDEXES: Final = ("ivig", "steroid", "onset", "admission")
#: How many known values an error message lists.
_SHOWN: Final = 5
#: Figure formats a report can write (vector SVG and PDF, 300 dpi PNG).
FIGURE_FORMATS: Final = ("svg", "pdf", "png")


def _some(values: Sequence[str]) -> str:
    shown = ", ".join(values[:_SHOWN])
    return shown + (f", ... ({len(values)} in all)" if len(values) > _SHOWN else "")


def check_arguments(
    bundle: Bundle,
    *,
    index: str,
    timeline_episodes: Sequence[str] | None,
    max_swimmer_lanes: int,
    response_limit: int | None,
    paired_tolerance_days: int,
    figure_formats: Sequence[str] = FIGURE_FORMATS,
) -> None:
    """Refuse arguments that would give an empty, partial or silently different report.

    Raises
    ------
    InputError
        An ``index`` that is neither a built-in event nor the agent of a biologic or other
        treatment in the bundle; ``timeline_episodes`` not in the bundle; a limit or
        tolerance below its minimum; a figure format other than svg, pdf or png.
    """
    if index not in BUILT_IN_INDEXES:
        agents = (
            bundle.treatments.filter(pl.col("kind").is_in(["biologic", "other"]))
            .get_column("agent")
            .unique()
            .sort()
            .to_list()
        )
        if index not in agents:
            listed = f"; agents: {_some(agents)}" if agents else ""
            raise InputError(
                "index",
                index,
                f"one of {', '.join(BUILT_IN_INDEXES)} or the agent of a biologic or other "
                f"treatment in the bundle{listed}",
            )
    if timeline_episodes is not None:
        known = bundle.episode_ids()
        unknown = sorted(set(timeline_episodes) - set(known))
        if unknown:
            raise InputError(
                "timeline_episodes",
                unknown,
                f"episode ids of the bundle (known: {_some(sorted(known))})",
            )
    if max_swimmer_lanes < 1:
        raise InputError("max_swimmer_lanes", max_swimmer_lanes, "a whole number of at least 1")
    if response_limit is not None and response_limit < 0:
        raise InputError("response_limit", response_limit, "a whole number of at least 0")
    if paired_tolerance_days < 0:
        raise InputError(
            "paired_tolerance_days", paired_tolerance_days, "a whole number of days, at least 0"
        )
    unknown_formats = [name for name in figure_formats if name not in FIGURE_FORMATS]
    if unknown_formats or not figure_formats:
        raise InputError(
            "figure_formats",
            list(figure_formats),
            f"one or more of {', '.join(FIGURE_FORMATS)}",
        )
