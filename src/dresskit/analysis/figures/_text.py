r"""Text from data drawn as written: never matplotlib math text, never a control character.

matplotlib reads a text with an even number of ``$`` as math text (``"$x$"`` is drawn as an
italic x, ``"$\undefined$"`` makes drawing fail) and, with ``text.usetex``, hands it to TeX.
A drug name or an episode id is data: every text a figure draws from data goes through
:func:`literal` (no control characters) and every text artist of a figure's axes gets
``parse_math=False`` and ``usetex=False`` (:func:`keep_literal`).

References
----------
.. [1] matplotlib documentation, "Writing mathematical expressions" (an even number of
   unescaped dollar signs starts math text) and ``matplotlib.text.Text.set_parse_math``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from dresskit.printable import printable

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

__all__ = ["LITERAL", "keep_literal", "literal"]

#: Text properties that draw a text as written (for ``set_yticks(..., **LITERAL)`` and such).
LITERAL: Final[dict[str, Any]] = {"parse_math": False, "usetex": False}


def literal(text: str) -> str:
    """Return ``text`` from data without control characters, to be drawn as written."""
    return printable(text)


def keep_literal(*axes: Axes) -> None:
    """Draw every text of ``axes`` as written: titles, labels, legends, annotations, texts.

    Tick labels are left to their formatter (numbers), except those set from data, which
    the figure functions set with :data:`LITERAL`.
    """
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    def visit(artist: Artist) -> None:
        if isinstance(artist, Axis):
            visit(artist.label)
            return
        if isinstance(artist, Text):
            artist.set_parse_math(False)
            artist.set_usetex(False)
        for child in artist.get_children():
            visit(child)

    for ax in axes:
        visit(ax)
