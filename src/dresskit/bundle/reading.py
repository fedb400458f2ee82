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
* CSV structure (:mod:`dresskit.bundle.csv_text`): UTF-8 (a BOM is accepted), a header of
  distinct non-empty names, and every row with as many fields as the header;
* workbooks (:mod:`dresskit.bundle.workbook`): every cell judged by its type.

References
----------
RFC 4180, *Common Format and MIME Type for Comma-Separated Values (CSV) Files*, section 2
(each record the same number of fields; quoted fields). RFC 3629 (UTF-8). ECMA-376 Office Open
XML, Part 1, 18.3.1.4 (cell types ``b``, ``e``, ``n``, ``s``, ``str``) and 18.3.1.40 (``f``,
the formula whose cached value is not trusted). CWE-61 (UNIX symbolic link following) and
CWE-400 (uncontrolled resource consumption).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from dresskit.bundle.archive import ReadLimits, open_archive, read_member
from dresskit.bundle.columns import storage_type
from dresskit.bundle.csv_text import _check_regular, _file_error, read_csv_text
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import TABLES
from dresskit.bundle.validation import Bundle, validate_tables
from dresskit.bundle.workbook import read_workbook
from dresskit.errors import InputError, InputErrors

__all__ = ["ReadLimits", "read_bundle", "read_csv_text", "read_tables", "typed_schema"]


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
        return read_workbook(location, limits)
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
