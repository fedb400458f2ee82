"""Read bundle files: a folder of CSV, a .zip of it, or an .xlsx workbook.

Every cell is read as text so that validation (:func:`dresskit.bundle.validation.validate_tables`)
sees exactly what the file holds and can name the file, row, column and raw value of any
problem. Nothing is loaded from an invalid bundle.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal

import polars as pl

from dresskit.bundle.schema import TABLES
from dresskit.bundle.validation import Bundle, validate_tables
from dresskit.course.codes import CODE_ENUM, UNIT_ENUM
from dresskit.errors import InputError, InputErrors

__all__ = ["read_bundle", "read_tables", "typed_schema"]

BundleFormat = Literal["folder", "zip", "xlsx"]


_READ_TYPES: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "time": pl.Time(),
    "number": pl.Float64(),
    "integer": pl.Int64(),
}


def typed_schema(stem: str, header: list[str]) -> dict[str, pl.DataType] | None:
    """Column types a clean file of this table can be read with directly (fast path).

    Dates and numbers are parsed; code columns become enumerations of their accepted values
    (and observation units of every accepted unit), which are smaller and faster to compare.
    A cell outside them makes the typed read fail, and the file is then read as text.
    """
    columns = {column.name: column for column in TABLES.get(stem, ())}
    if not columns:
        return None
    schema: dict[str, pl.DataType] = {}
    for name in header:
        column = columns.get(name)
        if column is None:
            schema[name] = pl.Utf8()
        elif stem == "observations" and name == "code":
            schema[name] = CODE_ENUM
        elif stem == "observations" and name == "unit":
            schema[name] = UNIT_ENUM
        elif column.kind == "code" and column.codes:
            schema[name] = pl.Enum(column.codes)
        else:
            schema[name] = _READ_TYPES.get(column.kind, pl.Utf8())
    return schema


def _read_csv(data: bytes | Path, source: str) -> pl.DataFrame:
    """Read one CSV: typed when every cell parses, else as text.

    A clean file is parsed while reading (fast); a file with any cell that does not parse is
    read as text instead, so that validation can name every bad cell.
    """
    stem = Path(source.rsplit(":", 1)[-1]).stem
    try:
        header = pl.read_csv(data, n_rows=0, infer_schema=False).columns
        schema = typed_schema(stem, header)
        if schema is not None:
            try:
                return pl.read_csv(data, schema=schema, null_values=[""])
            except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
                pass  # a cell did not parse: fall back to text and let validation explain
        return pl.read_csv(data, infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, UnicodeDecodeError) as exc:
        raise InputErrors(
            [
                InputError(
                    "<file>", source, f"a UTF-8 CSV file with a header row ({exc})", source=source
                )
            ]
        ) from None


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> dict[str, pl.DataFrame]:
    from openpyxl import load_workbook  # imported here: only workbooks need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputErrors(
            [
                InputError(
                    "<file>",
                    str(path),
                    f"an .xlsx workbook ({type(exc).__name__})",
                    source=str(path),
                )
            ]
        ) from None
    tables = {}
    try:
        for sheet in workbook.worksheets:
            rows = [[_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
            if not rows:
                continue
            header = [str(name) if name is not None else "" for name in rows[0]]
            body = [
                row + [None] * (len(header) - len(row))
                for row in rows[1:]
                if any(cell is not None for cell in row)
            ]
            tables[sheet.title] = pl.DataFrame(
                body, schema=dict.fromkeys(header, pl.Utf8), orient="row"
            )
    finally:
        workbook.close()
    return tables


def read_tables(path: str | Path) -> dict[str, pl.DataFrame]:
    """Read a bundle's tables as text, without validating them.

    Raises
    ------
    InputErrors
        When the path does not exist, is not a bundle, or a file cannot be read.
    """
    location = Path(path)
    if not location.exists():
        raise InputErrors(
            [
                InputError(
                    "<bundle>",
                    str(path),
                    "an existing folder, .zip or .xlsx bundle",
                    source=str(path),
                )
            ]
        )
    if location.is_dir():
        files = sorted(location.glob("*.csv"))
        if not files:
            raise InputErrors(
                [
                    InputError(
                        "<bundle>",
                        str(path),
                        "a folder holding the bundle's .csv files",
                        source=str(path),
                    )
                ]
            )
        return {file.stem: _read_csv(file, str(file)) for file in files}
    if location.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(location)
        except zipfile.BadZipFile:
            raise InputErrors(
                [InputError("<bundle>", str(path), "a readable .zip archive", source=str(path))]
            ) from None
        with archive:
            members = [m for m in archive.namelist() if m.endswith(".csv") and "__MACOSX" not in m]
            if not members:
                raise InputErrors(
                    [
                        InputError(
                            "<bundle>",
                            str(path),
                            "a .zip holding the bundle's .csv files",
                            source=str(path),
                        )
                    ]
                )
            return {
                Path(member).stem: _read_csv(archive.read(member), f"{path}:{member}")
                for member in members
            }
    if location.suffix.lower() == ".xlsx":
        return _read_xlsx(location)
    raise InputErrors(
        [
            InputError(
                "<bundle>",
                str(path),
                "a folder of .csv files, a .zip of them, or an .xlsx workbook (a single table "
                "file is not a bundle: give its folder)",
                source=str(path),
            )
        ]
    )


def read_bundle(path: str | Path) -> Bundle:
    """Read and validate a bundle (folder, .zip or .xlsx).

    Raises
    ------
    InputErrors
        Every problem found; nothing is loaded from an invalid bundle.
    """
    return validate_tables(read_tables(path), source=str(path))
