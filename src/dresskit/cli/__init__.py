"""The ``dresskit`` command line: commands only translate between the shell and the library.

One module per group of commands (:mod:`.scoring`, :mod:`.courses`, :mod:`.reports`,
:mod:`.database`, :mod:`.exchange`, :mod:`.episodes`), all registered on the one Typer
application of :mod:`.common`.

Exit codes: 0 success; 1 a domain error (bad input, unknown instrument), printed as one red
line on stderr followed by the details; 2 a usage error (unknown option), from Typer/Click.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dresskit import __version__
from dresskit.cli import courses, database, episodes, exchange, reports, scoring
from dresskit.cli.common import app, stdout

__all__ = ["app", "main"]

# The command modules register their commands on ``app`` when imported.
_COMMAND_MODULES = (courses, database, episodes, exchange, reports, scoring)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"dresskit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """dresskit: explained clinical scores for DRESS and severe drug eruptions."""


def main() -> None:
    """Entry point of the ``dresskit`` console script."""
    app()
