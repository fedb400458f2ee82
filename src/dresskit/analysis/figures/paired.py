"""Before/after plot per patient, like Sim et al. 2022 Figure 1."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from dresskit.analysis.figures._text import keep_literal, literal
from dresskit.analysis.formatting import format_p
from dresskit.analysis.paired import PairedValues

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from dresskit.analysis.wilcoxon import WilcoxonResult

__all__ = ["plot_paired"]


def plot_paired(
    paired: PairedValues, *, test: WilcoxonResult | None = None, ax: Axes | None = None
) -> Axes:
    """Draw one line per patient from the value before to the value after day 0.

    The median of each side is drawn as a black bar; ``test`` (computed elsewhere, e.g. by
    :func:`dresskit.analysis.wilcoxon.wilcoxon_signed_rank`) is only printed, never computed.

    Parameters
    ----------
    paired
        The complete pairs (:func:`dresskit.analysis.paired.paired_values`).
    test
        A paired test result to print in the corner (optional).
    ax
        Axes to draw on; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one grey segment per pair in a ``LineCollection`` labelled
        ``"pairs"`` (fainter above 200 pairs, without point markers), one median line per side
        (labels ``"median before"``, ``"median after"``).

    References
    ----------
    Sim DW, Yu J, Koh YI. Clin Transl Sci. 2022;15:782-788, Figure 1.
    """
    from matplotlib.collections import LineCollection

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(3.2, 3.6))
    # One collection for all pairs: thousands of patients stay one artist, drawn at once.
    segments = [
        [(0.0, before), (1.0, after)]
        for before, after in zip(paired.before, paired.after, strict=True)
    ]
    many = len(segments) > 200
    ax.add_collection(
        LineCollection(
            segments,
            colors="0.55",
            linewidths=0.3 if many else 0.9,
            alpha=0.3 if many else 1.0,
            label="pairs",
        )
    )
    if segments and not many:
        ax.scatter(
            [0.0] * len(segments) + [1.0] * len(segments),
            [*paired.before, *paired.after],
            s=9,
            color="0.55",
            zorder=2,
            label="_values",
        )
    ax.autoscale_view()
    if paired.n_pairs:
        for position, values, name in ((0, paired.before, "before"), (1, paired.after, "after")):
            middle = statistics.median(values)
            ax.plot(
                [position - 0.15, position + 0.15],
                [middle, middle],
                color="black",
                linewidth=2.5,
                label=f"median {name}",
            )
    ax.set_xticks([0, 1], [_day(paired.before_day), _day(paired.after_day)])
    ax.set_xlim(-0.4, 1.4)
    ax.set_ylabel(f"{literal(paired.label)} ({literal(paired.unit)})")
    ax.set_title(f"{literal(paired.label)}, n = {paired.n_pairs}", fontsize="medium")
    if test is not None:
        ax.text(
            0.98,
            0.98,
            "p < 0.001" if test.p_value < 0.001 else f"p = {format_p(test.p_value)}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
        )
    keep_literal(ax)
    return ax


def _day(day: int) -> str:
    return f"Day {day:+d}" if day else "Day 0"
