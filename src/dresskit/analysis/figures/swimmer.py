"""Draw a swimmer plot: one lane per episode, treatments as segments, outcome at the end.

Everything drawn comes from :func:`dresskit.analysis.swimmer.swimmer_lanes`; nothing is
computed here beyond placing lanes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from dresskit.analysis.figures._save import DrawnFigure
from dresskit.analysis.figures._style import (
    DOUBLE_COLUMN_IN,
    KIND_COLOURS,
    OKABE_ITO,
    figure_style,
    new_figure,
)
from dresskit.analysis.figures._text import LITERAL, keep_literal, literal
from dresskit.analysis.swimmer import EndMarker, SwimmerLane
from dresskit.analysis.words import plural

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

__all__ = ["END_MARKER_STYLES", "plot_swimmer", "swimmer_figure"]

#: Marker, colour and legend label of each lane end (a distinct marker per outcome).
END_MARKER_STYLES: Final[dict[EndMarker, tuple[str, str, str]]] = {
    EndMarker.RECOVERED: ("o", OKABE_ITO["bluish_green"], "recovered"),
    EndMarker.DIED: ("X", OKABE_ITO["black"], "died"),
    EndMarker.LOST_TO_FOLLOW_UP: ("D", OKABE_ITO["orange"], "lost to follow-up"),
    EndMarker.TRANSFERRED: ("s", OKABE_ITO["sky_blue"], "transferred"),
    EndMarker.ONGOING: (">", OKABE_ITO["yellow"], "ongoing"),
}
_KIND_NAMES: Final = {
    "steroid": "steroid",
    "ivig": "IVIG",
    "biologic": "biologic",
    "other": "other",
}
#: Steroid runs fill the lane; other kinds are narrower and drawn over it, so overlaps show.
_HEIGHTS: Final = {"steroid": 0.6, "ivig": 0.3, "biologic": 0.3, "other": 0.3}
#: Above this many lanes the episode ids are not written on the axis.
_MAX_LABELLED_LANES: Final = 60


def plot_swimmer(
    lanes: Sequence[SwimmerLane], *, ax: Axes | None = None, index_label: str = "IVIG"
) -> Axes:
    """Draw one horizontal lane per episode, first lane on top.

    Treatment segments are coloured by kind (steroid, IVIG, biologic, other); a segment
    still running at the last follow-up is hatched. Each lane ends at its last follow-up
    with a marker for the outcome (recovered, died, lost to follow-up, transferred,
    ongoing), all in the legend; a vertical line marks day 0. Ids and names are drawn as
    written: never as math text (``$...$``), without control characters.

    Parameters
    ----------
    lanes
        From :func:`dresskit.analysis.swimmer.swimmer_lanes` (drawn in the given order).
    ax
        Axes to draw on; ``None`` creates a figure sized for the lanes.
    index_label
        Name of the index event, for the day-0 line and the x-axis label.

    Returns
    -------
    Axes
        The axes drawn on.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _figure, ax = plt.subplots(
            figsize=(DOUBLE_COLUMN_IN, _height(len(lanes))), layout="constrained"
        )
    from matplotlib.patches import Patch

    for kind, colour in KIND_COLOURS.items():
        for running in (False, True):
            chosen = [
                (row, segment)
                for row, lane in enumerate(lanes)
                for segment in lane.segments
                if segment.kind == kind and segment.running is running
            ]
            if not chosen:
                continue
            ax.barh(
                [row for row, _ in chosen],
                [segment.end_day - segment.start_day + 1 for _, segment in chosen],
                left=[segment.start_day for _, segment in chosen],
                height=_HEIGHTS[kind],
                color=colour,
                hatch="///" if running else None,
                edgecolor="white",
                linewidth=0.3,
                zorder=2 if kind == "steroid" else 3,
                gid=f"segments:{kind}{':running' if running else ''}",
            )
    ax.hlines(
        range(len(lanes)),
        [min([0, *(s.start_day for s in lane.segments)]) for lane in lanes],
        [lane.follow_up_days for lane in lanes],
        color="lightgrey",
        linewidth=1,
        zorder=1,
    )
    for marker_kind, (marker, colour, label) in END_MARKER_STYLES.items():
        rows = [row for row, lane in enumerate(lanes) if lane.end_marker is marker_kind]
        if rows:
            ax.plot(
                [lanes[row].follow_up_days for row in rows],
                rows,
                linestyle="none",
                marker=marker,
                markersize=7,
                color=colour,
                markeredgecolor="black",
                markeredgewidth=0.5,
                label=label,
                zorder=4,
            )
    ax.axvline(0, color="black", linewidth=1, zorder=5, gid="day0")
    ax.text(
        0,
        1.005,
        f"day 0: {literal(index_label)}",
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="bottom",
    )
    kinds = {segment.kind for lane in lanes for segment in lane.segments}
    handles: list[Artist] = [
        Patch(color=KIND_COLOURS[kind], label=_KIND_NAMES[kind])
        for kind in KIND_COLOURS
        if kind in kinds
    ]
    if any(segment.running for lane in lanes for segment in lane.segments):
        handles.append(
            Patch(facecolor="grey", edgecolor="white", hatch="///", label="running at end")
        )
    handles += ax.get_legend_handles_labels()[0]
    if handles:
        # Outside the lanes, right of the axes: never over a lane.
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    if len(lanes) <= _MAX_LABELLED_LANES:
        ax.set_yticks(range(len(lanes)), [literal(lane.episode_id) for lane in lanes], **LITERAL)
    else:
        ax.set_yticks([])
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    # Every bar and marker inside the axes: from the earliest start to the last follow-up,
    # with a margin for the end markers (no bar is cut at the axis).
    first = min([0, *(s.start_day for lane in lanes for s in lane.segments)])
    last = max([0, *(lane.follow_up_days for lane in lanes)])
    last = max([last, *(s.end_day + 1 for lane in lanes for s in lane.segments)])
    margin = max(1.0, 0.03 * (last - first))
    ax.set_xlim(first - margin, last + margin)
    ax.set_xlabel(f"Days from {literal(index_label)} (day 0)")
    ax.set_ylabel(f"Episode (n = {len(lanes)})")
    keep_literal(ax)
    return ax


def _height(lanes: int) -> float:
    """Figure height in inches: about 4 mm a lane, within one page."""
    return min(1.3 + 0.16 * min(lanes, _MAX_LABELLED_LANES), 9.0)


def swimmer_figure(
    lanes: Sequence[SwimmerLane], *, total: int | None = None, index_label: str = "day 0"
) -> DrawnFigure | None:
    """Draw the swimmer plot two columns wide.

    Parameters
    ----------
    lanes
        The lanes drawn (the report keeps the longest follow-ups).
    total
        Episodes in the cohort (``len(lanes)`` when ``None``), for the caption.
    index_label
        Day 0 in words.

    Returns
    -------
    DrawnFigure or None
        ``swimmer``; ``None`` without a lane.
    """
    if not lanes:
        return None
    with figure_style():
        figure = new_figure(DOUBLE_COLUMN_IN, _height(len(lanes)))
        plot_swimmer(lanes, ax=figure.subplots(), index_label=index_label)
    shown, every = len(lanes), total if total is not None else len(lanes)
    caption = (
        (f"{shown} of {plural(every, 'episode')}" if shown < every else plural(shown, "episode"))
        + (" (the longest follow-ups)" if shown < every else "")
        + f"; day 0 = {literal(index_label)}. Bars: treatments by kind (hatched: still given "
        "at the last follow-up); markers: how the record ends, at the last follow-up."
    )
    return DrawnFigure(
        "swimmer", "Treatments and follow-up per episode (swimmer plot)", caption, figure
    )
