"""Draw every figure of a report, in every format asked for (vector SVG and PDF, 300 dpi PNG).

The figures themselves are :mod:`dresskit.analysis.figures`' (one builder per figure, the
journal style, the file formats); this module chooses which figures a report has, in which
order, and keeps their bytes with their title and caption. The HTML report embeds the SVG
(vector, text kept as text), and the PDF lays out the same SVG, so both stay sharp at any
zoom; the command line writes each format next to the report.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dresskit.analysis.figures import DrawnFigure, render_figure
from dresskit.analysis.figures.paired import before_after_figure
from dresskit.analysis.figures.survival import cumulative_incidence_figure, kaplan_meier_figure
from dresskit.analysis.figures.swimmer import swimmer_figure
from dresskit.analysis.figures.timeline import timeline_figure
from dresskit.analysis.report_model import Report
from dresskit.analysis.report_text import index_label

__all__ = ["RenderedFigure", "draw_figures"]


@dataclass(frozen=True)
class RenderedFigure:
    """A drawn figure: a name (file stem), a title, a caption and its file contents.

    The name is chosen by dresskit (``"swimmer"``, ``"timeline_1"``: the first timeline),
    never taken from the data; episode ids appear only in the title and caption. ``svg`` is
    the vector image the HTML and PDF report embed; ``files`` maps each format asked for
    (``"svg"``, ``"pdf"``, ``"png"``) to the bytes of the file to write
    (``figures/<name>.<format>``).
    """

    name: str
    title: str
    caption: str
    svg: bytes
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def png(self) -> bytes:
        """The 300 dpi PNG file.

        Raises
        ------
        KeyError
            When the figure was drawn without ``"png"`` among its formats.
        """
        return self.files["png"]

    @property
    def data_uri(self) -> str:
        """The SVG as a ``data:`` URI, for a self-contained HTML page (and its PDF)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


def _rendered(drawn: DrawnFigure | None, formats: Sequence[str]) -> RenderedFigure | None:
    if drawn is None:
        return None
    files = render_figure(drawn.figure, ("svg", *[fmt for fmt in formats if fmt != "svg"]))
    # The SVG is drawn for the report itself; a file is written only when it was asked for.
    svg = files["svg"] if "svg" in formats else files.pop("svg")
    return RenderedFigure(drawn.name, drawn.title, drawn.caption, svg, files)


def draw_figures(
    report: Report,
    *,
    progress: Callable[[str], None] | None = None,
    figure_formats: Sequence[str] | None = None,
) -> list[RenderedFigure]:
    """Draw every figure of the report (before/after, survival, swimmer, timelines).

    Figures are named by dresskit: ``before_after``, ``kaplan_meier``,
    ``cumulative_incidence``, ``swimmer`` and ``timeline_1`` ... ``timeline_N`` in the order
    of ``report.timelines`` (the episode id is in the title). Every text is drawn as written:
    matplotlib's math text and TeX are off, so ``$...$`` in a name stays text.

    Parameters
    ----------
    report
        A computed report.
    progress
        Called with the name of each step as it ends.
    figure_formats
        The file formats of every figure (default: ``report.figure_formats``): ``"svg"``,
        ``"pdf"``, ``"png"`` (300 dpi); the SVG is drawn in any case, for the HTML and PDF
        report.
    """
    import matplotlib

    chosen = tuple(figure_formats if figure_formats is not None else report.figure_formats)
    label = index_label(report.index)
    figures: list[RenderedFigure | None] = []
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        figures.append(_rendered(before_after_figure(report.paired, index_label=label), chosen))
        if progress:
            progress("figures: before/after")
        curves = [analysis.kaplan_meier for analysis in report.survival if analysis.kaplan_meier]
        figures.append(_rendered(kaplan_meier_figure(curves, index_label=label), chosen))
        competing = [analysis.competing for analysis in report.survival if analysis.competing]
        figures.append(_rendered(cumulative_incidence_figure(competing, index_label=label), chosen))
        if progress:
            progress("figures: time to event")
        figures.append(
            _rendered(
                swimmer_figure(report.swimmer, total=report.swimmer_total, index_label=label),
                chosen,
            )
        )
        for number, timeline in enumerate(report.timelines, start=1):
            figures.append(_rendered(timeline_figure(timeline, number=number), chosen))
        if progress:
            progress("figures: swimmer and timelines")
    return [figure for figure in figures if figure is not None]
