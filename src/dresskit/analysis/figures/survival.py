"""Kaplan-Meier and cumulative incidence figures drawn from computed results.

These functions only read :class:`~dresskit.analysis.survival.KaplanMeierResult` and
:class:`~dresskit.analysis.survival.CumulativeIncidenceResult`; they compute no statistic and
write no file. matplotlib is imported inside the functions, and ``pyplot`` only when no
``ax`` is given.

References
----------
.. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat
   Assoc. 1958;53(282):457-481.
.. [2] Pocock SJ, Clayton TC, Altman DG. Survival plots of time-to-event outcomes in clinical
   trials: good practice and pitfalls. Lancet. 2002;359(9318):1686-1689 (numbers at risk
   under the axis, censoring marks, curves that stop where follow-up thins).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dresskit.analysis.figures._text import keep_literal, literal
from dresskit.analysis.survival import CumulativeIncidenceResult, KaplanMeierResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_cumulative_incidence", "plot_kaplan_meier"]

#: Vertical spacing of the rows of the numbers-at-risk table, in axes fractions.
_ROW_HEIGHT = 0.07
#: Where the numbers-at-risk table starts under the axis (below the tick labels).
_TABLE_TOP = -0.2


def _new_axes() -> Axes:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7.0, 5.0))
    return ax


def plot_kaplan_meier(
    results: Sequence[KaplanMeierResult],
    *,
    ax: Axes | None = None,
    at_risk: bool = True,
    xlabel: str = "Days from index",
    ylabel: str = "Proportion without the event",
) -> Axes:
    """Draw Kaplan-Meier curves with confidence bands, censoring marks, medians and at-risk table.

    Parameters
    ----------
    results
        One :class:`~dresskit.analysis.survival.KaplanMeierResult` per curve.
    ax
        Axes to draw on; a new figure is made when ``None``.
    at_risk
        Write the numbers at risk (the results' ``at_risk`` times) under the x axis.
    xlabel, ylabel
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one ``steps-post`` line per result (labelled with the result's
        label), a shaded band per result, censoring marks, a dashed median line per median
        reached, and (if ``at_risk``) one text row per result under the axis.

    Raises
    ------
    ValueError
        If ``results`` is empty.

    References
    ----------
    .. [1] Pocock SJ, Clayton TC, Altman DG. Lancet. 2002;359(9318):1686-1689.

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
    own_figure = ax is None
    ax = ax if ax is not None else _new_axes()
    for result in results:
        (line,) = ax.step(
            result.timeline, result.survival, where="post", label=literal(result.label)
        )
        colour = line.get_color()
        ax.fill_between(
            result.timeline,
            result.ci_lower,
            result.ci_upper,
            step="post",
            alpha=0.2,
            color=colour,
            linewidth=0,
        )
        if result.censoring_marks:
            ax.plot(
                [time for time, _ in result.censoring_marks],
                [survival for _, survival in result.censoring_marks],
                linestyle="none",
                marker="|",
                markersize=8,
                color=colour,
                label="_censored",
            )
        if result.median is not None:
            ax.plot(
                [0.0, result.median, result.median],
                [0.5, 0.5, 0.0],
                linestyle="--",
                linewidth=0.8,
                color=colour,
                label="_median",
            )
    ax.set_ylim(0.0, 1.05)
    ax.set_xlim(left=0.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    if at_risk:
        _draw_at_risk(ax, results, make_room=own_figure)
    keep_literal(ax)
    return ax


def _draw_at_risk(ax: Axes, results: Sequence[KaplanMeierResult], *, make_room: bool) -> None:
    """Write the numbers at risk as text rows under the x axis (x in data, y in axes units)."""
    transform = ax.get_xaxis_transform()
    ax.text(
        0.0,
        _TABLE_TOP,
        "Number at risk",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize="small",
        fontweight="bold",
        gid="at_risk_header",
    )
    for row, result in enumerate(results, start=1):
        y = _TABLE_TOP - row * _ROW_HEIGHT
        ax.text(
            -0.02,
            y,
            literal(result.label),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
            gid="at_risk_label",
        )
        for time, count in result.at_risk:
            ax.text(
                time,
                y,
                str(count),
                transform=transform,
                ha="center",
                va="top",
                fontsize="small",
                gid="at_risk_count",
            )
    figure = ax.get_figure()
    if make_room and figure is not None:
        # Room under the axes for the table, only on a figure made here: a caller's figure
        # keeps its layout (use bbox_inches="tight" when saving it).
        figure.subplots_adjust(bottom=min(0.5, 0.2 + _ROW_HEIGHT * (len(results) + 2)))


def plot_cumulative_incidence(
    results: Sequence[CumulativeIncidenceResult],
    *,
    ax: Axes | None = None,
    show_competing: bool = True,
    xlabel: str = "Days from index",
    ylabel: str = "Cumulative incidence",
) -> Axes:
    """Draw cumulative incidence curves, with the competing event's curve dashed.

    Parameters
    ----------
    results
        One :class:`~dresskit.analysis.survival.CumulativeIncidenceResult` per curve.
    ax
        Axes to draw on; a new figure is made when ``None``.
    show_competing
        Also draw the competing event's cumulative incidence (dashed, ``"<label>: competing
        event"``).
    xlabel, ylabel
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one solid ``steps-post`` line per result and, if
        ``show_competing``, one dashed ``steps-post`` line per result.

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
    >>> result = cumulative_incidence([2, 2, 3, 4], [1, 1, 2, 0], label="ALT")
    >>> ax = plot_cumulative_incidence([result])
    >>> [line.get_label() for line in ax.get_lines()]
    ['ALT', 'ALT: competing event']
    """
    if not results:
        raise ValueError("results must hold at least one CumulativeIncidenceResult")
    ax = ax if ax is not None else _new_axes()
    for result in results:
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
                label=f"{literal(result.label)}: competing event",
            )
    ax.set_ylim(0.0, 1.05)
    ax.set_xlim(left=0.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    keep_literal(ax)
    return ax
