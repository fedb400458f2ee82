"""Write a figure as vector (SVG, PDF) and 300 dpi PNG files, reproducibly and atomically.

:func:`save_figure` is the one way dresskit writes a figure to disk; :func:`render_figure`
gives the same bytes in memory (for a report folder written with
:func:`dresskit.atomic.atomic_folder`). Output is reproducible: no creation date in the
metadata, fixed SVG ids (``svg.hashsalt``), so the same figure gives the same bytes.

- SVG: text kept as ``<text>`` (``svg.fonttype = "none"``): selectable and editable.
- PDF: fonts embedded as TrueType (``pdf.fonttype = 42``), as journals ask for.
- PNG: 300 dpi (the ``pHYs`` chunk says so), for submission systems that want a raster.

References
----------
.. [1] JAMA Network. Instructions for authors, figures: vector files (EPS, PDF, SVG) or
   raster at 300 dpi or more at final size; fonts embedded.
.. [2] matplotlib documentation, ``Figure.savefig`` (``metadata``: ``None`` removes a key,
   for reproducible output) and rcParams ``svg.fonttype``, ``pdf.fonttype``,
   ``svg.hashsalt``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dresskit.analysis.figures._style import figure_style
from dresskit.atomic import write_file

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_FORMATS",
    "FIGURE_FORMATS",
    "PNG_DPI",
    "DrawnFigure",
    "render_figure",
    "save_figure",
]

#: Formats a figure can be written in.
FIGURE_FORMATS: Final = ("svg", "pdf", "png")
#: Formats written when none are asked for: every one.
DEFAULT_FORMATS: Final = FIGURE_FORMATS
#: Resolution of the PNG (journal minimum for line art with halftones).
PNG_DPI: Final = 300

#: Metadata without dates or versions that change between runs.
_METADATA: Final[dict[str, dict[str, Any]]] = {
    "svg": {"Date": None, "Creator": "dresskit (matplotlib)"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "dresskit (matplotlib)"},
    "png": {"Software": "dresskit (matplotlib)"},
}


def _check(formats: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(fmt.lower().lstrip(".") for fmt in formats))
    unknown = [fmt for fmt in chosen if fmt not in FIGURE_FORMATS]
    if unknown or not chosen:
        raise ValueError(
            f"figure formats must be some of {', '.join(FIGURE_FORMATS)}; got {list(formats)!r}"
        )
    return chosen


def _bytes(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format=fmt,
        dpi=PNG_DPI,
        metadata=_METADATA[fmt],
        facecolor="white",
        transparent=False,
    )
    return buffer.getvalue()


def render_figure(figure: Figure, formats: Sequence[str] = DEFAULT_FORMATS) -> dict[str, bytes]:
    """Return the figure's file contents per format (``{"svg": b"<?xml...", ...}``).

    Parameters
    ----------
    figure
        A drawn figure.
    formats
        Some of :data:`FIGURE_FORMATS`, in the order wanted.

    Returns
    -------
    dict of str to bytes
        One entry per format; the same figure gives the same bytes every time.

    Raises
    ------
    ValueError
        When a format is not one of :data:`FIGURE_FORMATS`, or none is given.
    """
    chosen = _check(formats)
    with figure_style():
        return {fmt: _bytes(figure, fmt) for fmt in chosen}


def save_figure(
    fig: Figure, stem: Path, formats: Sequence[str] = DEFAULT_FORMATS
) -> dict[str, Path]:
    """Write ``fig`` as ``stem.svg``, ``stem.pdf``, ``stem.png`` (those asked for), atomically.

    Parameters
    ----------
    fig
        A drawn figure.
    stem
        Path without suffix (``out/figures/kaplan_meier``); its folder is created.
    formats
        Some of :data:`FIGURE_FORMATS`.

    Returns
    -------
    dict of str to Path
        The file written per format.

    Raises
    ------
    ValueError
        When a format is unknown.
    dresskit.atomic.OutputError
        When a file cannot be written (the earlier file, if any, is unchanged).

    Examples
    --------
    >>> import tempfile
    >>> from matplotlib.figure import Figure
    >>> figure = Figure(figsize=(2, 2))
    >>> _ = figure.add_subplot().plot([0, 1], [0, 1])
    >>> paths = save_figure(figure, Path(tempfile.mkdtemp()) / "line", ("svg", "png"))
    >>> sorted(path.name for path in paths.values())
    ['line.png', 'line.svg']
    """
    written: dict[str, Path] = {}
    for fmt, data in render_figure(fig, formats).items():
        written[fmt] = write_file(stem.with_name(f"{stem.name}.{fmt}"), data)
    return written


@dataclass(frozen=True)
class DrawnFigure:
    """A drawn figure with what a report prints around it.

    Attributes
    ----------
    name
        File stem chosen by dresskit (``"kaplan_meier"``), never taken from the data.
    title
        Figure title for the report.
    caption
        Legend text for the report: what is drawn, n, and anything left out and why.
    figure
        The matplotlib figure (not registered with pyplot).
    """

    name: str
    title: str
    caption: str
    figure: Figure

    def render(self, formats: Sequence[str] = DEFAULT_FORMATS) -> dict[str, bytes]:
        """Return the file contents per format (see :func:`render_figure`)."""
        return render_figure(self.figure, formats)

    def save(self, folder: Path, formats: Sequence[str] = DEFAULT_FORMATS) -> dict[str, Path]:
        """Write ``folder/<name>.<format>`` per format (see :func:`save_figure`)."""
        return save_figure(self.figure, folder / self.name, formats)
