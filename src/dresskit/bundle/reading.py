"""Read bundle files: a folder of CSV, a .zip of it, or an .xlsx workbook; every cell as text.

Nothing here infers a type: every CSV cell is read as the text written, and every workbook
cell as text made from what the spreadsheet holds (a real date cell at midnight becomes
``YYYY-MM-DD``; a formula, an error value, a boolean, a date with a time of day or a number
in a date column is refused, naming the sheet and cell). Validation
(:func:`dresskit.bundle.validation.validate_tables`) then parses each text by the column's
declared kind and can name the file, row, column and text of any problem.

The files themselves are checked before they are parsed (docs/data-format.md, "Reading"):

* folders: only regular files are read (a symlink, a FIFO or a device named ``*.csv`` is
  refused, so the reader never follows a link or blocks), each within the size limit;
* archives (.zip and .xlsx): :mod:`dresskit.bundle.archive` checks the member count, sizes,
  compression ratio, names, links, encryption and compression method before anything is
  decompressed, and reads members with a running byte cap;
* CSV structure: UTF-8 (a BOM is accepted), a header of distinct non-empty names, and every
  row with as many fields as the header (a short, long or blank row, or an unterminated
  quoted field, is refused with its 1-based data row, the numbering validation uses).

References
----------
RFC 4180, *Common Format and MIME Type for Comma-Separated Values (CSV) Files*, section 2
(each record the same number of fields; quoted fields). RFC 3629 (UTF-8). ECMA-376 Office Open
XML, Part 1, 18.3.1.4 (cell types ``b``, ``e``, ``n``, ``s``, ``str``) and 18.3.1.40 (``f``,
the formula whose cached value is not trusted). CWE-61 (UNIX symbolic link following) and
CWE-400 (uncontrolled resource consumption).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import mmap
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from dresskit.bundle.archive import ReadLimits, open_archive, read_member
from dresskit.bundle.columns import storage_type
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import TABLES
from dresskit.bundle.validation import Bundle, validate_tables
from dresskit.errors import InputError, InputErrors

__all__ = ["ReadLimits", "read_bundle", "read_csv_text", "read_tables", "typed_schema"]

#: Problems of one file's structure (ragged rows, ...) listed before the rest are counted.
_MAX_LISTED: Final = 100
_CSV_RULE: Final = "a UTF-8 CSV file with a header row"


def typed_schema(stem: str, header: list[str]) -> dict[str, pl.DataType] | None:
    """Column types of a valid table (dates, numbers; codes as enumerations), or None.

    Used by the registry to read back its own validated database columns typed. Files are
    never read with it: their cells are read as text and parsed by validation.
    """
    columns = {column.name: column for column in TABLES.get(stem, ())}
    if not columns:
        return None
    return {
        name: storage_type(stem, columns[name]) if name in columns else pl.Utf8() for name in header
    }


def _file_error(source: str, value: object, expected: str) -> InputErrors:
    return InputErrors([InputError("<file>", value, expected, source=source)])


# --- CSV ------------------------------------------------------------------------------------


def _text_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _encoding_error(data: bytes, source: str) -> InputErrors | None:
    """Return the error naming the first byte that is not UTF-8 (line, column), or None."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _file_error(
            source, "a UTF-16 file", "UTF-8 text (save the file as CSV UTF-8; a BOM is accepted)"
        )
    try:
        codecs.decode(data, "utf-8")
    except UnicodeDecodeError as error:
        line, column = _text_position(data, error.start)
        return _file_error(
            source,
            f"byte 0x{data[error.start]:02x} at line {line}, column {column}",
            "UTF-8 text (save the file as CSV UTF-8; other encodings such as Latin-1 or "
            "Windows-1252 are not guessed)",
        )
    return None


def _header(data: bytes, source: str) -> list[str]:
    """Return the header row's names, checked: distinct, none empty, no NUL (UTF-16)."""
    first = data[: 1024**2]
    end = first.find(b"\n")
    line = first if end < 0 else first[: end + 1]
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        error = _encoding_error(data, source)
        raise error or _file_error(source, "the header row", _CSV_RULE) from None
    if "\x00" in text:
        raise _file_error(
            source, "NUL characters in the header", "UTF-8 text (is the file UTF-16?)"
        )
    if not text.strip("\r\n"):
        raise _file_error(source, "an empty first line", f"{_CSV_RULE} on the first line")
    try:
        names = next(csv.reader([text.rstrip("\r\n")], strict=True), [])
    except csv.Error as error:
        raise _file_error(
            source, text.rstrip("\r\n")[:80], f"{_CSV_RULE} (the header row: {error})"
        ) from None
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            problems.append(
                InputError(
                    "<header>",
                    f"column {position}",
                    "a name for every column of the header row",
                    source=source,
                )
            )
        elif name in seen:
            problems.append(
                InputError("<header>", name, "each column name once in the header", source=source)
            )
        seen.add(name)
    if problems:
        raise InputErrors(problems)
    return names


def _byte_counts(data: bytes | mmap.mmap) -> tuple[int, int, int]:
    """Commas, line feeds and double quotes in the raw bytes (one vectorised pass)."""
    raw = pl.Series("byte", np.frombuffer(data, dtype=np.uint8))
    counts = pl.DataFrame({"byte": raw}).select(
        (pl.col("byte") == ord(",")).sum().alias("commas"),
        (pl.col("byte") == ord("\n")).sum().alias("newlines"),
        (pl.col("byte") == ord('"')).sum().alias("quotes"),
    )
    commas, newlines, quotes = counts.row(0)
    return int(commas), int(newlines), int(quotes)


def _rows_complete(data: bytes | mmap.mmap, frame: pl.DataFrame, header: list[str]) -> bool:
    """Whether every record has exactly as many fields as the header.

    polars refuses a row with more fields, but fills a short row's missing fields with null.
    A short row leaves the last column null, so a file whose last column has no null has
    none. Otherwise the separators are counted: outside quoted fields there must be
    ``(columns - 1)`` commas per record and one line feed per record (the last may lack it).
    Commas and line feeds inside quoted fields are those of the parsed cells.
    """
    if frame.height == 0 or frame.get_column(frame.columns[-1]).null_count() == 0:
        return True
    commas, newlines, quotes = _byte_counts(data)
    inside_commas = sum(name.count(",") for name in header)
    inside_newlines = sum(name.count("\n") for name in header)
    if quotes:
        inside = frame.select(
            pl.sum_horizontal(
                [pl.col(c).str.count_matches(",", literal=True).sum() for c in frame.columns]
            ).alias("commas"),
            pl.sum_horizontal(
                [pl.col(c).str.count_matches("\n", literal=True).sum() for c in frame.columns]
            ).alias("newlines"),
        ).row(0)
        inside_commas += int(inside[0])
        inside_newlines += int(inside[1])
    records = frame.height + 1
    ends_with_newline = len(data) > 0 and data[len(data) - 1 :] == b"\n"
    return commas - inside_commas == records * (len(header) - 1) and newlines - inside_newlines == (
        records if ends_with_newline else records - 1
    )


def _structure_errors(data: bytes, width: int, source: str) -> list[InputError]:
    """Every record whose field count differs from the header's, or the unterminated quote.

    The slow path, run only when the fast checks found a problem: Python's csv module
    (RFC 4180 quoting, strict) names each record by its 1-based data row.
    """
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, strict=True)
    problems: list[InputError] = []
    more = 0
    row = 0
    try:
        next(reader)
        while True:
            line = reader.line_num + 1
            row += 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                # A quote never closed runs to the end of the file, or past the csv
                # module's field limit (128 KiB) when the file is large.
                unterminated = any(
                    part in str(error) for part in ("end of data", "EOF", "field limit")
                )
                problems.append(
                    InputError(
                        "<row>",
                        f"line {line}",
                        "a closed quoted field (a '\"' opened in this row is never closed)"
                        if unterminated
                        else f"a well-formed CSV row (RFC 4180 quoting: {error})",
                        source=source,
                        row=row,
                    )
                )
                break
            if len(record) != width:
                if len(problems) >= _MAX_LISTED:
                    more += 1
                    continue
                blank = " (a blank line is not a row: remove it)" if not record else ""
                problems.append(
                    InputError(
                        "<row>",
                        f"{len(record)} field{'s' if len(record) != 1 else ''} (line {line})",
                        f"{width} fields, as many as the header has{blank}",
                        source=source,
                        row=row,
                    )
                )
    except (UnicodeDecodeError, StopIteration, csv.Error):
        return problems
    if more:
        problems.append(
            InputError(
                "<file>",
                f"{more} more row(s) of the wrong length",
                "fixed as well (the first ones are listed above)",
                source=source,
            )
        )
    return problems


def _parse_failure(data: bytes, width: int, source: str, error: Exception) -> InputErrors:
    """Explain why polars could not read a CSV: encoding, structure, or its own message."""
    encoding = _encoding_error(data, source)
    if encoding is not None:
        return encoding
    problems = _structure_errors(data, width, source)
    if problems:
        return InputErrors(problems)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return _file_error(
        source,
        reason,
        f"{_CSV_RULE}, quoted as RFC 4180 says (a field holding a '\"' is quoted and the "
        "'\"' doubled)",
    )


def read_csv_text(
    data: bytes | Path, source: str, *, limits: ReadLimits | None = None
) -> pl.DataFrame:
    """Read one CSV file with every cell as text, its structure checked.

    An empty field is null, or ``""`` when it was quoted; validation treats both as empty.

    Parameters
    ----------
    data
        The file's bytes (an archive member), or the path of a regular file.
    source
        Named in every error (the file, or ``archive.zip:member.csv``).
    limits
        The size cap for a path (default :class:`ReadLimits`).

    Returns
    -------
    polars.DataFrame
        One string column per header name, one row per data row, in file order.

    Raises
    ------
    InputErrors
        Naming ``source``: not a regular file or over the size limit; not UTF-8 (line and
        column of the first bad byte); an empty file; an empty or repeated header name; a
        row with fewer or more fields than the header, a blank line or an unterminated quoted
        field (each with its 1-based data row).

    References
    ----------
    RFC 4180, section 2; RFC 3629.
    """
    if isinstance(data, Path):
        with _mapped(data, source, limits or ReadLimits()) as (mapped, opened):
            return _read_csv(mapped, opened, source)
    return _read_csv(data, data, source)


def _read_csv(buffer: bytes | mmap.mmap, data: bytes | Path, source: str) -> pl.DataFrame:
    if len(buffer) == 0:
        raise _file_error(source, "an empty file", _CSV_RULE)
    header = _header(bytes(buffer[: 1024**2]), source)
    try:
        frame = pl.read_csv(data, infer_schema=False, has_header=True)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as error:
        raise _parse_failure(bytes(buffer), len(header), source, error) from None
    if frame.columns != header:
        raise _parse_failure(bytes(buffer), len(header), source, ValueError("header"))
    if not _rows_complete(buffer, frame, header):
        problems = _structure_errors(bytes(buffer), len(header), source)
        raise InputErrors(
            problems or [InputError("<file>", source, f"{_CSV_RULE} and equal rows", source=source)]
        )
    return frame


@contextmanager
def _mapped(
    path: Path, source: str, limits: ReadLimits
) -> Iterator[tuple[bytes | mmap.mmap, Path]]:
    """Open a regular file without following a link or blocking; map it read-only.

    Yields the mapped bytes and the path polars should read: the opened file itself
    (``/proc/self/fd/N`` where the system has it), so that the file checked is the file read
    even if the name is swapped for a link in between.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise _file_error(source, str(path), f"a readable regular file ({reason})") from None
    try:
        status = os.fstat(descriptor)
        _check_regular(status, source, path, limits)
        opened = Path(f"/proc/self/fd/{descriptor}")
        opened = opened if opened.exists() else path
        if status.st_size == 0:
            yield b"", opened
            return
        with mmap.mmap(descriptor, 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped, opened
    finally:
        os.close(descriptor)


def _check_regular(status: os.stat_result, source: str, path: Path, limits: ReadLimits) -> None:
    if stat.S_ISLNK(status.st_mode):
        raise _file_error(
            source, str(path), "a regular file (this is a symbolic link, which is not followed)"
        )
    if not stat.S_ISREG(status.st_mode):
        raise _file_error(
            source,
            str(path),
            "a regular file (this is a FIFO, device, socket or folder, which is not read)",
        )
    if status.st_size > limits.max_input_bytes:
        raise _file_error(
            source,
            f"{status.st_size} bytes",
            f"a file of at most {limits.max_input_bytes} bytes (raise the limit with "
            "--max-input-bytes)",
        )


# --- XLSX -----------------------------------------------------------------------------------


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


def _read_xlsx(path: Path, limits: ReadLimits) -> dict[str, pl.DataFrame]:
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


def _capped(problems: Sequence[InputError], source: str, cap: int = 1000) -> list[InputError]:
    if len(problems) <= cap:
        return list(problems)
    return [
        *problems[:cap],
        InputError(
            "<bundle>",
            f"{len(problems) - cap} more problem(s)",
            "fixed as well (the first ones are listed above)",
            source=source,
        ),
    ]


# --- bundles --------------------------------------------------------------------------------


def _folder_tables(location: Path, limits: ReadLimits) -> dict[str, pl.DataFrame]:
    files = sorted(location.glob("*.csv"))
    if not files:
        raise InputErrors(
            [
                InputError(
                    "<bundle>",
                    str(location),
                    "a folder holding the bundle's .csv files",
                    source=str(location),
                )
            ]
        )
    total = 0
    problems: list[InputError] = []
    for file in files:
        status = os.lstat(file)
        try:
            _check_regular(status, str(file), file, limits)
        except InputErrors as refused:
            problems.extend(refused.errors)
        total += status.st_size
    if problems:
        raise InputErrors(problems)
    if total > limits.max_input_bytes:
        raise _file_error(
            str(location),
            f"{total} bytes in its .csv files",
            f"a bundle of at most {limits.max_input_bytes} bytes (raise the limit with "
            "--max-input-bytes)",
        )
    return {file.stem: read_csv_text(file, str(file), limits=limits) for file in files}


def _zip_tables(location: Path, limits: ReadLimits) -> dict[str, pl.DataFrame]:
    source = str(location)
    with open_archive(location, limits, what="a readable .zip archive") as archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and info.filename.endswith(".csv")
            and "__MACOSX" not in info.filename
        ]
        if not members:
            raise InputErrors(
                [
                    InputError(
                        "<bundle>",
                        source,
                        "a .zip holding the bundle's .csv files",
                        source=source,
                    )
                ]
            )
        by_table: dict[str, list[str]] = {}
        for info in members:
            by_table.setdefault(Path(info.filename).stem, []).append(info.filename)
        twice = [
            InputError(
                "<member>",
                " and ".join(names),
                f"one {table}.csv in the archive (two folders hold one: keep only the bundle's)",
                source=source,
            )
            for table, names in by_table.items()
            if len(names) > 1
        ]
        if twice:
            raise InputErrors(twice)
        tables = {}
        budget = limits.max_input_bytes
        for info in members:
            data = read_member(archive, info, source, limits, budget)
            budget -= len(data)
            tables[Path(info.filename).stem] = read_csv_text(data, f"{source}:{info.filename}")
        return tables


def read_tables(path: str | Path, *, limits: ReadLimits | None = None) -> dict[str, pl.DataFrame]:
    """Read a bundle's tables as text, without validating them.

    Parameters
    ----------
    path
        A folder of .csv files, a .zip of them, or an .xlsx workbook.
    limits
        Caps on size, archive members and compression ratio (default :class:`ReadLimits`).

    Returns
    -------
    dict of str to polars.DataFrame
        File stem (sheet name) -> every cell as text (null when empty), in file order.

    Raises
    ------
    InputErrors
        When the path does not exist or is not a bundle, a limit is exceeded, an archive
        member is refused (:mod:`dresskit.bundle.archive`), a file is not a regular file, not
        UTF-8 or not well-formed CSV, or a workbook cell is a formula, an error, a boolean or
        a date or number where it cannot be one.

    References
    ----------
    docs/data-format.md, "Reading" and "Limits"; docs/security.md.
    """
    limits = limits or ReadLimits()
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
        return _folder_tables(location, limits)
    if location.suffix.lower() == ".zip":
        return _zip_tables(location, limits)
    if location.suffix.lower() == ".xlsx":
        return _read_xlsx(location, limits)
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


def read_bundle(path: str | Path, *, limits: ReadLimits | None = None) -> Bundle:
    """Read and validate a bundle (folder, .zip or .xlsx).

    Parameters
    ----------
    path
        The bundle.
    limits
        Caps on what the input may hold (default :class:`ReadLimits`); raise them for a
        larger trusted bundle.

    Raises
    ------
    InputErrors
        Every problem found (:func:`read_tables`, then validation); nothing is loaded from an
        invalid bundle.
    """
    return validate_tables(
        read_tables(path, limits=limits), source=str(path), today=local_today(), consume=True
    )
