"""Read an .xlsx workbook's sheets as text tables, judging every cell by its type.

A real date cell at midnight becomes ``YYYY-MM-DD``, a time cell ``HH:MM``, a number plain
decimals; a formula (its cached value is never trusted), an error value, a boolean, a date
with a time of day, or a number in a date column (an Excel serial) is refused, naming the
sheet and cell. The workbook is a zip archive, checked by :mod:`dresskit.bundle.archive`
before openpyxl opens it.

References
----------
ECMA-376 Office Open XML, Part 1, 18.3.1.4 (cell types ``b``, ``e``, ``n``, ``s``, ``str``)
and 18.3.1.40 (``f``, the formula whose cached value is not trusted).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl

from dresskit.bundle.archive import ReadLimits, open_archive, read_member
from dresskit.bundle.csv_text import _capped, _file_error
from dresskit.bundle.schema import TABLES
from dresskit.errors import InputError, InputErrors

__all__ = ["read_workbook"]


def _number_text(value: float) -> str | None:
    """Return a number as plain decimal text (never an exponent), or None if not finite."""
    if not math.isfinite(value):
        return None
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


_FORMULA_RULE: Final = (
    "a value, not a formula (the value a formula last computed is not trusted: copy the "
    "column and paste it as values)"
)


def _xlsx_cell(cell: Any, kind: str) -> tuple[str | None, str | None]:
    """One workbook cell as text for a column of ``kind``: (text, None) or (None, refusal)."""
    value = cell.value
    data_type = getattr(cell, "data_type", None)
    if value is None:
        return None, None
    if data_type == "f":
        return None, _FORMULA_RULE
    if data_type == "e":
        return None, "a value (this cell holds a spreadsheet error)"
    if isinstance(value, bool):
        return None, "text or a number (a TRUE/FALSE cell is not read: write the value as text)"
    if isinstance(value, datetime):
        if kind != "date":
            return None, _not_a_date(kind)
        if value.time() != time():
            return None, "a date without a time of day (a date cell, or text YYYY-MM-DD)"
        return value.date().isoformat(), None
    if isinstance(value, date):
        return (value.isoformat(), None) if kind == "date" else (None, _not_a_date(kind))
    if isinstance(value, time):
        if kind != "time":
            return None, "a value of this column (a time cell is read only in a time column)"
        if value.second or value.microsecond:
            return None, "a time HH:MM without seconds"
        return value.strftime("%H:%M"), None
    if isinstance(value, int | float):
        if kind == "date":
            return None, (
                "a date cell or text YYYY-MM-DD (a number in a date column may be an Excel "
                "serial day number, and is not read as a date)"
            )
        if kind == "time":
            return None, "a time cell or text HH:MM (a number is not read as a time)"
        text = _number_text(float(value)) if isinstance(value, float) else str(value)
        return (text, None) if text is not None else (None, "a finite number")
    if isinstance(value, str):
        return value, None
    return None, f"a text, number or date cell (this cell holds a {type(value).__name__})"


def _not_a_date(kind: str) -> str:
    return (
        "text (this cell is a date or time, which is read only in a date or time column: the "
        "spreadsheet may have turned what was typed into a date; format the column as text)"
        if kind != "time"
        else "a time cell or text HH:MM (this cell is a date)"
    )


def _cell_value_shown(cell: Any) -> object:
    value = cell.value
    text = getattr(value, "text", None)  # an array formula keeps its text here
    return text if isinstance(text, str) else value


def _sheet_table(
    sheet: Any, source: str, problems: list[InputError]
) -> tuple[list[str], list[list[str | None]]] | None:
    """Read one worksheet: (header, rows of text cells); refusals go to ``problems``.

    Data row ``n`` is sheet row ``n + 1`` (the header is row 1), the numbering validation
    uses; trailing empty rows are not data, an empty row inside the table is refused.
    """
    from openpyxl.utils import get_column_letter

    title = sheet.title
    kinds = {column.name: column.kind for column in TABLES.get(title, ())}
    rows = sheet.iter_rows()
    first = next(rows, None)
    if first is None:
        return None

    def where(reference: str) -> str:
        return f"{source}:{title}!{reference}"

    def refuse(cell: Any, field: str, row: int | None, expected: str) -> None:
        shown = _cell_value_shown(cell)
        problems.append(InputError(field, shown, expected, source=where(cell.coordinate), row=row))

    header: list[str] = []
    for cell in first:
        value, refusal = _xlsx_cell(cell, "text")
        if refusal is not None:
            refuse(cell, "<header>", None, refusal)
        header.append(value if value is not None else "")
    while header and header[-1] == "":
        header.pop()
    if not header:
        return None
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        reference = where(f"{get_column_letter(position)}1")
        if name == "":
            problems.append(
                InputError(
                    "<header>",
                    f"column {position}",
                    "a name for every column of the header row",
                    source=reference,
                )
            )
        elif name in seen:
            problems.append(
                InputError(
                    "<header>", name, "each column name once in the header", source=reference
                )
            )
        seen.add(name)
    if len(seen) != len(header) or "" in header:
        return None  # the header is refused: its rows cannot be named by column
    width = len(header)
    body: list[list[str | None]] = []
    empty_rows: list[int] = []
    for number, cells in enumerate(rows, start=1):
        values: list[str | None] = [None] * width
        for position, cell in enumerate(cells):
            if cell.value is None:
                continue
            if position >= width:
                refuse(cell, "<cell>", number, "no value outside the header's named columns")
                continue
            name = header[position]
            text, refusal = _xlsx_cell(cell, kinds.get(name, "text"))
            if refusal is not None:
                refuse(cell, name, number, refusal)
            values[position] = text
        if all(value is None for value in values) and not any(
            cell.value is not None for cell in cells
        ):
            empty_rows.append(number)
        body.append(values)
    last = len(body)
    while last and last in empty_rows and all(v is None for v in body[last - 1]):
        last -= 1
    for number in empty_rows:
        if number <= last:
            problems.append(
                InputError(
                    "<row>",
                    "an empty row",
                    "a row of data (an empty row inside the table is not read: remove it)",
                    source=where(f"A{number + 1}"),
                    row=number,
                )
            )
    return header, body[:last]


def read_workbook(path: Path, limits: ReadLimits) -> dict[str, pl.DataFrame]:
    """Read every worksheet as text, after checking the workbook as an archive."""
    source = str(path)
    with open_archive(path, limits, what="an .xlsx workbook (a zip container)") as archive:
        budget = limits.max_input_bytes
        for info in archive.infolist():
            if not info.is_dir():  # every member openpyxl may read: sizes and CRC checked
                budget -= len(read_member(archive, info, source, limits, budget))
    from openpyxl import load_workbook  # imported here: only workbooks need it

    try:
        # data_only=False: a formula cell shows as a formula (type "f"), never as the value
        # a spreadsheet program last cached for it.
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise _file_error(source, source, f"an .xlsx workbook ({type(exc).__name__})") from None
    tables = {}
    problems: list[InputError] = []
    try:
        for sheet in workbook.worksheets:
            table = _sheet_table(sheet, source, problems)
            if table is not None:
                header, body = table
                tables[sheet.title] = pl.DataFrame(
                    body, schema=dict.fromkeys(header, pl.Utf8), orient="row"
                )
    except Exception as exc:  # a damaged sheet (XML that does not parse)
        raise _file_error(source, source, f"an .xlsx workbook ({type(exc).__name__})") from None
    finally:
        workbook.close()
    if problems:
        raise InputErrors(_capped(problems, source))
    return tables
