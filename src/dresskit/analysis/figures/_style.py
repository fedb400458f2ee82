"""One look for every figure: palette, fonts, sizes, panel letters.

Every figure of dresskit is drawn inside :func:`figure_style` (matplotlib ``rcParams``) and
takes its colours from :data:`OKABE_ITO`, the colour-blind-safe palette of Okabe and Ito.
Sizes are those of a journal page: a figure is one column (8.5 cm) or two columns
(17.5 cm) wide and every text is at least 7 pt at that final size, so a figure is printed
at 100 % and never scaled down.

References
----------
.. [1] Okabe M, Ito K. Color Universal Design (CUD): how to make figures and presentations
   that are friendly to colorblind people. 2008. https://jfly.uni-koeln.de/color/ (the
   eight colours below).
.. [2] JAMA Network. Instructions for authors, figures: single column 8.5 cm (3.35 in),
   double 17.5 cm; sans-serif type, at least 7 pt at final size. The NEJM and BJD figure
   guidelines give the same widths and minimum size within a millimetre.
.. [3] matplotlib documentation, "Customizing Matplotlib with style sheets and rcParams"
   (``svg.fonttype``, ``pdf.fonttype``, ``svg.hashsalt``).
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DOUBLE_COLUMN_IN",
    "FONT_PT",
    "KIND_COLOURS",
    "MIN_FONT_PT",
    "OKABE_ITO",
    "RC",
    "SINGLE_COLUMN_IN",
    "figure_style",
    "new_figure",
    "panel_letter",
]

_CM_PER_INCH: Final = 2.54
#: One journal column, 8.5 cm, in inches (matplotlib sizes figures in inches).
SINGLE_COLUMN_IN: Final = 8.5 / _CM_PER_INCH
#: Two journal columns, 17.5 cm, in inches.
DOUBLE_COLUMN_IN: Final = 17.5 / _CM_PER_INCH
#: Smallest text at final size, in points (journal guidelines, see the module references).
MIN_FONT_PT: Final = 7.0
#: Body text of a figure (axis labels, tick labels, legends), in points.
FONT_PT: Final = 7.5

#: The Okabe-Ito palette, by name (black first as in the original).
OKABE_ITO: Final[dict[str, str]] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Order in which curves and series take colours (yellow last: weak on white).
CYCLE: Final = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)
#: Colour of each treatment kind, the same in the timeline and the swimmer plot.
KIND_COLOURS: Final[dict[str, str]] = {
    "steroid": OKABE_ITO["blue"],
    "ivig": OKABE_ITO["bluish_green"],
    "biologic": OKABE_ITO["vermillion"],
    "other": OKABE_ITO["reddish_purple"],
}
#: Neutral grey for context (pairs, lanes); not one of the data colours.
GREY: Final = "#8C8C8C"

#: rcParams of every dresskit figure.
RC: Final[dict[str, Any]] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": FONT_PT,
    "axes.titlesize": 8.0,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": FONT_PT,
    "ytick.labelsize": FONT_PT,
    "legend.fontsize": FONT_PT,
    "legend.title_fontsize": FONT_PT,
    "figure.titlesize": 9.0,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": None,  # set in figure_style (needs matplotlib's cycler)
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    # Text stays text: selectable and editable in SVG, embedded TrueType (Type 42) in PDF.
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    # Same ids in every SVG written from the same figure (reproducible output).
    "svg.hashsalt": "dresskit",
    "text.parse_math": False,
    "text.usetex": False,
    "hatch.linewidth": 0.6,
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Draw and save inside this block to get dresskit's figure style (:data:`RC`)."""
    import matplotlib
    from cycler import cycler

    params = {**RC, "axes.prop_cycle": cycler(color=list(CYCLE))}
    with matplotlib.rc_context(params):  # type: ignore[arg-type]
        yield


def new_figure(width: float, height: float) -> Figure:
    """Return a figure of ``width`` x ``height`` inches with constrained layout.

    The figure is not registered with pyplot: nothing global to close, safe in a server.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def panel_letter(ax: Axes, number: int) -> None:
    """Write the panel letter (A for 0, B for 1, ...) bold, just above the top left corner.

    The letter ends where the axes begin, so it never meets a centred title (which stays
    within the axes' width) or the y tick labels (which end below the top).
    """
    letters = string.ascii_uppercase
    letter = letters[number] if number < len(letters) else f"{number + 1}"
    ax.annotate(
        letter,
        xy=(0.0, 1.0),
        xycoords="axes fraction",
        xytext=(-4.0, 7.0),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontweight="bold",
        fontsize=9.0,
        gid="panel_letter",
    )
