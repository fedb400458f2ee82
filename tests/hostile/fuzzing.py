"""What every fuzz test of an entry point checks, and hostile text to feed them.

Each entry point (score JSON, bundle folder/.zip/.xlsx, FHIR, REDCap) is driven through the
real command line in-process. Whatever the input: the exit code is 0, 1 or 2; no exception
escapes (so no traceback is printed); and when the command fails, the registry holds no row
and no output file or folder was left behind.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from dresskit.bundle.schema import DATA_TABLES as BUNDLE_DATA_TABLES
from dresskit.cli import app

runner = CliRunner()

#: Every table the registry keeps data in (the audit log included).
DATA_TABLES = (*BUNDLE_DATA_TABLES, "audit_log")

#: Characters and fragments that break naive readers, writers, terminals and spreadsheets.
HOSTILE_FRAGMENTS = (
    "",
    " ",
    "\t",
    "\r\n",
    "\n",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "\ufeff",
    '"',
    "'",
    ",",
    ";",
    "[/]",
    "[bold red]",
    "$x^2$",
    '=HYPERLINK("http://x")',
    "+1",
    "-1",
    "@SUM(A1)",
    "../../etc/passwd",
    "/abs",
    "C:\\x",
    "NaN",
    "inf",
    "-0",
    "1e309",
    "9" * 40,
    "0.000000001",
    "1,5",
    "12/07/2020",
    "2020-02-30",
    "2020-13-01",
    "1899-12-31",
    "2999-01-01",
    "Jane Doe",
    "日本語",
    "é" * 3,
    "\U0001f600",
    "x" * 300,
)

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_FRAGMENTS),
    st.text(max_size=20),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE_FRAGMENTS), st.text(max_size=8)),
)


def run(arguments: list[str], stdin: str | None = None) -> Result:
    """Run the command line in-process and check it ended cleanly, whatever happened."""
    result = runner.invoke(app, arguments, input=stdin, catch_exceptions=True)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output, result.output
    # The command line's guard turns a bug into one line and exit 1: a bug is still a failure.
    assert "internal error (a bug in dresskit)" not in result.output, result.output
    return result


def new_registry(folder: Path) -> str:
    """Create an initialised SQLite registry in ``folder``; return its URL."""
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    result = run(["db", "init", "--db", url])
    assert result.exit_code == 0, result.output
    return url


def registry_rows(url: str) -> int:
    """Return how many rows the registry's data tables hold together."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names())
            return sum(
                int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
                for name in DATA_TABLES
                if name in names
            )
    finally:
        engine.dispose()


def leftovers(folder: Path, before: set[str]) -> set[str]:
    """Names in ``folder`` that were not there before (outputs or temporary siblings)."""
    return {path.name for path in folder.iterdir()} - before
