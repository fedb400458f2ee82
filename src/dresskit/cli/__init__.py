"""The ``dresskit`` command line: commands only translate between the shell and the library.

One module per group of commands (:mod:`.scoring`, :mod:`.courses`, :mod:`.reports`,
:mod:`.database`, :mod:`.exchange`, :mod:`.episodes`), all registered on the one Typer
application of :mod:`.common`.

Exit codes: 0 success; 1 a domain error (bad input, a file that cannot be read or written),
printed as one red line on stderr followed by the details; 2 a usage error (an unknown
command or option, a value outside an option's choices such as an unknown instrument, a
missing or surplus argument, options that exclude each other), from Typer/Click; 130
interrupted (Ctrl-C). An unexpected exception is a bug: one line says so, and
``DRESSKIT_DEBUG=1`` shows its traceback.

Conventions: ``-V``/``--version``; ``--json`` on every command that prints a result (machine
output on stdout, never mixed with progress bars, which go to stderr and only to a terminal);
``-`` reads standard input wherever a file is read. The command modules import their heavy
dependencies (pint, polars, SQLAlchemy, the report stack) inside the commands, so that
``dresskit --help`` and ``dresskit score`` start quickly (``bench/cli_bench.py``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dresskit import __version__
from dresskit.cli import courses, database, episodes, exchange, reports, scoring, web
from dresskit.cli.common import app, guard, stdout

__all__ = ["app", "main"]

# The command modules register their commands on ``app`` when imported.
_COMMAND_MODULES = (courses, database, episodes, exchange, reports, scoring, web)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"dresskit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Show dresskit's version and exit.",
        ),
    ] = False,
) -> None:
    """dresskit: explained clinical scores for DRESS and severe drug eruptions."""


def main() -> None:
    """Entry point of the ``dresskit`` console script: no failure ends in a traceback.

    Every command already runs inside :func:`~dresskit.cli.common.guard`; the same guard
    here also covers what happens before a command starts (reading the options).
    """
    try:
        with guard():
            app()
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
