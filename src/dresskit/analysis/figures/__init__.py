"""Figures: journal-ready, from computed results; one style, one way to write files.

Each figure module has a ``plot_*`` function (draws on an optional ``ax`` and returns it, for
composing) and a ``*_figure`` builder that makes the whole figure at journal size (8.5 cm or
17.5 cm wide, text >= 7 pt, Okabe-Ito colours, panel letters) and returns a
:class:`~dresskit.analysis.figures._save.DrawnFigure` (name, title, caption, figure).
Figures never compute statistics. Files are written by :func:`save_figure` only (SVG and PDF
vector with text kept as text, PNG at 300 dpi, atomically, reproducibly), or rendered to
bytes with :func:`render_figure`. matplotlib is imported inside the functions, so importing
this package stays cheap.
"""

from dresskit.analysis.figures._save import (
    DEFAULT_FORMATS,
    FIGURE_FORMATS,
    PNG_DPI,
    DrawnFigure,
    render_figure,
    save_figure,
)

__all__ = [
    "DEFAULT_FORMATS",
    "FIGURE_FORMATS",
    "PNG_DPI",
    "DrawnFigure",
    "render_figure",
    "save_figure",
]
