"""Read one CSV table as text: UTF-8, a header of distinct names, every row complete.

:func:`read_csv_text` reads every cell as the text written (no type inference), after
checking the file's encoding (UTF-8; a BOM is accepted), its header (distinct, non-empty
names) and its rows (as many fields as the header; a short, long or blank row, or an
unterminated quoted field, is refused with its 1-based data row, the numbering validation
uses). A fast check on the raw bytes decides whether the slow, exact check with Python's csv
module is needed.

References
----------
RFC 4180, *Common Format and MIME Type for Comma-Separated Values (CSV) Files*, section 2
(each record the same number of fields; quoted fields). RFC 3629 (UTF-8).
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from dresskit.bundle.archive import ReadLimits
from dresskit.errors import InputError, InputErrors

__all__ = ["read_csv_text"]

#: Problems of one file's structure (ragged rows, ...) listed before the rest are counted.
_MAX_LISTED: Final = 100
_CSV_RULE: Final = "a UTF-8 CSV file with a header row"


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
