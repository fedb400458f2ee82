"""Generic column checks of bundle validation, the same for every table.

Headers and raw text cells (:func:`_check_columns`), required values, codes and cell types
(:func:`_typed`), repeated keys (:func:`_unique`), ids that must exist in another table
(:func:`_references`), and the declared public columns a valid table keeps (:func:`_public`).
The column declarations themselves live in :mod:`dresskit.bundle.schema`.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from dresskit.bundle.problems import _ROW, ProblemCollector
from dresskit.bundle.schema import ID_PATTERN, ID_RULE, TABLES, Column

_DATE_FORMAT: Final = "%Y-%m-%d"
_TIME_FORMAT: Final = "%H:%M"


def _absent(name: str) -> pl.Expr:
    """No value in the file (a value that failed to parse is present: reported once, as such)."""
    return ~pl.col(f"__raw_{name}")


def _check_columns(
    name: str, frame: pl.DataFrame, problems: ProblemCollector
) -> pl.DataFrame | None:
    """Check headers; return the frame with the row number and every declared column."""
    declared = {column.name: column for column in TABLES[name]}
    for column in frame.columns:
        if column not in declared:
            problems.add(
                name, None, column, column, "a column of this file: " + ", ".join(declared)
            )
    missing = [c.name for c in TABLES[name] if c.required and c.name not in frame.columns]
    for column in missing:
        problems.add(name, None, column, None, "present: a required column of this file")
    if missing:
        return None
    frame = frame.with_columns(
        [pl.lit(None, dtype=pl.Utf8).alias(c) for c in declared if c not in frame.columns]
    )
    return frame.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(_ROW),
        *[_as_cell(c, frame.schema[c]) for c in declared],
    )


def _as_cell(name: str, dtype: pl.DataType) -> pl.Expr:
    """Return a raw text cell ('' -> null); typed columns unchanged.

    Cells are not trimmed: a value with stray spaces fails its check and is shown as written,
    rather than silently altered. A reader may hand over columns it already parsed (dates,
    numbers) when every cell of the file parsed; those need no text handling.
    """
    if dtype != pl.Utf8:
        return pl.col(name)  # parsed by the reader (dates, numbers, enumerated codes)
    return pl.col(name).replace("", None).alias(name)


_PARSED_TYPES: Final = {"date": pl.Date, "time": pl.Time, "number": pl.Float64, "integer": pl.Int64}


def _parse(column: Column) -> tuple[pl.Expr, str]:
    """Return the expression parsing a text column, and what a cell must look like."""
    col = pl.col(column.name)
    if column.kind == "date":
        return col.str.to_date(_DATE_FORMAT, strict=False), "a date written YYYY-MM-DD"
    if column.kind == "time":
        return col.str.to_time(_TIME_FORMAT, strict=False), "a time written HH:MM (24 h)"
    if column.kind == "number":
        return col.cast(pl.Float64, strict=False), "a decimal number with '.' as the decimal mark"
    return col.cast(pl.Int64, strict=False), "a whole number"


def _typed(name: str, frame: pl.DataFrame, problems: ProblemCollector) -> pl.DataFrame:
    """Check required values, codes and cell types; return the typed frame."""
    conversions = []
    checks: list[tuple[pl.Expr, str, str]] = []
    for column in TABLES[name]:
        col = pl.col(column.name)
        if column.required:
            checks.append((col.is_null(), column.name, "a value (this column is required)"))
        if column.kind == "text" and frame.schema[column.name] == pl.Utf8:
            # PostgreSQL cannot store a NUL in text, and in a CSV it means a damaged file:
            # refused here, so that a bundle valid on SQLite is valid everywhere.
            checks.append(
                (
                    col.str.contains("\x00", literal=True),
                    column.name,
                    "text without NUL characters (a NUL usually means a damaged file)",
                )
            )
        if column.kind == "id" and frame.schema[column.name] == pl.Utf8:
            checks.append((~col.str.contains(ID_PATTERN), column.name, ID_RULE))
        if column.kind == "code":
            if frame.schema[column.name] == pl.Utf8:  # an enumeration read was checked already
                checks.append(
                    (
                        col.is_not_null() & ~col.is_in(list(column.codes)),
                        column.name,
                        "one of " + ", ".join(column.codes),
                    )
                )
            continue
        if column.kind not in _PARSED_TYPES:
            continue
        if frame.schema[column.name] == _PARSED_TYPES[column.kind]:
            parsed = col  # already parsed by the reader: every cell was valid
        else:
            parsed, expected = _parse(column)
            failed = col.is_not_null() & parsed.is_null()
            if column.kind in ("number", "integer"):
                comma = col.str.contains(",", literal=True)
                checks.append((failed & comma, column.name, expected + " (a ',' was found)"))
                failed = failed & ~comma
            checks.append((failed, column.name, expected))
        if column.bounds is not None:
            low, high = column.bounds
            checks.append(
                ((parsed < low) | (parsed > high), column.name, f"between {low:g} and {high:g}")
            )
        conversions.append(parsed.alias(column.name))
    problems.rows_many(name, frame, checks)
    # The raw cell is kept so that later checks can tell "absent" from "failed to parse".
    raw = [
        pl.col(c.name).is_not_null().alias(f"__raw_{c.name}")
        for c in TABLES[name]
        if c.kind in _PARSED_TYPES
    ]
    return frame.with_columns(raw).with_columns(conversions)


def _unique(
    name: str,
    frame: pl.DataFrame,
    keys: list[str],
    problems: ProblemCollector,
    what: str,
    *,
    field: str | None = None,
) -> None:
    """Report rows whose ``keys`` repeat another row's (nulls in ``time`` count as equal).

    The error names ``field`` (default: the first key, or the only one) and its raw value.
    """
    # Hash the keys first (one cheap pass); compare exactly only the rows whose hash repeats.
    # XOR of per-column hashes: cheaper than hashing a struct; collisions are re-checked below.
    key = pl.col(keys[0]).hash(seed=1)
    for seed, name_of_key in enumerate(keys[1:], start=2):
        key = key.xor(pl.col(name_of_key).hash(seed=seed))
    hashed = frame.select(_ROW, key.alias("__key"))
    if hashed.select(pl.col("__key").n_unique()).item() == hashed.height:
        return  # every hash distinct: no duplicate rows (the common case, one fast pass)
    candidates = hashed.filter(pl.col("__key").is_duplicated()).get_column(_ROW)
    if candidates.len() == 0:
        return
    subset = frame.filter(pl.col(_ROW).is_in(candidates.implode()))
    duplicated = pl.struct(keys).is_duplicated() & pl.all_horizontal(
        [pl.col(k).is_not_null() for k in keys if k != "time"]
    )
    problems.rows(
        name,
        subset,
        duplicated,
        field or keys[0],
        f"unique: {what} appears more than once",
    )


def _references(
    name: str,
    frame: pl.DataFrame,
    column: str,
    known: pl.Series,
    problems: ProblemCollector,
    target: str,
) -> None:
    problems.rows(
        name,
        frame,
        pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()),
        column,
        f"an id present in {target}",
    )


def _public(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Keep the declared columns only (no row numbers or raw cells), codes as enumerations.

    A file read with its types already has enumerated codes; one read as text (a bad cell, a
    workbook, a registry, FHIR, REDCap) is cast here, so a bundle's column types never depend
    on where it came from.
    """
    return frame.select(
        [
            pl.col(column.name).cast(pl.Enum(column.codes), strict=False)
            if column.kind == "code" and column.codes and name != "observations"
            else pl.col(column.name)
            for column in TABLES[name]
        ]
    )
