"""Draw a course timeline: treatments, steroid dose, labs and skin on one day axis.

The layout follows the Figure of Shen et al. 2024 (treatment lanes above, clinical indicators
below). Everything drawn comes from a :class:`~dresskit.analysis.timeline.CourseTimeline`;
nothing is computed here. Panels without data are not drawn, the day axis ends at the last
data point (:attr:`~dresskit.analysis.timeline.CourseTimeline.last_data_day`), the legend is
one, under the panels, and every dose label is moved until it lies inside its panel.

References
----------
.. [1] Shen C et al. J Investig Allergol Clin Immunol. 2024;34(2):145-147, Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, cast

from dresskit.analysis.figures._save import DrawnFigure
from dresskit.analysis.figures._style import (
    DOUBLE_COLUMN_IN,
    KIND_COLOURS,
    MIN_FONT_PT,
    OKABE_ITO,
    figure_style,
    new_figure,
    panel_letter,
)
from dresskit.analysis.figures._text import LITERAL, keep_literal, literal
from dresskit.analysis.timeline import (
    TIMELINE_CODES,
    CourseTimeline,
    FlareMark,
    ObservationSeries,
)
from dresskit.display_units import display_unit
from dresskit.errors import InputError

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.axes._base import _AxesBase
    from matplotlib.text import Text

__all__ = ["KIND_COLOURS", "plot_course_timeline", "timeline_figure", "timeline_panels"]

_KIND_NAMES: Final = {
    "steroid": "steroid",
    "ivig": "IVIG",
    "biologic": "biologic",
    "other": "other",
}
_FLARE_COLOUR: Final = OKABE_ITO["vermillion"]

#: Observation panels: name -> (code on the left axis, code on the right axis).
_SERIES_PANELS: Final[dict[str, tuple[str, str]]] = {
    "labs": ("eosinophils", "total_ige"),
    "skin": ("itch_nrs", "rash_bsa"),
    "fever_liver": ("temperature", "alt"),
}
#: Units without a symbol that still need a word on the axis.
_SCALE_NAMES: Final = {"itch_nrs": "0-10"}
_SERIES_STYLE: Final = {
    "eosinophils": (OKABE_ITO["reddish_purple"], "o"),
    "total_ige": (OKABE_ITO["bluish_green"], "s"),
    "itch_nrs": (OKABE_ITO["vermillion"], "o"),
    "rash_bsa": (OKABE_ITO["blue"], "s"),
    "temperature": (OKABE_ITO["orange"], "o"),
    "alt": (OKABE_ITO["sky_blue"], "s"),
}
_FIXED_LIMITS: Final = {"itch_nrs": (0.0, 10.5), "rash_bsa": (0.0, 105.0)}
#: Height of one treatment lane and of one indicator panel, in inches.
_LANE_IN: Final = 0.2
_PANEL_IN: Final = 1.15


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


def _unit_text(series: ObservationSeries) -> str:
    return display_unit(series.unit) or _SCALE_NAMES.get(series.code, "")


def _flare_text(flare: FlareMark) -> str:
    rose = ", ".join(TIMELINE_CODES.get(m, m.replace("_", " ")) for m in flare.markers)
    per_day = display_unit("mg/d")
    if flare.steroid_doses:
        given = " + ".join(
            f"{literal(agent)} {_dose(mg)} {per_day}" for agent, mg in flare.steroid_doses
        )
    else:
        given = "no steroid that day"
    return f"flare ({rose}) on {given}"


def _draw_treatments(ax: Axes, timeline: CourseTimeline) -> list[Text]:
    """Draw the lanes; return the dose labels (placed later, once the layout is known)."""
    lanes = timeline.lanes
    row = {lane: number for number, lane in enumerate(lanes)}
    labels: list[Text] = []
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
            # Inside the bar when it fits (checked once laid out); the dose is also the
            # step plot of the panel below.
            text = ax.text(
                bar.start_day + width / 2,
                row[bar.lane],
                _dose(bar.dose),
                ha="center",
                va="center",
                fontsize=MIN_FONT_PT,
                color="white",
                gid="dose_in_bar",
            )
            text.set_in_layout(False)
            labels.append(text)
        elif bar.dose_text is not None:
            text = ax.text(
                bar.end_day + 1,
                row[bar.lane],
                " " + literal(bar.dose_text),
                va="center",
                ha="left",
                gid="dose_label",
            )
            text.set_in_layout(False)
            labels.append(text)
    agents = {dose.agent for dose in timeline.biologic_doses}
    for agent in sorted(agents):
        days = [dose.day for dose in timeline.biologic_doses if dose.agent == agent]
        ax.plot(
            days,
            [row.get(agent, 0)] * len(days),
            linestyle="none",
            marker="|",
            markersize=9,
            markeredgewidth=1.2,
            color="black",
            label=f"{literal(agent)} doses",
        )
    ax.set_yticks(range(len(lanes)), [literal(lane) for lane in lanes], **LITERAL)
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    ax.tick_params(axis="y", length=0)
    return labels


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
        linewidth=1.2,
        label="prednisone-equivalent dose",
    )
    ax.set_ylabel(f"Prednisone-eq.\n({display_unit('mg/d')})")
    ax.set_ylim(bottom=0)


def _plot_series(ax: Axes, series: ObservationSeries, *, right: bool = False) -> None:
    colour, marker = _SERIES_STYLE[series.code]
    unit = _unit_text(series)
    ax.plot(
        series.days,
        series.values,
        color=colour,
        marker=marker,
        # Open markers for the right axis: a point hidden behind the other series shows.
        markerfacecolor="none" if right else colour,
        markersize=3.5,
        linewidth=1,
        label=f"{series.label} ({unit})" if unit else series.label,
    )
    ax.set_ylabel(f"{series.label}\n({unit})" if unit else series.label, color=colour)
    if series.code in _FIXED_LIMITS:
        ax.set_ylim(*_FIXED_LIMITS[series.code])


def _draw_series(ax: Axes, timeline: CourseTimeline, codes: tuple[str, str]) -> None:
    present = [series for code in codes if (series := timeline.series_of(code)) is not None]
    _plot_series(ax, present[0])
    if len(present) > 1:
        twin = ax.twinx()
        twin.spines["right"].set_visible(True)
        _plot_series(twin, present[1], right=True)
        keep_literal(twin)


def _mark_flares(panels: dict[str, Axes], timeline: CourseTimeline) -> list[Text]:
    for ax in panels.values():
        for flare in timeline.flares:
            ax.axvline(flare.day, color=_FLARE_COLOUR, linestyle="--", linewidth=0.9, gid="flare")
    target = panels.get("steroid", next(iter(panels.values())))
    steroid_panel = "steroid" in panels
    notes: list[Text] = []
    for number, flare in enumerate(timeline.flares):
        height = flare.prednisone_equivalent_mg if steroid_panel else None
        if height is not None:
            target.plot(
                [flare.day],
                [height],
                marker="v",
                markersize=6,
                color=_FLARE_COLOUR,
                linestyle="none",
                label="flare",
            )
        note = target.annotate(
            _flare_text(flare),
            xy=(flare.day, height if height is not None else 0.9),
            xycoords=("data", "data" if height is not None else "axes fraction"),
            xytext=(6, 14 + 9 * (number % 3)),
            textcoords="offset points",
            color=_FLARE_COLOUR,
            arrowprops={"arrowstyle": "-", "color": _FLARE_COLOUR, "linewidth": 0.7},
            annotation_clip=False,
        )
        note.set_in_layout(False)
        notes.append(note)
    return notes


def _legend(chosen: Sequence[Axes], timeline: CourseTimeline) -> None:
    """One legend for the figure, under the panels: never over the data."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = []
    kinds = list(dict.fromkeys(bar.kind for bar in timeline.bars))
    handles += [Patch(color=KIND_COLOURS[kind], label=_KIND_NAMES[kind]) for kind in kinds]
    if any(bar.running for bar in timeline.bars):
        handles.append(
            Patch(facecolor="white", edgecolor="grey", hatch="//", label="running at end")
        )
    seen: set[str] = set()
    figure = chosen[0].get_figure()
    others = [ax for ax in (figure.axes if figure is not None else []) if ax not in chosen]
    every: list[Axes] = []
    for panel in chosen:  # each panel, then its twin (same place in the figure)
        every.append(panel)
        box = panel.get_position().bounds
        every += [ax for ax in others if ax.get_position().bounds == box]
    for ax in every:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in seen and label != "flare":
                seen.add(label)
                handles.append(handle)
    if timeline.flares:
        handles.append(
            Line2D([], [], color=_FLARE_COLOUR, linestyle="--", marker="v", label="flare")
        )
    handles.append(Line2D([], [], color="black", linewidth=1.2, label="day 0"))
    if figure is not None:
        legend = figure.legend(
            handles=handles, loc="outside lower center", ncols=min(len(handles), 5)
        )
        legend.set_gid("timeline_legend")
        for text in legend.get_texts():
            text.set_parse_math(False)
            text.set_usetex(False)


def _place_labels(chosen: Sequence[Axes], labels: list[Text], notes: list[Text]) -> None:
    """Move each label until it lies inside its panel: right of the bar, left, or dropped."""
    from matplotlib import patheffects
    from matplotlib.figure import Figure

    figure = chosen[0].get_figure(root=True)
    if not isinstance(figure, Figure) or not (labels or notes):
        return
    figure.draw_without_rendering()
    renderer = figure._get_renderer()  # type: ignore[attr-defined]
    for text in labels:
        ax = text.axes
        if ax is None:
            continue
        box = ax.get_window_extent(renderer)
        extent = text.get_window_extent(renderer)
        if text.get_gid() == "dose_in_bar":
            bar_width = _bar_width_px(text, renderer)
            if extent.width > bar_width - 2:
                text.set_visible(False)  # too short a bar: the panel below shows the dose
            continue
        if extent.x1 <= box.x1:
            continue
        x, y = text.get_position()
        start = _bar_start(cast("Axes", ax), y, x)
        text.set_position((start, y))
        text.set_horizontalalignment("right")
        text.set_text(text.get_text().strip() + " ")
        if text.get_window_extent(renderer).x0 < box.x0:
            # Neither side has room: write it inside the bar, from its start, in white.
            text.set_position((start, y))
            text.set_horizontalalignment("left")
            text.set_color("white")
            text.set_text(" " + text.get_text().strip())
            # Over the bar's dose ticks: outlined in the bar's colour, so ticks never cross
            # the letters.
            text.set_zorder(4)
            text.set_path_effects(
                [patheffects.withStroke(linewidth=2.5, foreground=_bar_colour(ax, y, start))]
            )
            if text.get_window_extent(renderer).x1 > box.x1:
                text.set_visible(False)
    for note in notes:
        ax = note.axes
        if ax is None:
            continue
        if note.get_window_extent(renderer).x1 > ax.get_window_extent(renderer).x1:
            offset = note.get_position()  # the xytext offset, in points
            note.set_position((-offset[0], offset[1]))
            note.set_horizontalalignment("right")


def _bar_start(ax: Axes, y: float, end: float) -> float:
    """Return the left edge of the bar in lane ``y`` that ends at ``end`` (data units)."""
    from matplotlib.patches import Rectangle

    for patch in ax.patches:
        if not isinstance(patch, Rectangle):
            continue
        middle = patch.get_y() + patch.get_height() / 2
        if abs(middle - y) < 1e-9 and abs(patch.get_x() + patch.get_width() - end) < 1e-9:
            return float(patch.get_x())
    return end


def _bar_colour(ax: _AxesBase, y: float, start: float) -> tuple[float, float, float, float]:
    """Return the face colour of the bar in lane ``y`` that starts at ``start``."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    for patch in ax.patches:
        if isinstance(patch, Rectangle):
            middle = patch.get_y() + patch.get_height() / 2
            if abs(middle - y) < 1e-9 and abs(patch.get_x() - start) < 1e-9:
                return to_rgba(patch.get_facecolor())
    return (0.0, 0.0, 0.0, 1.0)


def _bar_width_px(text: Text, renderer: object) -> float:
    from matplotlib.patches import Rectangle

    ax = text.axes
    if ax is None:
        return 0.0
    x, y = text.get_position()
    for patch in ax.patches:
        if isinstance(patch, Rectangle):
            left, width = patch.get_x(), patch.get_width()
            middle = patch.get_y() + patch.get_height() / 2
            if abs(middle - y) < 1e-9 and abs(left + width / 2 - x) < 1e-9:
                return float(patch.get_window_extent(renderer).width)  # type: ignore[arg-type]
    return 0.0


def plot_course_timeline(
    timeline: CourseTimeline, *, axes: Sequence[Axes] | None = None
) -> list[Axes]:
    """Draw a course timeline as vertically stacked panels sharing the day axis.

    Panels, top to bottom, each drawn only when the timeline has its data: treatment lanes
    (one horizontal bar per treatment period, coloured by kind; biologic doses as ticks),
    the daily prednisone-equivalent steroid dose (a step plot, one step per day), labs
    (eosinophils ×10⁹/L, total IgE kU/L on a twin axis), skin (itch NRS, rash BSA % on a
    twin axis) and fever and liver (temperature °C, ALT U/L on a twin axis). Flares are
    dashed vertical lines on every panel, marked on the steroid step and annotated with
    that day's steroid dose; a black line marks day 0, labelled with the index event. The
    day axis runs from the first to the last data point; one legend sits under the panels;
    dose labels are moved to stay inside their panel (right of the bar, else left of it,
    else inside it; a steroid dose that does not fit in its bar is left to the step plot).
    Names and ids are drawn as written: never as math text, without control characters.

    Parameters
    ----------
    timeline
        From :func:`dresskit.analysis.timeline.course_timeline`.
    axes
        One Axes per panel with data, in the order of :func:`timeline_panels` (one Axes for
        a timeline without data); ``None`` creates a new figure with exactly those panels.

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
    if axes is None:
        with figure_style():
            return _plot_course_timeline(timeline, None)
    return _plot_course_timeline(timeline, axes)


def _plot_course_timeline(timeline: CourseTimeline, axes: Sequence[Axes] | None) -> list[Axes]:
    names = timeline_panels(timeline)
    if axes is None:
        import matplotlib.pyplot as plt

        heights = _heights(timeline, names)
        _figure, created = plt.subplots(
            max(len(names), 1),
            1,
            sharex=True,
            squeeze=False,
            figsize=(DOUBLE_COLUMN_IN, 1.0 + sum(heights)),
            height_ratios=heights or None,
            layout="constrained",
        )
        chosen = [ax for (ax,) in created]
    else:
        chosen = list(axes)
        if len(chosen) != len(names) and not (not names and len(chosen) == 1):
            raise InputError(
                "axes",
                f"{len(chosen)} Axes",
                f"one Axes per panel with data ({len(names)}: {', '.join(names) or 'none'})",
            )
    if not names:
        for ax in chosen[:1]:
            ax.set_title(literal(timeline.title), loc="center")
            ax.text(0.5, 0.5, "nothing recorded", ha="center", transform=ax.transAxes)
        keep_literal(*chosen)
        return chosen
    panels = dict(zip(names, chosen, strict=True))
    labels: list[Text] = []
    first = float(timeline.first_day)
    last = float(timeline.last_data_day)
    margin = max(1.0, 0.02 * (last - first))
    for name, ax in panels.items():
        if name == "treatments":
            labels += _draw_treatments(ax, timeline)
        elif name == "steroid":
            _draw_steroid(ax, timeline)
        else:
            _draw_series(ax, timeline, _SERIES_PANELS[name])
        ax.axvline(0, color="black", linewidth=1.2, gid="day0")
        ax.set_xlim(first - margin, last + margin)
        ax.grid(axis="x", linewidth=0.3, alpha=0.5)
    notes = _mark_flares(panels, timeline)
    top, bottom = chosen[0], chosen[-1]
    figure = top.get_figure()
    if figure is not None:
        figure.suptitle(literal(timeline.title), x=0.01, ha="left", fontsize="medium", **LITERAL)
    top.text(
        0,
        1.02,
        f"day 0: {literal(timeline.index_label)}",
        transform=top.get_xaxis_transform(),
        ha="center",
        va="bottom",
        gid="day0_label",
    )
    bottom.set_xlabel(f"Days from {literal(timeline.index_label)} (day 0)")
    for ax in chosen[:-1]:
        ax.tick_params(axis="x", labelbottom=False)
    _legend(chosen, timeline)
    keep_literal(*chosen, *(figure.axes if figure is not None else ()))
    _place_labels(chosen, labels, notes)
    return chosen


def _heights(timeline: CourseTimeline, names: Sequence[str]) -> list[float]:
    return [
        max(0.6, _LANE_IN * len(timeline.lanes) + 0.2) if name == "treatments" else _PANEL_IN
        for name in names
    ]


def timeline_figure(timeline: CourseTimeline, *, number: int = 1) -> DrawnFigure:
    """Draw one course timeline two columns wide, panels lettered A, B, ...

    Parameters
    ----------
    timeline
        From :func:`dresskit.analysis.timeline.course_timeline`.
    number
        Its number in the report: the file is ``timeline_<number>``.

    Returns
    -------
    DrawnFigure
        ``timeline_<number>``.
    """
    names = timeline_panels(timeline)
    heights = _heights(timeline, names) or [_PANEL_IN]
    with figure_style():
        figure = new_figure(DOUBLE_COLUMN_IN, 1.1 + sum(heights))
        axes = figure.subplots(
            max(len(names), 1), 1, sharex=True, squeeze=False, height_ratios=heights
        )[:, 0]
        chosen = plot_course_timeline(timeline, axes=list(axes))
        if names and len(chosen) > 1:
            for index, ax in enumerate(chosen):
                panel_letter(ax, index)
    caption = (
        "Treatments (bars by kind; hatched: still given at the last follow-up; ticks: "
        "biologic doses), daily prednisone-equivalent steroid dose, laboratory values, itch "
        "and rash on one day axis from the first to the last recorded day; dashed lines: "
        "flares, with that day's steroid dose. Panels without data are left out. Compare "
        "Shen et al. 2024 Figure."
    )
    return DrawnFigure(
        f"timeline_{number}", f"Course of {literal(timeline.episode_id)}", caption, figure
    )
