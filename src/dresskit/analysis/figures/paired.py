"""Before/after plot per patient, like Sim et al. 2022 Figure 1, readable at any n.

Up to :data:`PAIRED_LINES_MAX_N` pairs, every patient is one line from the value before to the
value after day 0 (as in Sim et al.). Above it, lines would merge into a grey block, so each
side is drawn as a violin (the distribution) with a box (median and interquartile range) and
the two medians joined.

References
----------
.. [1] Sim DW, Yu J, Koh YI. Clin Transl Sci. 2022;15:782-788, Figure 1.
.. [2] Weissgerber TL, Milic NM, Winham SJ, Garovic VD. Beyond bar and line graphs: time for
   a new data presentation paradigm. PLoS Biol. 2015;13(4):e1002128 (paired data: lines
   per subject for small samples, distributions for large ones).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Protocol, cast

from dresskit.analysis.figures._save import DrawnFigure
from dresskit.analysis.figures._style import (
    DOUBLE_COLUMN_IN,
    GREY,
    OKABE_ITO,
    SINGLE_COLUMN_IN,
    figure_style,
    new_figure,
    panel_letter,
)
from dresskit.analysis.figures._text import keep_literal, literal
from dresskit.analysis.formatting import format_p
from dresskit.analysis.paired import PairedValues
from dresskit.display_units import display_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PolyCollection

    from dresskit.analysis.wilcoxon import WilcoxonResult

__all__ = ["PAIRED_LINES_MAX_N", "before_after_figure", "paired_axis_label", "plot_paired"]

#: Most pairs drawn as one line each. Beyond 30, lines overlap so much that single patients
#: cannot be followed (Weissgerber et al. 2015); the distributions are drawn instead.
PAIRED_LINES_MAX_N: Final = 30
#: Panels per row of the before/after figure (two journal columns).
_PANELS_PER_ROW: Final = 3


class Comparison(Protocol):
    """What :func:`before_after_figure` reads of a comparison (the report's)."""

    @property
    def paired(self) -> PairedValues:
        """The complete pairs."""

    @property
    def test(self) -> WilcoxonResult | None:
        """The paired test, computed elsewhere."""


def paired_axis_label(paired: PairedValues) -> str:
    """Return the y label with the unit as a symbol (``"Eosinophils (×10⁹/L)"``)."""
    unit = display_unit(paired.unit)
    return f"{literal(paired.label)} ({unit})" if unit else literal(paired.label)


def _lines(ax: Axes, paired: PairedValues) -> None:
    from matplotlib.collections import LineCollection

    segments = [
        [(0.0, before), (1.0, after)]
        for before, after in zip(paired.before, paired.after, strict=True)
    ]
    ax.add_collection(LineCollection(segments, colors=GREY, linewidths=0.8, label="pairs"))
    if segments:
        ax.scatter(
            [0.0] * len(segments) + [1.0] * len(segments),
            [*paired.before, *paired.after],
            s=8,
            color=GREY,
            zorder=2,
            label="_values",
        )
    ax.autoscale_view()
    if paired.n_pairs:
        for position, values, name in ((0, paired.before, "before"), (1, paired.after, "after")):
            middle = statistics.median(values)
            ax.plot(
                [position - 0.18, position + 0.18],
                [middle, middle],
                color="black",
                linewidth=2.2,
                solid_capstyle="butt",
                label=f"median {name}",
                zorder=3,
            )


def _distributions(ax: Axes, paired: PairedValues) -> None:
    sides = [list(paired.before), list(paired.after)]
    violins = ax.violinplot(sides, positions=[0, 1], widths=0.7, showextrema=False)
    bodies = cast("list[PolyCollection]", violins["bodies"])
    for body in bodies:
        body.set_facecolor(OKABE_ITO["sky_blue"])
        body.set_edgecolor("none")
        body.set_alpha(0.45)
    ax.boxplot(
        sides,
        positions=[0, 1],
        widths=0.18,
        whis=(5, 95),
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "white", "edgecolor": "black", "linewidth": 0.8},
        medianprops={"color": "black", "linewidth": 1.8},
        whiskerprops={"linewidth": 0.8},
        capprops={"linewidth": 0.8},
    )
    medians = [statistics.median(values) for values in sides]
    ax.plot([0, 1], medians, color="black", linewidth=0.8, linestyle=":", label="medians")
    for position, middle, name in ((0, medians[0], "before"), (1, medians[1], "after")):
        ax.plot(
            [position - 0.09, position + 0.09],
            [middle, middle],
            color="black",
            linewidth=1.8,
            label=f"median {name}",
        )


def plot_paired(
    paired: PairedValues,
    *,
    test: WilcoxonResult | None = None,
    ax: Axes | None = None,
    max_lines: int = PAIRED_LINES_MAX_N,
) -> Axes:
    """Draw the values before and after day 0: one line per patient, or distributions.

    The median of each side is drawn as a black bar; ``test`` (computed elsewhere, e.g. by
    :func:`dresskit.analysis.wilcoxon.wilcoxon_signed_rank`) is only printed, never computed.

    Parameters
    ----------
    paired
        The complete pairs (:func:`dresskit.analysis.paired.paired_values`).
    test
        A paired test result, printed above the panel (optional).
    ax
        Axes to draw on; a new figure when omitted.
    max_lines
        Most pairs drawn as lines (:data:`PAIRED_LINES_MAX_N`); above it each side is a
        violin with a box (median, interquartile range, whiskers at the 5th and 95th
        percentiles) and the medians are joined by a dotted line.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on. With lines: one grey segment per pair in a ``LineCollection``
        labelled ``"pairs"`` and one median bar per side (labels ``"median before"``,
        ``"median after"``). The title gives n (pairs); the y label the unit as a symbol.

    References
    ----------
    Sim DW, Yu J, Koh YI. Clin Transl Sci. 2022;15:782-788, Figure 1; Weissgerber et al.
    2015 (see the module).
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(SINGLE_COLUMN_IN / 2, 2.6), layout="constrained")
    if paired.n_pairs <= max_lines:
        _lines(ax, paired)
    else:
        _distributions(ax, paired)
    ax.set_xticks([0, 1], [_day(paired.before_day), _day(paired.after_day)])
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylabel(paired_axis_label(paired))
    title = f"{literal(paired.label)}, n = {paired.n_pairs}"
    if test is not None:
        title += "\n" + ("p < 0.001" if test.p_value < 0.001 else f"p = {format_p(test.p_value)}")
    ax.set_title(title)
    keep_literal(ax)
    return ax


def _day(day: int) -> str:
    # A true minus sign (U+2212), as journals typeset negative numbers.
    return f"Day {day:+d}".replace("-", "\u2212") if day else "Day 0"


def before_after_figure(
    comparisons: Sequence[Comparison],
    *,
    index_label: str = "day 0",
    max_lines: int = PAIRED_LINES_MAX_N,
) -> DrawnFigure | None:
    """Draw one before/after panel (A, B, ...) per comparison with at least one pair.

    Returns
    -------
    DrawnFigure or None
        ``before_after``, two columns wide (one for a single panel), three panels a row;
        ``None`` when no comparison has a pair.
    """
    shown = [comparison for comparison in comparisons if comparison.paired.n_pairs]
    if not shown:
        return None
    columns = min(len(shown), _PANELS_PER_ROW)
    rows = math.ceil(len(shown) / columns)
    width = SINGLE_COLUMN_IN if columns == 1 else DOUBLE_COLUMN_IN
    with figure_style():
        figure = new_figure(width, 2.6 * rows)
        grid = figure.subplots(rows, columns, squeeze=False)
        for number, (ax, comparison) in enumerate(zip(grid.flat, shown, strict=False)):
            plot_paired(comparison.paired, test=comparison.test, ax=ax, max_lines=max_lines)
            if len(shown) > 1:
                panel_letter(ax, number)
        for ax in list(grid.flat)[len(shown) :]:
            ax.set_visible(False)
    first = shown[0].paired
    many = [c.paired.label for c in shown if c.paired.n_pairs > max_lines]
    drawn = (
        "Each line is one patient (black bars: medians)"
        if not many
        else (
            f"Up to {max_lines} patients each line is one patient (black bars: medians); "
            f"above that ({', '.join(literal(label) for label in many)}) violins show the "
            "distribution and boxes the median and interquartile range (whiskers: 5th to "
            "95th percentile; dotted: medians joined)"
        )
    )
    caption = (
        f"{drawn}: values on day {first.before_day:+d} and day {first.after_day:+d} relative "
        f"to {literal(index_label)}; n = patients with both values. p: Wilcoxon signed-rank "
        "test (SPSS method). Compare Sim et al. 2022 Figure 1."
    )
    return DrawnFigure("before_after", f"Before and after {literal(index_label)}", caption, figure)
