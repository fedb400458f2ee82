"""What every command shares: the Typer application, the consoles and error reporting.

Exit codes: 0 success; 1 a domain error (bad input, a file that cannot be read), printed as
one red line on stderr followed by the details; 2 a usage error (unknown option or command, an
option value outside its choices, a missing or surplus argument), from Typer/Click or
:func:`usage_error`.
Every command runs inside :func:`guard`: no failure ends in a traceback (a file-system error
is one line naming the path, Ctrl-C is "interrupted" with exit code 130, anything else is
reported as a bug in one line). Text from data is printed through :func:`safe_text`.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup
from typer.exceptions import TyperException

from dresskit.errors import DresskitError, InputErrors, InputWarning
from dresskit.printable import printable

if TYPE_CHECKING:
    from rich.progress import Progress

    from dresskit.bundle import ReadLimits


class _GuardedGroup(TyperGroup):
    """The application's command group: every command runs inside :func:`guard`.

    Guarding here, where the command runs, also covers commands run by a test's CliRunner,
    and sees a KeyboardInterrupt before Typer turns it into a silent exit 130.
    """

    def invoke(self, ctx: Any) -> Any:  # ctx: typer's vendored click.Context
        with guard():
            return super().invoke(ctx)


# No emoji codes: a drug named ":pill:" is printed as written (markup is escaped by safe_text).
stdout = Console(highlight=False, soft_wrap=False, emoji=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def safe_text(value: object, *, multiline: bool = False) -> str:
    r"""Return text from data ready for a rich console: printable, with markup escaped.

    Control characters, escape sequences and bidi overrides are removed
    (:func:`dresskit.printable.printable`) and rich markup is escaped, so ``"[/]"``,
    ``"[bold red]x"`` or ``"\x1b[2J"`` in a drug name, an id or an actor is shown as
    written (minus the control characters), never interpreted. Use it for every value that
    comes from a file, a database or the command line, in printed lines and table cells.

    References
    ----------
    .. [1] CWE-150: Improper Neutralization of Escape, Meta, or Control Sequences.
    .. [2] rich documentation, "Console Markup" (escaping with ``rich.markup.escape``).
    """
    from rich.markup import escape

    return escape(printable(str(value), multiline=multiline))


def print_warnings(warnings: Sequence[InputWarning], *, shown: int = 50) -> None:
    """Print values accepted with a warning: a yellow count, then one line each (up to ``shown``).

    They go to standard error, like errors: standard output stays the command's result.
    """
    if not warnings:
        return
    count = len(warnings)
    stderr.print(
        f"[yellow]warning:[/] {count} value{'s' if count > 1 else ''} accepted but worth a "
        "second look (implausible but possible, or read in another form)"
    )
    for warning in warnings[:shown]:
        stderr.print(f"  - {safe_text(warning.message)}")
    if count > shown:
        stderr.print(f"  ... and {count - shown} more")


def print_error(error: DresskitError) -> None:
    """Print a domain error: one red line, then its details (every problem of InputErrors)."""
    if isinstance(error, InputErrors):
        count = len(error.errors)
        stderr.print(f"[bold red]error:[/] {count} problem{'s' if count > 1 else ''} in the input")
        for each in error.errors:
            stderr.print(f"  - {safe_text(each.message)}")
        return
    lines = str(error).splitlines() or [type(error).__name__]
    stderr.print(f"[bold red]error:[/] {safe_text(lines[0])}")
    for line in lines[1:]:
        stderr.print(f"  {safe_text(line)}")


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a DresskitError (or a database failure) into a red one-line message, exit code 1."""
    try:
        yield
    except DresskitError as error:
        print_error(error)
        raise typer.Exit(1) from None
    except Exception as error:
        # A database failure the registry did not translate itself (a driver cursor used
        # directly): one line too. Imported here, on failure only: it loads SQLAlchemy.
        from dresskit.registry.db import database_failure

        failure = database_failure(error)
        if failure is None:
            raise
        print_error(failure)
        raise typer.Exit(1) from None


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to standard output (dates as ISO text)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_value) + "\n")


def _json_value(value: object) -> object:
    """Dates and times as ISO 8601 text; anything else a JSON encoder cannot write, as text."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def usage_error(message: str, *, option: str | None = None) -> NoReturn:
    """Refuse the command line as Click does: ``Error: ...`` after the usage line, exit 2.

    For what the options' declarations cannot say (one of two arguments, an option that
    needs another); values outside a fixed list are refused by ``click.Choice`` already.
    """
    raise typer.BadParameter(message, param_hint=None if option is None else f"'{option}'")


def progress(*, show: bool = True) -> Progress | nullcontext[None]:
    """Return a progress display on standard error, only for a person at a terminal.

    ``show=False`` (``--json``) and a standard error that is not a terminal (a pipe, a log
    file, a test) get none: machine output and logs stay free of bars and escape codes.
    Steps that can take more than a second use it: reading and validating a bundle,
    importing, exporting, building a report.

    Returns
    -------
    rich.progress.Progress or contextlib.nullcontext
        Enter it with ``with``; :func:`step` reports on either.
    """
    if not (show and stderr.is_terminal):
        return nullcontext()
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


def step(
    display: Progress | None, description: str, done: int = 0, total: int | None = None
) -> None:
    """Show ``description`` (and ``done`` of ``total``) on ``display``; nothing without one."""
    if display is None:
        return
    count = "" if total is None else f"{done}/{total}"  # an unknown total: the spinner only
    if not display.tasks:
        display.add_task(description, total=total, completed=done, count=count)
        return
    task = display.tasks[0].id
    display.update(task, description=description, completed=done, total=total, count=count)


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL or SQLite file (default: DRESSKIT_DATABASE_URL, else the embedded "
        "SQLite registry in the user's data folder).",
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        metavar="NAME",
        help="Who does this, for the audit trail (default: DRESSKIT_USER).",
    ),
]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON on standard output.")
]

# Input limits (docs/data-format.md, "Limits"; docs/security.md): raised for a larger trusted
# input, never switched off.
MaxInputBytesOption = Annotated[
    int | None,
    typer.Option(
        "--max-input-bytes",
        min=1,
        metavar="BYTES",
        help="Largest input accepted, in bytes: a bundle's files together once uncompressed "
        "(default 2 GiB), a FHIR JSON file (256 MiB), a score input (1 MiB).",
    ),
]
MaxArchiveMembersOption = Annotated[
    int | None,
    typer.Option(
        "--max-archive-members",
        min=1,
        metavar="N",
        help="Most members a .zip bundle or .xlsx workbook may hold (default 1000).",
    ),
]
MaxCompressionRatioOption = Annotated[
    float | None,
    typer.Option(
        "--max-compression-ratio",
        min=1.0,
        metavar="RATIO",
        help="Highest uncompressed/compressed size ratio of a .zip or .xlsx member larger "
        "than 1 MiB (default 100).",
    ),
]


def read_limits(
    max_input_bytes: int | None = None,
    max_archive_members: int | None = None,
    max_compression_ratio: float | None = None,
) -> ReadLimits:
    """Return the bundle reading limits: the defaults, raised by the options given."""
    from dresskit.bundle import ReadLimits  # imported here: ``score`` needs no bundle code

    return ReadLimits.raised(
        max_input_bytes=max_input_bytes,
        max_archive_members=max_archive_members,
        max_compression_ratio=max_compression_ratio,
    )


def actor_name(user: str | None) -> str:
    """Who does this, for the audit trail: ``--user``, else DRESSKIT_USER, else the login."""
    import getpass
    import os

    return user or os.environ.get("DRESSKIT_USER") or getpass.getuser()


@contextmanager
def guard() -> Iterator[None]:
    """Turn any failure into one line on stderr and an exit code; never a traceback.

    - :class:`~dresskit.errors.DresskitError`: one red line plus the details, exit 1;
    - :class:`OSError` (disk full, permission denied, read-only file system): one line
      naming the path and the reason, exit 1;
    - :class:`KeyboardInterrupt` (Ctrl-C): ``interrupted``, exit 130 (128 + SIGINT);
    - any other exception is a bug: ``internal error (a bug in dresskit): <type>:
      <message>`` and how to see the traceback (``DRESSKIT_DEBUG=1``), exit 1.

    Usage errors (exit 2), explicit exits and a closed pipe are left to Click.

    References
    ----------
    .. [1] httpx ``_main.py`` and the house style (one top-level handler, documented codes).
    .. [2] The Open Group, Shell Command Language §2.8.2 (exit status 128 + signal number).
    """
    try:
        yield
    except (TyperException, typer.Exit, typer.Abort):
        raise  # usage errors (exit 2), explicit exits: Typer's own handling
    except DresskitError as error:
        print_error(error)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        stderr.print("[bold red]interrupted[/]")
        raise typer.Exit(130) from None
    except OSError as error:
        if error.errno == errno.EPIPE or _debugging():
            raise  # Click quietens a closed pipe (``dresskit ... | head``)
        path = error.filename if error.filename is not None else "input/output"
        reason = error.strerror or str(error) or type(error).__name__
        stderr.print(f"[bold red]error:[/] {safe_text(path)}: {safe_text(reason)}")
        raise typer.Exit(1) from None
    except Exception as error:
        exit_code = _click_exit_code(error)
        if exit_code is not None:
            error.show()  # type: ignore[attr-defined]  # "Error: ..." as Click prints it
            raise typer.Exit(exit_code) from None
        if _debugging():
            raise
        from dresskit.registry.db import database_failure  # loads SQLAlchemy: on failure only

        failure = database_failure(error)
        if failure is not None:  # a database failure met outside a command's own handler
            print_error(failure)
            raise typer.Exit(1) from None
        stderr.print(
            "[bold red]internal error (a bug in dresskit):[/] "
            f"{safe_text(type(error).__name__)}: {safe_text(error)}"
        )
        stderr.print("  run again with DRESSKIT_DEBUG=1 to see the traceback, and report it")
        raise typer.Exit(1) from None


def _click_exit_code(error: Exception) -> int | None:
    """Return the exit code of a usage error raised with the ``click`` package, else None.

    Typer vendors its own Click; a ``click.UsageError`` raised by a command is not one of
    Typer's and would otherwise end in a traceback. It is shown as Click shows it.
    """
    if not type(error).__module__.startswith("click."):
        return None
    exit_code = getattr(error, "exit_code", None)
    return exit_code if isinstance(exit_code, int) and hasattr(error, "show") else None


def _debugging() -> bool:
    import os

    return os.environ.get("DRESSKIT_DEBUG", "") not in ("", "0")


app = typer.Typer(
    help="dresskit: explained clinical scores for DRESS and severe drug eruptions.",
    cls=_GuardedGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
