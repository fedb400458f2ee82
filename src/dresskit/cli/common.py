"""What every command shares: the Typer application, the consoles and error reporting.

Exit codes: 0 success; 1 a domain error (bad input, unknown instrument), printed as one red
line on stderr followed by the details; 2 a usage error (unknown option), from Typer/Click.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from dresskit.errors import DresskitError, InputErrors

app = typer.Typer(
    help="dresskit: explained clinical scores for DRESS and severe drug eruptions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

stdout = Console(highlight=False, soft_wrap=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a DresskitError into a red one-line message plus details, exit code 1."""
    try:
        yield
    except InputErrors as errors:
        count = len(errors.errors)
        stderr.print(f"[bold red]error:[/] {count} problem{'s' if count > 1 else ''} in the input")
        for error in errors.errors:
            stderr.print(f"  - {error.message}", markup=False)
        raise typer.Exit(1) from None
    except DresskitError as error:
        lines = str(error).splitlines() or [type(error).__name__]
        stderr.print(f"[bold red]error:[/] {lines[0]}", markup=True)
        for line in lines[1:]:
            stderr.print(f"  {line}", markup=False)
        raise typer.Exit(1) from None


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to standard output."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL or SQLite file (default: DRESSKIT_DATABASE_URL, else the embedded "
        "SQLite registry in the user's data folder).",
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Who does this, for the audit trail (default: DRESSKIT_USER)."),
]


def actor_name(user: str | None) -> str:
    """Who does this, for the audit trail: ``--user``, else DRESSKIT_USER, else the login."""
    import getpass
    import os

    return user or os.environ.get("DRESSKIT_USER") or getpass.getuser()
