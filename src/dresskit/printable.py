"""Text from data made safe to show: no control characters, escape sequences or bidi overrides.

A drug name, an episode id or an audit actor comes from a file, a database or a command
line, and is shown on a terminal, in an HTML or PDF report and in figures. Shown as it is,
such text can clear the screen or rewrite earlier lines (ANSI escape sequences), hide or
reorder what surrounds it (bidirectional overrides, the "Trojan Source" attack), or make a
renderer fail (C0 controls are not allowed in XML). :func:`printable` removes all of them and
keeps everything else, so a name is shown as written, minus what cannot be shown.

This module imports nothing from dresskit's layered packages: every layer may use it.

References
----------
.. [1] ECMA-48, Control Functions for Coded Character Sets, 5th ed., 1991, §5 (C0 and C1
   sets, CSI, OSC and other control strings).
.. [2] CWE-150: Improper Neutralization of Escape, Meta, or Control Sequences.
.. [3] Boucher N, Anderson R. Trojan Source: Invisible Vulnerabilities. USENIX Security 2023
   (CVE-2021-42574); Unicode Standard Annex #9, §2 (explicit directional formatting
   characters).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["BIDI_CONTROLS", "printable"]

#: Explicit directional formatting characters (UAX #9 §2) and the implicit marks.
BIDI_CONTROLS: Final = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

#: Escape sequences, whole (ECMA-48): removing only ESC would leave "[2J" behind.
_ESCAPE_SEQUENCES: Final = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                 # CSI ... final byte
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])         # OSC, DCS, SOS, PM, APC ...
      [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)            # ... up to BEL or the string terminator
    | \x1b[ -/]*[0-~]?                                # any other escape sequence, or a lone ESC
    """,
    re.VERBOSE,
)
#: Line breaks: kept as a newline in multi-line text, a space otherwise.
_LINE_BREAKS: Final = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
#: Every other C0 control, DEL, C1 control and bidi control (a tab becomes a space first).
_CONTROLS: Final = re.compile(f"[\x00-\x08\x0e-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


def printable(text: str, *, multiline: bool = False) -> str:
    r"""Return ``text`` without control characters, escape sequences or bidi overrides.

    Parameters
    ----------
    text
        Text from data (a file, a database, the command line).
    multiline
        Keep line breaks as ``"\n"`` (a cell meant to span lines); otherwise each line break
        becomes a space, so one value stays on one line.

    Returns
    -------
    str
        ``text`` with every ANSI/ECMA-48 escape sequence removed whole (``"\x1b[2J"``
        leaves nothing), a tab replaced by a space, every other C0 control, DEL and C1
        control removed, and the Unicode bidirectional formatting characters
        (:data:`BIDI_CONTROLS`) removed. Everything else, markup characters included, is
        kept: escaping for a particular output (rich markup, HTML) is that output's job.

    References
    ----------
    .. [1] ECMA-48 §5; CWE-150; Unicode Standard Annex #9 §2 (see the module docstring).

    Examples
    --------
    >>> printable("carba\x1b[2Jmazepine")
    'carbamazepine'
    >>> printable("abc\u202edef")
    'abcdef'
    >>> printable("two\nlines"), printable("two\nlines", multiline=True)
    ('two lines', 'two\nlines')
    >>> printable("[bold]x[/] $x$")
    '[bold]x[/] $x$'
    """
    text = _ESCAPE_SEQUENCES.sub("", text)
    text = _LINE_BREAKS.sub("\n" if multiline else " ", text)
    return _CONTROLS.sub("", text.replace("\t", " "))
