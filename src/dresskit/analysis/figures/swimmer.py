"""Draw a swimmer plot: one lane per episode, treatments as segments, outcome at the end.

Everything drawn comes from :func:`dresskit.analysis.swimmer.swimmer_lanes`; nothing is
computed here beyond placing lanes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from dresskit.analysis.figures._text import LITERAL, keep_literal, literal
from dresskit.analysis.figures.timeline import KIND_COLOURS
from dresskit.analysis.swimmer import EndMarker, SwimmerLane

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

__all__ = ["END_MARKER_STYLES", "plot_swimmer"]

#: Marker, colour and legend label of each lane end (a distinct marker per outcome).
END_MARKER_STYLES: Final[dict[EndMarker, tuple[str, str, str]]] = {
    EndMarker.RECOVERED: ("o", "#009E73", "recovered"),
    EndMarker.DIED: ("X", "black", "died"),
    EndMarker.LOST_TO_FOLLOW_UP: ("D", "#E69F00", "lost to follow-up"),
    EndMarker.TRANSFERRED: ("s", "#56B4E9", "transferred"),
    EndMarker.ONGOING: (">", "grey", "ongoing"),
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

        height = min(2.0 + 0.25 * len(lanes), 24.0)
        _figure, ax = plt.subplots(figsize=(9, height), layout="constrained")
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
        fontsize=8,
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
        ax.legend(handles=handles, loc="lower right", fontsize=7)
    if len(lanes) <= _MAX_LABELLED_LANES:
        ax.set_yticks(
            range(len(lanes)), [literal(lane.episode_id) for lane in lanes], fontsize=7, **LITERAL
        )
    else:
        ax.set_yticks([])
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.set_xlabel(f"Days from {literal(index_label)} (day 0)")
    ax.set_ylabel("Episode")
    keep_literal(ax)
    return ax
