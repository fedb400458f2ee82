"""The small valid test bundle (tests.bundle.fixture) as real CSV files and bytes, with changes."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from dresskit.bundle import Bundle, read_tables, validate_tables
from tests.bundle.fixture import ROWS

#: The day these tests validate on (a fixed "today", so that the suite does not age).
TODAY = date(2026, 11, 29)

Rows = list[dict[str, str | None]]


def rows(table: str) -> Rows:
    """A copy of the fixture's rows of ``table``."""
    return [dict(row) for row in ROWS[table]]


def write_folder(folder: Path, **changes: Rows) -> Path:
    """Write the fixture bundle as CSV files in ``folder``, with whole tables replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in {**ROWS, **changes}.items():
        columns = list(dict.fromkeys([*ROWS[name][0], *(records[0] if records else {})]))
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for record in records:
                writer.writerow(
                    {key: "" if value is None else value for key, value in record.items()}
                )
    return folder


def changed(table: str, index: int, **values: str | None) -> dict[str, Rows]:
    """The fixture's ``table`` with cells of one row changed (or a row added at the end)."""
    records = rows(table)
    if index == len(records):
        records.append(dict(records[-1]))
    records[index].update(values)
    return {table: records}


def read(folder: Path, today: date = TODAY) -> Bundle:
    """Read and validate a bundle folder as of ``today`` (default :data:`TODAY`)."""
    return validate_tables(read_tables(folder), source=str(folder), today=today)


def fixture_csv(name: str, changes: dict[tuple[int, str], str] | None = None) -> bytes:
    """One fixture table as CSV bytes; ``changes`` maps (1-based data row, column) to text."""
    records = rows(name)
    for (row, column), value in (changes or {}).items():
        records[row - 1][column] = value
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(records[0].keys())
    for record in records:
        writer.writerow(["" if value is None else value for value in record.values()])
    return buffer.getvalue().encode("utf-8")
