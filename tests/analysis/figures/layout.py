"""Check a drawn figure's text: no two texts overlap, none leaves the figure, none too small.

Every visible, non-empty text artist (titles, labels, tick labels, legends, annotations,
lifelines' at-risk table) is measured with the renderer after the layout is done
(``Figure.draw_without_rendering``), as matplotlib places it in the saved file.
"""

from __future__ import annotations

from itertools import combinations

from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

#: Pixels two boxes may share before they count as overlapping (anti-aliasing, rounding).
TOLERANCE_PX = 1.0
#: Smallest text at final size, in points (journal guidelines, dresskit's _style.py).
MIN_FONT_PT = 7.0


def text_boxes(figure: Figure) -> list[tuple[Text, Bbox]]:
    """Every visible, non-empty text of ``figure`` with its box in display pixels."""
    figure.draw_without_rendering()
    renderer = figure._get_renderer()  # type: ignore[attr-defined]
    hidden = _undrawn_tick_labels(figure)
    boxes = []
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        if id(text) in hidden or not _shown(text):
            continue
        boxes.append((text, text.get_window_extent(renderer)))
    return boxes


def _undrawn_tick_labels(figure: Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw (ticks outside the view limits)."""
    every: set[int] = set()
    drawn: set[int] = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                every |= {id(tick.label1), id(tick.label2)}
            if not (ax.get_visible() and axis.get_visible()):
                continue
            # The ticks drawn, as Axis.draw chooses them (private, but what is drawn).
            for tick in axis._update_ticks():  # type: ignore[attr-defined]
                drawn |= {id(tick.label1), id(tick.label2)}
    return every - drawn


def _shown(text: Text) -> bool:
    """False for texts of hidden axes or legends, and for hidden tick labels."""
    parent = text
    while parent is not None:
        if not parent.get_visible():
            return False
        parent = getattr(parent, "axes", None) if parent is text else None
    axes = text.axes
    return axes is None or axes.get_visible()


def _name(text: Text) -> str:
    return repr(text.get_text()[:40])


def layout_problems(figure: Figure) -> list[str]:
    """Say which texts overlap, leave the figure or are smaller than 7 pt; ``[]`` when none."""
    boxes = text_boxes(figure)
    problems = []
    page = figure.bbox
    for text, box in boxes:
        if (
            box.x0 < page.x0 - TOLERANCE_PX
            or box.y0 < page.y0 - TOLERANCE_PX
            or box.x1 > page.x1 + TOLERANCE_PX
            or box.y1 > page.y1 + TOLERANCE_PX
        ):
            problems.append(f"{_name(text)} leaves the figure: {box.bounds} vs {page.bounds}")
        if text.get_fontsize() < MIN_FONT_PT - 1e-9:
            problems.append(f"{_name(text)} is {text.get_fontsize()} pt (< {MIN_FONT_PT})")
    for (first, one), (second, other) in combinations(boxes, 2):
        shared = Bbox.intersection(one, other)
        if shared is not None and shared.width > TOLERANCE_PX and shared.height > TOLERANCE_PX:
            problems.append(f"{_name(first)} overlaps {_name(second)}")
    return problems
