"""Kaplan-Meier and cumulative incidence figures drawn from computed results.

These functions only read :class:`~dresskit.analysis.survival.KaplanMeierResult` and
:class:`~dresskit.analysis.survival.CumulativeIncidenceResult`; they compute no statistic of
their own. The numbers at risk, censored and with the event under the axis are lifelines'
own table (:func:`lifelines.plotting.add_at_risk_counts`), one column per x tick, so the
table and the ticks always line up. matplotlib is imported inside the functions, and
``pyplot`` only when no ``ax`` is given.

References
----------
.. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat
   Assoc. 1958;53(282):457-481.
.. [2] Pocock SJ, Clayton TC, Altman DG. Survival plots of time-to-event outcomes in clinical
   trials: good practice and pitfalls. Lancet. 2002;359(9318):1686-1689 (numbers at risk
   under the axis, censoring marks, curves that stop where follow-up thins).
.. [3] Morris TP, Jarvis CI, Cragg W, et al. Proposals on Kaplan-Meier plots in medical
   research and a survey of stakeholder views: KMunicate. BMJ Open. 2019;9:e030215 (at
   risk, censored and events under each tick; confidence bands).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from dresskit.analysis.figures._save import DrawnFigure
from dresskit.analysis.figures._style import (
    DOUBLE_COLUMN_IN,
    FONT_PT,
    SINGLE_COLUMN_IN,
    figure_style,
    new_figure,
    panel_letter,
)
from dresskit.analysis.figures._text import keep_literal, literal
from dresskit.analysis.survival import CumulativeIncidenceResult, KaplanMeierResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "MIN_GROUP_N",
    "STILL_LABELS",
    "cumulative_incidence_figure",
    "kaplan_meier_figure",
    "plot_cumulative_incidence",
    "plot_kaplan_meier",
    "still_label",
    "too_few_note",
]

#: Fewest patients for which a curve is drawn. Below 5, each patient moves a Kaplan-Meier
#: curve by 20 percentage points or more and the 95 % band spans most of 0-1, so the curve
#: shows noise rather than a course (Pocock et al. 2002: do not draw curves where the
#: numbers at risk are very small). Such groups are named in the caption, never hidden.
MIN_GROUP_N: Final = 5

#: y label of a Kaplan-Meier curve per outcome label: what "without the event" means.
STILL_LABELS: Final[dict[str, str]] = {
    "Defervescence": "Proportion still febrile",
    "Steroid discontinuation": "Proportion still on steroid",
    "ALT normalisation": "Proportion with ALT still raised",
    "Eosinophil normalisation": "Proportion with eosinophilia",
    "Rash resolution": "Proportion with rash",
}
#: Above this many censoring times, censoring marks are drawn smaller (they would merge).
_MANY_MARKS: Final = 40
#: Rows of lifelines' table under the axis.
_ROWS: Final = ("At risk", "Censored", "Events")
#: Distance of the table's first row under the axes, in inches (below the x axis label).
_TABLE_OFFSET_IN: Final = 0.42


def still_label(label: str) -> str:
    """Return the y label of a curve of ``label`` (``"Proportion still febrile"``)."""
    return STILL_LABELS.get(label, f"Proportion without {label[:1].lower()}{label[1:]}")


def _new_axes() -> Axes:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(SINGLE_COLUMN_IN, 3.0), layout="constrained")
    return ax


def _fitter(result: KaplanMeierResult | CumulativeIncidenceResult) -> Any | None:
    """Lifelines' fitter of ``result``'s data for the at-risk table, ``None`` without data.

    The fitter only tabulates who is at risk, censored and has an event at each tick; the
    curve drawn is always the result's own.
    """
    durations = getattr(result, "durations", None)
    observed = getattr(result, "observed", None)
    if observed is None and (events := getattr(result, "events", None)) is not None:
        observed = [event != 0 for event in events]  # any event ends the time at risk
    if not durations or observed is None:
        return None
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(label=literal(result.label)).fit(
        [float(value) for value in durations], event_observed=[bool(v) for v in observed]
    )


def _ticks(ax: Axes, last: float) -> list[float]:
    """Fix the x range to [0, last] with round ticks inside it; return the ticks."""
    from matplotlib.ticker import MaxNLocator

    end = max(last, 1.0)
    ticks = [
        float(t)
        for t in MaxNLocator(nbins=5, integer=True, min_n_ticks=3).tick_values(0.0, end)
        if 0.0 <= t <= end
    ]
    ax.set_xlim(0.0, end * 1.03)
    ax.set_xticks(ticks)
    return ticks


def _at_risk_table(
    ax: Axes,
    fitters: Sequence[Any],
    labels: Sequence[str],
    ticks: Sequence[float],
    rows: Sequence[str] = _ROWS,
) -> None:
    from lifelines.plotting import add_at_risk_counts

    figure = ax.get_figure()
    add_at_risk_counts(
        *fitters,
        ax=ax,
        fig=figure,
        xticks=list(ticks),
        labels=list(labels),
        rows_to_show=list(rows),
        ypos=-_TABLE_OFFSET_IN,
        fontsize=FONT_PT,
    )
    # lifelines draws the table as the tick labels of a twin axes under this one.
    for twin in ax.get_shared_y_axes().get_siblings(ax):
        if twin is not ax:
            twin.set_gid("at_risk_table")
            keep_literal(twin)


@dataclass(frozen=True)
class _AtRiskOnly:
    """Stands in for a lifelines fitter when only the numbers at risk are known.

    :func:`lifelines.plotting.add_at_risk_counts` reads ``event_table`` (at risk minus
    removed, at the last row at or before each tick) and ``_label``; with one row per
    ``at_risk`` time and nothing removed it prints exactly the result's numbers at risk.
    """

    _label: str
    event_table: Any


def _at_risk_only(result: KaplanMeierResult) -> _AtRiskOnly:
    import pandas as pd

    times = [time for time, _ in result.at_risk]
    table = pd.DataFrame(
        {
            "removed": [0] * len(times),
            "observed": [0] * len(times),
            "censored": [0] * len(times),
            "at_risk": [count for _, count in result.at_risk],
        },
        index=pd.Index(times, name="event_at"),
    )
    return _AtRiskOnly(literal(result.label), table)


def _say_too_few(
    ax: Axes,
    results: Sequence[KaplanMeierResult | CumulativeIncidenceResult],
    drawn: Sequence[KaplanMeierResult | CumulativeIncidenceResult],
    min_n: int,
) -> None:
    """When no curve is drawn, name the groups in the panel and say why."""
    if drawn:
        return
    named = "\n".join(f"{literal(result.label)} (n = {result.n})" for result in results)
    ax.text(
        0.5,
        0.5,
        f"{named}\nfewer than {min_n} patients: no curve drawn",
        transform=ax.transAxes,
        ha="center",
        va="center",
        gid="too_few",
    )


def plot_kaplan_meier(
    results: Sequence[KaplanMeierResult],
    *,
    ax: Axes | None = None,
    at_risk: bool = True,
    xlabel: str = "Days from index",
    ylabel: str = "Proportion without the event",
    min_n: int = MIN_GROUP_N,
) -> Axes:
    """Draw Kaplan-Meier curves with confidence bands, censoring marks, medians and at-risk table.

    Parameters
    ----------
    results
        One :class:`~dresskit.analysis.survival.KaplanMeierResult` per curve. A result of
        fewer than ``min_n`` patients is not drawn (see :data:`MIN_GROUP_N`).
    ax
        Axes to draw on; a new figure is made when ``None``.
    at_risk
        Write lifelines' table (at risk, censored, events at each x tick) under the axis.
        It needs the results' per-patient ``durations`` and ``observed``; a result without
        them gets its own numbers at risk, at its ``at_risk`` times, which become the ticks.
    xlabel, ylabel
        Axis labels.
    min_n
        Fewest patients for a curve to be drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one ``steps-post`` line per drawn result (labelled with the
        result's label), a shaded band per result, censoring marks (``"|"``), a dashed
        median line per median reached and, with several curves, a legend outside the
        axes (right). With ``at_risk``, the table is under the axis.

    Raises
    ------
    ValueError
        If ``results`` is empty.

    References
    ----------
    .. [1] Pocock SJ, Clayton TC, Altman DG. Lancet. 2002;359(9318):1686-1689.
    .. [2] Morris TP et al. KMunicate. BMJ Open. 2019;9:e030215.

    Examples
    --------
    >>> from dresskit.analysis.survival import kaplan_meier
    >>> result = kaplan_meier([2, 3, 3, 6, 9], [True, True, False, True, False], label="IVIG")
    >>> ax = plot_kaplan_meier([result])
    >>> [line.get_label() for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
    ['IVIG']
    """
    if not results:
        raise ValueError("results must hold at least one KaplanMeierResult")
    ax = ax if ax is not None else _new_axes()
    drawn = [result for result in results if result.n >= min_n]
    for result in drawn:
        (line,) = ax.step(
            result.timeline, result.survival, where="post", label=literal(result.label)
        )
        colour = line.get_color()
        ax.fill_between(
            result.timeline,
            result.ci_lower,
            result.ci_upper,
            step="post",
            alpha=0.18,
            color=colour,
            linewidth=0,
        )
        if result.censoring_marks:
            ax.plot(
                [time for time, _ in result.censoring_marks],
                [survival for _, survival in result.censoring_marks],
                linestyle="none",
                marker="|",
                # Smaller where marks would merge into a band (many censoring times).
                markersize=7 if len(result.censoring_marks) <= _MANY_MARKS else 3.5,
                markeredgewidth=1.3 if len(result.censoring_marks) <= _MANY_MARKS else 0.6,
                color=colour,
                label="_censored",
                zorder=3,
            )
        if result.median is not None:
            ax.plot(
                [0.0, result.median, result.median],
                [0.5, 0.5, 0.0],
                linestyle="--",
                linewidth=0.7,
                color=colour,
                label="_median",
            )
    _say_too_few(ax, results, drawn, min_n)
    ax.set_ylim(0.0, 1.05)
    last = max((result.timeline[-1] for result in drawn if result.timeline), default=1.0)
    ticks = _ticks(ax, last)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(drawn) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    if at_risk and drawn:
        fitters = [_fitter(result) for result in drawn]
        # One curve: the panel's title names it, so the table needs no row name (a long
        # name would push the axes aside).
        labels = [literal(result.label) for result in drawn] if len(drawn) > 1 else [""]
        if all(fitter is not None for fitter in fitters):
            _at_risk_table(ax, fitters, labels, ticks)
        else:
            # Only the numbers at risk are known, at the result's own times: those become
            # the ticks, so table and ticks still line up.
            times = sorted({time for result in drawn for time, _ in result.at_risk})
            ax.set_xticks(times)
            ax.set_xlim(0.0, max(last, *times) * 1.03)
            only = [_at_risk_only(result) for result in drawn]
            _at_risk_table(ax, only, labels, times, rows=("At risk",))
    keep_literal(ax)
    return ax


def plot_cumulative_incidence(
    results: Sequence[CumulativeIncidenceResult],
    *,
    ax: Axes | None = None,
    show_competing: bool = True,
    at_risk: bool = True,
    xlabel: str = "Days from index",
    ylabel: str = "Cumulative incidence",
    min_n: int = MIN_GROUP_N,
) -> Axes:
    """Draw cumulative incidence curves, with the competing event's curve dashed.

    Parameters
    ----------
    results
        One :class:`~dresskit.analysis.survival.CumulativeIncidenceResult` per curve; one of
        fewer than ``min_n`` patients is not drawn (:data:`MIN_GROUP_N`).
    ax
        Axes to draw on; a new figure is made when ``None``.
    show_competing
        Also draw the competing event's cumulative incidence (dashed, ``"<label>: competing
        event (death first)"``).
    at_risk
        Write lifelines' table under the axis when the results carry per-patient
        ``durations`` and ``events`` (any event ends the time at risk).
    xlabel, ylabel
        Axis labels.
    min_n
        Fewest patients for a curve to be drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one solid ``steps-post`` line per result and, if
        ``show_competing``, one dashed ``steps-post`` line per result; the legend is outside
        the axes (right).

    Raises
    ------
    ValueError
        If ``results`` is empty.

    References
    ----------
    .. [1] Aalen OO, Johansen S. Scand J Stat. 1978;5(3):141-150.

    Examples
    --------
    >>> from dresskit.analysis.survival import cumulative_incidence
    >>> result = cumulative_incidence([2, 2, 3, 4, 5], [1, 1, 2, 0, 1], label="ALT")
    >>> ax = plot_cumulative_incidence([result])
    >>> [line.get_label() for line in ax.get_lines()]
    ['ALT', 'ALT: competing event (death first)']
    """
    if not results:
        raise ValueError("results must hold at least one CumulativeIncidenceResult")
    ax = ax if ax is not None else _new_axes()
    drawn = [result for result in results if result.n >= min_n]
    for result in drawn:
        (line,) = ax.step(
            result.timeline,
            result.cumulative_incidence,
            where="post",
            label=literal(result.label),
        )
        if show_competing:
            ax.step(
                result.timeline,
                result.competing_cumulative_incidence,
                where="post",
                linestyle="--",
                color=line.get_color(),
                label=f"{literal(result.label)}: competing event (death first)",
            )
    _say_too_few(ax, results, drawn, min_n)
    ax.set_ylim(0.0, 1.05)
    last = max((result.timeline[-1] for result in drawn if result.timeline), default=1.0)
    ticks = _ticks(ax, last)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if drawn:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        fitters = [_fitter(result) for result in drawn]
        if at_risk and all(fitter is not None for fitter in fitters):
            names = [literal(result.label) for result in drawn] if len(drawn) > 1 else [""]
            _at_risk_table(ax, fitters, names, ticks)
    keep_literal(ax)
    return ax


def too_few_note(
    results: Sequence[KaplanMeierResult | CumulativeIncidenceResult], min_n: int = MIN_GROUP_N
) -> str:
    """Return the caption sentence naming the groups with no curve, and why; ``""`` if none.

    For a report to print even when no group had a curve (the figure is then ``None``).
    """
    small = [result for result in results if result.n < min_n]
    if not small:
        return ""
    named = ", ".join(f"{literal(result.label)} (n = {result.n})" for result in small)
    return (
        f"No curve is drawn for {named}: with fewer than {min_n} patients each patient "
        "moves the curve by 20 percentage points or more and the confidence band spans "
        "most of 0 to 1."
    )


def _sentence(text: str) -> str:
    return f" {text}" if text else ""


def _grid(count: int) -> tuple[int, int, float]:
    columns = 1 if count == 1 else 2
    rows = math.ceil(count / columns)
    width = SINGLE_COLUMN_IN if columns == 1 else DOUBLE_COLUMN_IN
    return rows, columns, width


def kaplan_meier_figure(
    results: Sequence[KaplanMeierResult],
    *,
    index_label: str = "day 0",
    ylabels: Mapping[str, str] | None = None,
    min_n: int = MIN_GROUP_N,
) -> DrawnFigure | None:
    """Draw one Kaplan-Meier panel (A, B, ...) per outcome, each with its at-risk table.

    Parameters
    ----------
    results
        One result per outcome (their time scales differ, so each has its own panel).
    index_label
        Day 0 in words, for the x label (``"IVIG"``).
    ylabels
        y label per result label; :func:`still_label` otherwise.
    min_n
        Fewest patients for a curve (:data:`MIN_GROUP_N`); smaller groups are named in the
        caption.

    Returns
    -------
    DrawnFigure or None
        ``kaplan_meier``, one or two columns wide; ``None`` when no result has ``min_n``
        patients. Groups too small for a curve get no panel and are named in the caption.
    """
    shown = [result for result in results if result.n >= min_n]
    if not shown:
        return None
    rows, columns, width = _grid(len(shown))
    with figure_style():
        figure = new_figure(width, rows * 2.9)
        grid = figure.subplots(rows, columns, squeeze=False)
        for number, (ax, result) in enumerate(zip(grid.flat, shown, strict=False)):
            label = (ylabels or {}).get(result.label) or still_label(result.label)
            plot_kaplan_meier(
                [result],
                ax=ax,
                xlabel=f"Days from {literal(index_label)}",
                ylabel=label,
                min_n=min_n,
            )
            ax.set_title(f"{literal(result.label)} (n = {result.n})")
            if len(shown) > 1:
                panel_letter(ax, number)
        for ax in list(grid.flat)[len(shown) :]:
            ax.set_visible(False)
    caption = (
        "Kaplan-Meier estimate of the proportion of patients still without the event "
        f"(day 0 = {literal(index_label)}); shaded: 95% pointwise confidence band; vertical "
        "ticks: censored patients; dashed: the median where reached. Under each panel: "
        "patients at risk at each tick, and patients censored and events up to it."
        + _sentence(too_few_note(results, min_n))
    )
    return DrawnFigure("kaplan_meier", "Time to event (Kaplan-Meier)", caption, figure)


def cumulative_incidence_figure(
    results: Sequence[CumulativeIncidenceResult],
    *,
    index_label: str = "day 0",
    min_n: int = MIN_GROUP_N,
) -> DrawnFigure | None:
    """Draw one cumulative incidence panel (A, B, ...) per outcome with death competing.

    Returns
    -------
    DrawnFigure or None
        ``cumulative_incidence``; ``None`` when no result has ``min_n`` patients (groups
        too small for a curve are named in the caption).
    """
    shown = [result for result in results if result.n >= min_n]
    if not shown:
        return None
    rows, columns, width = _grid(len(shown))
    with figure_style():
        figure = new_figure(width, rows * 2.9)
        grid = figure.subplots(rows, columns, squeeze=False)
        for number, (ax, result) in enumerate(zip(grid.flat, shown, strict=False)):
            plot_cumulative_incidence(
                [result], ax=ax, xlabel=f"Days from {literal(index_label)}", min_n=min_n
            )
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
            ax.set_title(f"{literal(result.label)} (n = {result.n})")
            if len(shown) > 1:
                panel_letter(ax, number)
        for ax in list(grid.flat)[len(shown) :]:
            ax.set_visible(False)
        from matplotlib.lines import Line2D

        # One legend for every panel, under them: never over a curve.
        figure.legend(
            handles=[
                Line2D([], [], color="black", linestyle="-", label="the event"),
                Line2D([], [], color="black", linestyle="--", label="death first (competing)"),
            ],
            loc="outside lower center",
            ncols=2,
        )
    caption = (
        "Aalen-Johansen cumulative incidence of each event (solid) and of death before it "
        f"(dashed, competing event); day 0 = {literal(index_label)}." + too_few_note(results, min_n)
    )
    return DrawnFigure(
        "cumulative_incidence",
        "Cumulative incidence with death as competing event",
        caption,
        figure,
    )
