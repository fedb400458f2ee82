"""Draw a course timeline: treatments, steroid dose, labs and skin on one day axis.

The layout follows the Figure of Shen et al. 2024 (treatment lanes above, clinical indicators
below). Everything drawn comes from a :class:`~dresskit.analysis.timeline.CourseTimeline`;
nothing is computed here.

References
----------
.. [1] Shen C et al. J Investig Allergol Clin Immunol. 2024;34(2):145-147, Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from dresskit.analysis.figures._text import LITERAL, keep_literal, literal
from dresskit.analysis.timeline import (
    TIMELINE_CODES,
    CourseTimeline,
    FlareMark,
    ObservationSeries,
)
from dresskit.errors import InputError

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

__all__ = ["KIND_COLOURS", "plot_course_timeline", "timeline_panels"]

#: Colour of each treatment kind (colour-blind safe, Okabe-Ito).
KIND_COLOURS: Final[dict[str, str]] = {
    "steroid": "#0072B2",
    "ivig": "#009E73",
    "biologic": "#D55E00",
    "other": "#CC79A7",
}
_KIND_NAMES: Final = {
    "steroid": "steroid",
    "ivig": "IVIG",
    "biologic": "biologic",
    "other": "other",
}
_FLARE_COLOUR: Final = "#C00000"

#: Observation panels: name -> (code on the left axis, code on the right axis).
_SERIES_PANELS: Final[dict[str, tuple[str, str]]] = {
    "labs": ("eosinophils", "total_ige"),
    "skin": ("itch_nrs", "rash_bsa"),
    "fever_liver": ("temperature", "alt"),
}
#: How each canonical (UCUM) unit is written on an axis.
_DISPLAY_UNITS: Final = {
    "10*9/L": "×10⁹/L",
    "kU/L": "kU/L",
    "{score}": "0-10",
    "%": "% BSA",
    "Cel": "°C",
    "U/L": "U/L",
}
_SERIES_STYLE: Final = {
    "eosinophils": ("#7F3C8D", "o"),
    "total_ige": ("#11A579", "s"),
    "itch_nrs": ("#E73F74", "o"),
    "rash_bsa": ("#3969AC", "s"),
    "temperature": ("#F2B701", "o"),
    "alt": ("#80BA5A", "s"),
}
_FIXED_LIMITS: Final = {"itch_nrs": (0.0, 10.5), "rash_bsa": (0.0, 105.0)}


def timeline_panels(timeline: CourseTimeline) -> tuple[str, ...]:
    """Return the names of the panels that have data, top to bottom.

    Panels: ``"treatments"`` (bars), ``"steroid"`` (daily dose), ``"labs"`` (eosinophils,
    total IgE), ``"skin"`` (itch NRS, rash BSA), ``"fever_liver"`` (temperature, ALT).
    """
    panels = []
    if timeline.bars:
        panels.append("treatments")
    if timeline.steroid is not None:
        panels.append("steroid")
    for name, codes in _SERIES_PANELS.items():
        if any(timeline.series_of(code) is not None for code in codes):
            panels.append(name)
    return tuple(panels)


def _dose(value: float) -> str:
    return f"{value:g}"


def _flare_text(flare: FlareMark) -> str:
    rose = ", ".join(TIMELINE_CODES.get(m, m.replace("_", " ")) for m in flare.markers)
    if flare.steroid_doses:
        given = " + ".join(
            f"{literal(agent)} {_dose(mg)} mg/d" for agent, mg in flare.steroid_doses
        )
    else:
        given = "no steroid that day"
    return f"flare ({rose}) on {given}"


def _draw_treatments(ax: Axes, timeline: CourseTimeline) -> None:
    from matplotlib.patches import Patch

    lanes = timeline.lanes
    row = {lane: number for number, lane in enumerate(lanes)}
    for bar in timeline.bars:
        width = bar.end_day - bar.start_day + 1
        ax.barh(
            row[bar.lane],
            width,
            left=bar.start_day,
            height=0.6,
            color=KIND_COLOURS[bar.kind],
            hatch="//" if bar.running else None,
            edgecolor="white",
            linewidth=0.5,
            gid=f"bar:{bar.lane}",
        )
        if bar.kind == "steroid" and bar.dose is not None:
            # The full steroid dose is the panel below; a number fits inside a short bar.
            ax.text(
                bar.start_day + width / 2,
                row[bar.lane],
                _dose(bar.dose),
                ha="center",
                va="center",
                fontsize=6,
                color="white",
                clip_on=True,
            )
        elif bar.dose_text is not None:
            ax.text(
                bar.end_day + 2,
                row[bar.lane],
                literal(bar.dose_text),
                va="center",
                fontsize=7,
                clip_on=True,
            )
    agents = {dose.agent for dose in timeline.biologic_doses}
    for agent in sorted(agents):
        days = [dose.day for dose in timeline.biologic_doses if dose.agent == agent]
        ax.plot(
            days,
            [row.get(agent, 0)] * len(days),
            linestyle="none",
            marker="|",
            markersize=14,
            markeredgewidth=1.5,
            color="black",
            label=f"{literal(agent)} doses",
        )
    ax.set_yticks(range(len(lanes)), [literal(lane) for lane in lanes], **LITERAL)
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    kinds = list(dict.fromkeys(bar.kind for bar in timeline.bars))
    handles: list[Artist] = [
        Patch(color=KIND_COLOURS[kind], label=_KIND_NAMES[kind]) for kind in kinds
    ]
    if any(bar.running for bar in timeline.bars):
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//", label="running"))
    handles += ax.get_legend_handles_labels()[0]  # the biologic dose ticks
    ax.legend(handles=handles, loc="upper right", fontsize=7, ncols=len(handles))


def _draw_steroid(ax: Axes, timeline: CourseTimeline) -> None:
    steroid = timeline.steroid
    if steroid is None:
        return
    edges = [*steroid.days, steroid.days[-1] + 1]
    ax.stairs(
        steroid.prednisone_equivalent_mg,
        edges,
        baseline=None,
        color=KIND_COLOURS["steroid"],
        linewidth=1.5,
        label="prednisone-equivalent dose",
    )
    ax.set_ylabel("Prednisone-eq.\nmg/day")
    ax.set_ylim(bottom=0)


def _plot_series(ax: Axes, series: ObservationSeries) -> None:
    colour, marker = _SERIES_STYLE[series.code]
    ax.plot(
        series.days,
        series.values,
        color=colour,
        marker=marker,
        markersize=4,
        linewidth=1,
        label=f"{series.label} ({_DISPLAY_UNITS.get(series.unit, series.unit)})",
    )
    ax.set_ylabel(f"{series.label}\n({_DISPLAY_UNITS.get(series.unit, series.unit)})", color=colour)
    if series.code in _FIXED_LIMITS:
        ax.set_ylim(*_FIXED_LIMITS[series.code])


def _draw_series(ax: Axes, timeline: CourseTimeline, codes: tuple[str, str]) -> None:
    present = [series for code in codes if (series := timeline.series_of(code)) is not None]
    _plot_series(ax, present[0])
    axes = [ax]
    if len(present) > 1:
        twin = ax.twinx()
        _plot_series(twin, present[1])
        axes.append(twin)
        keep_literal(twin)
    handles = [handle for each in axes for handle in each.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="upper right", fontsize=7)


def _mark_flares(panels: dict[str, Axes], timeline: CourseTimeline) -> None:
    for ax in panels.values():
        for flare in timeline.flares:
            ax.axvline(flare.day, color=_FLARE_COLOUR, linestyle="--", linewidth=1, gid="flare")
    target = panels.get("steroid", next(iter(panels.values())))
    steroid_panel = "steroid" in panels
    for flare in timeline.flares:
        height = flare.prednisone_equivalent_mg if steroid_panel else None
        if height is not None:
            target.plot(
                [flare.day],
                [height],
                marker="v",
                markersize=8,
                color=_FLARE_COLOUR,
                linestyle="none",
                label="flare",
            )
        target.annotate(
            _flare_text(flare),
            xy=(flare.day, height if height is not None else 0.9),
            xycoords=("data", "data" if height is not None else "axes fraction"),
            xytext=(6, 18),
            textcoords="offset points",
            fontsize=7,
            color=_FLARE_COLOUR,
            arrowprops={"arrowstyle": "-", "color": _FLARE_COLOUR, "linewidth": 0.8},
        )


def plot_course_timeline(
    timeline: CourseTimeline, *, axes: Sequence[Axes] | None = None
) -> list[Axes]:
    """Draw a course timeline as vertically stacked panels sharing the day axis.

    Panels, top to bottom, each drawn only when the timeline has its data: treatment lanes
    (one horizontal bar per treatment period, coloured by kind; biologic doses as ticks),
    the daily prednisone-equivalent steroid dose (a step plot, one step per day), labs
    (eosinophils ×10⁹/L, total IgE kU/L on a twin axis), skin (itch NRS, rash BSA % on a
    twin axis) and fever and liver (temperature °C, ALT U/L on a twin axis). Flares are
    dashed red vertical lines on every panel, marked on the steroid step and annotated with
    that day's steroid dose; a black line marks day 0 with the index event. Names and ids
    are drawn as written: never as math text (``$...$``), without control characters.

    Parameters
    ----------
    timeline
        From :func:`dresskit.analysis.timeline.course_timeline`.
    axes
        One Axes per panel with data, in the order of
        :func:`timeline_panels`; ``None`` creates a new figure with exactly those panels.

    Returns
    -------
    list of Axes
        The panel axes, top to bottom (twin axes are reachable with ``ax.figure.axes``).

    Raises
    ------
    InputError
        When ``axes`` does not hold one Axes per panel with data.

    References
    ----------
    Shen et al. 2024, Figure (layout); prednisone equivalents, clinical-reference.md §8.
    """
    names = timeline_panels(timeline)
    if axes is None:
        import matplotlib.pyplot as plt

        heights = [
            max(1.0, 0.35 * len(timeline.lanes)) if n == "treatments" else 1.6 for n in names
        ]
        _figure, created = plt.subplots(
            max(len(names), 1),
            1,
            sharex=True,
            squeeze=False,
            figsize=(10, 1.2 + sum(heights)),
            height_ratios=heights or None,
            layout="constrained",
        )
        chosen = [ax for (ax,) in created]
    else:
        chosen = list(axes)
        if len(chosen) != len(names):
            raise InputError(
                "axes",
                f"{len(chosen)} Axes",
                f"one Axes per panel with data ({len(names)}: {', '.join(names) or 'none'})",
            )
    if not names:
        for ax in chosen[:1]:
            ax.set_title(literal(timeline.title), fontsize=10, loc="left")
            ax.text(0.5, 0.5, "nothing recorded", ha="center", transform=ax.transAxes)
        keep_literal(*chosen)
        return chosen
    panels = dict(zip(names, chosen, strict=True))
    for name, ax in panels.items():
        if name == "treatments":
            _draw_treatments(ax, timeline)
        elif name == "steroid":
            _draw_steroid(ax, timeline)
        else:
            _draw_series(ax, timeline, _SERIES_PANELS[name])
        ax.axvline(0, color="black", linewidth=1.2, gid="day0")
        ax.set_xlim(timeline.first_day - 3, timeline.last_follow_up_day + 3)
        ax.grid(axis="x", linewidth=0.3, alpha=0.5)
    _mark_flares(panels, timeline)
    top, bottom = chosen[0], chosen[-1]
    top.set_title(literal(timeline.title), fontsize=10, loc="left", pad=16)
    top.text(
        0,
        1.01,
        f"day 0: {literal(timeline.index_label)}",
        transform=top.get_xaxis_transform(),
        ha="center",
        va="bottom",
        fontsize=8,
    )
    bottom.set_xlabel(f"Days from {literal(timeline.index_label)} (day 0)")
    keep_literal(*chosen)
    return chosen
