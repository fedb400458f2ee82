"""Generic column checks of bundle validation, the same for every table.

Headers (:func:`_check_columns`); then every cell, read as text, parsed by its column's
declared kind (:func:`_typed`): required values, ids, codes, strict ISO dates and times,
plain decimal numbers and whole numbers, and free text that no spreadsheet would run as a
formula; repeated keys (:func:`_unique`), ids that must exist in another table
(:func:`_references`), and the declared public columns a valid table keeps (:func:`_public`).
The column declarations themselves live in :mod:`dresskit.bundle.schema`.

Nothing is inferred: a cell is a date only when it is written ``YYYY-MM-DD`` and names a real
calendar day, a number only when it is ``-?digits(.digits)?``. Each rule is checked once per
distinct cell text of a column (a column of 10 million cells holds a few thousand distinct
texts), and only the rows holding a refused text are then listed, each with its file, row,
column and the text as written.

References
----------
ISO 8601-1:2019, 5.2.2 (calendar date, extended format YYYY-MM-DD) and 5.3.3 (local time
hh:mm). OWASP Foundation, *CSV Injection* (https://owasp.org/www-community/attacks/CSV_Injection)
and MITRE CWE-1236: cells beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return.
Unicode Technical Report #36, *Unicode Security Considerations*, 2.3 (bidirectional text
spoofing) and CVE-2021-42574 ("Trojan Source"): the bidirectional override characters.
Python issue CVE-2020-10735: converting very long digit strings to integers is quadratic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import polars as pl

from dresskit.bundle.problems import _ROW, ProblemCollector
from dresskit.bundle.schema import ID_PATTERN, ID_RULE, TABLES, Column
from dresskit.course.codes import CODE_ENUM, UNIT_ENUM

_DATE_FORMAT: Final = "%Y-%m-%d"
_TIME_FORMAT: Final = "%H:%M"

#: The only texts read as dates, times, numbers and whole numbers (before the calendar check).
DATE_TEXT: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIME_TEXT: Final = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
#: At most 15 digits before the point: beyond that a double no longer holds every whole
#: number, and every bound of the format is far below 10^15.
NUMBER_TEXT: Final = r"^-?[0-9]{1,15}(?:\.[0-9]{1,20})?$"
#: At most 18 digits: every such number fits a 64-bit integer.
INTEGER_TEXT: Final = r"^-?[0-9]{1,18}$"
#: Free text may not begin like a spreadsheet formula (OWASP CSV injection).
FORMULA_START: Final = r"^[=+\-@\t\r]"
#: C0 control characters other than NUL (reported on their own), DEL and C1.
CONTROL_CHARACTER: Final = r"[\x01-\x1f\x7f-\x9f]"
#: Unicode bidirectional embeddings, overrides and isolates.
BIDI_CONTROL: Final = r"[\u202a-\u202e\u2066-\u2069]"

DATE_RULE: Final = "a date written YYYY-MM-DD (ISO 8601) that exists in the calendar"
TIME_RULE: Final = "a time written HH:MM (24 h, 00:00 to 23:59)"
NUMBER_RULE: Final = (
    "a decimal number with '.' as the decimal mark, written -?digits[.digits] (no exponent, "
    "'+', spaces, thousands separators, nan or inf; at most 15 digits before the point)"
)
INTEGER_RULE: Final = "a whole number written -?digits (at most 18 digits)"
NUL_RULE: Final = "text without NUL characters (a NUL usually means a damaged file)"
FORMULA_RULE: Final = (
    "text that does not begin with '=', '+', '-', '@', a tab or a carriage return (a "
    "spreadsheet would run it as a formula: OWASP CSV injection)"
)
CONTROL_RULE: Final = "text without control characters (C0 such as tab or line break, DEL, C1)"
BIDI_RULE: Final = (
    "text without Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069: they can "
    "make a text display as something else)"
)

_PARSED_TYPES: Final = {"date": pl.Date, "time": pl.Time, "number": pl.Float64, "integer": pl.Int64}
_SHAPES: Final = {
    "date": (DATE_TEXT, DATE_RULE),
    "time": (TIME_TEXT, TIME_RULE),
    "number": (NUMBER_TEXT, NUMBER_RULE),
    "integer": (INTEGER_TEXT, INTEGER_RULE),
}


def storage_type(table: str, column: Column) -> pl.DataType:
    """Return the type a valid column of ``table`` is held in (codes as enumerations).

    Observation codes and units are enumerations of every accepted code and unit, which are
    smaller and faster to compare than text.
    """
    if table == "observations" and column.name == "code":
        return CODE_ENUM
    if table == "observations" and column.name == "unit":
        return UNIT_ENUM
    if column.kind == "code" and column.codes:
        return pl.Enum(column.codes)
    return _PARSED_TYPES.get(column.kind, pl.Utf8)()


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
        *[_as_cell(name, declared[c], frame.schema[c]) for c in declared],
    )


def _as_cell(table: str, column: Column, dtype: pl.DataType) -> pl.Expr:
    """Return a column as validation reads it: text, or a type the registry already holds.

    Cells are not trimmed: a value with stray spaces fails its check and is shown as written,
    rather than silently altered. An empty text cell becomes null in :func:`_typed` (only in
    the columns that hold one). A column may arrive typed only as the registry's own database
    holds it (dates, times, numbers, enumerated codes and units), validated when imported;
    any other type (a categorical, integers in an id column) is turned into text and checked
    as text, so no reader can skip a rule by the type it hands over.
    """
    col = pl.col(column.name)
    if dtype == pl.Utf8:
        return col
    if column.kind in _PARSED_TYPES and dtype == _PARSED_TYPES[column.kind]:
        return col
    if isinstance(dtype, pl.Enum) and dtype == storage_type(table, column):
        return col
    if dtype.is_float():
        return col.map_batches(decimal_texts, return_dtype=pl.Utf8).alias(column.name)
    return col.cast(pl.Utf8).alias(column.name)


def _refused(values: pl.Series, failing: pl.Series) -> pl.Series:
    return values.filter(failing.fill_null(True))


def _text_rules(values: pl.Series) -> list[tuple[pl.Series, str]]:
    """Free-text cells refused, each distinct text under the first rule it breaks."""
    nul = values.str.contains("\x00", literal=True)
    formula = ~nul & values.str.contains(FORMULA_START)
    control = ~nul & ~formula & values.str.contains(CONTROL_CHARACTER)
    bidi = ~nul & ~formula & ~control & values.str.contains(BIDI_CONTROL)
    return [
        (values.filter(nul), NUL_RULE),
        (values.filter(formula), FORMULA_RULE),
        (values.filter(control), CONTROL_RULE),
        (values.filter(bidi), BIDI_RULE),
    ]


def _parsed_values(column: Column, values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Parse distinct texts by the column's kind: (parsed, or null where refused; refused)."""
    pattern, _ = _SHAPES[column.kind]
    shaped = values.str.contains(pattern)
    if column.kind == "date":
        parsed = values.str.to_date(_DATE_FORMAT, strict=False)
    elif column.kind == "time":
        parsed = values.str.to_time(_TIME_FORMAT, strict=False)
    else:
        parsed = values.cast(_PARSED_TYPES[column.kind], strict=False)
    good = shaped & parsed.is_not_null()
    parsed = pl.select(pl.when(good).then(parsed).otherwise(None)).to_series()
    return parsed, values.filter(~good)


def _convert(column: Column, refused: pl.Series) -> pl.Expr:
    """Return the whole column parsed, null where the text was refused.

    polars parses every cell; the refused texts, found on the distinct values, are then set
    to null, so a text that polars alone would accept (``2020-3-5``, ``1e5``) is never taken
    as a value.
    """
    col = pl.col(column.name)
    # cache=False: parsing every cell is about three times faster than polars' lookup of
    # distinct texts (measured on 10.8 M observation dates).
    if column.kind == "date":
        converted = col.str.to_date(_DATE_FORMAT, strict=False, cache=False)
    elif column.kind == "time":
        converted = col.str.to_time(_TIME_FORMAT, strict=False, cache=False)
    else:
        converted = col.cast(_PARSED_TYPES[column.kind], strict=False)
    if refused.len():
        converted = pl.when(col.is_in(refused.implode())).then(None).otherwise(converted)
    return converted.alias(column.name)


def _enumerated(table: str, column: Column) -> pl.Enum | None:
    """Return the enumeration a column is held in when every cell is one of its values."""
    storage = storage_type(table, column)
    if column.kind in ("code", "text") and isinstance(storage, pl.Enum):
        return storage
    return None


def _typed(name: str, frame: pl.DataFrame, problems: ProblemCollector) -> pl.DataFrame:
    """Check required values, ids, codes, cell types and free text; return the typed frame.

    Text cells are parsed by the column's declared kind only; a column that arrives typed
    (the registry's own database) is trusted for its type and still checked for bounds.

    Work is done once per distinct text where it can be: a column of 10 million cells holds a
    few thousand distinct dates or values, whose shapes are checked with a regular expression;
    only the rows holding a refused text are then listed. Columns held as enumerations (codes,
    observation units) are cast once, and an unknown cell shows as one the cast left empty.
    """
    columns = TABLES[name]
    texts = [c for c in columns if frame.schema[c.name] == pl.Utf8]
    enums = {c.name: enum for c in texts if (enum := _enumerated(name, c)) is not None}
    frame = frame.with_columns(
        [pl.col(n).cast(enum, strict=False).alias(f"__enum_{n}") for n, enum in enums.items()]
    )
    summary: dict[str, Any] = {}
    if texts:  # one parallel pass: distinct texts, and what the enumeration casts left out
        summary = frame.select(
            [pl.col(c.name).unique().implode().alias(c.name) for c in texts if c.name not in enums]
            + [
                (pl.col(n).is_not_null() & pl.col(f"__enum_{n}").is_null()).sum().alias(n)
                for n in enums
            ]
            + [(pl.col(n).str.len_bytes() == 0).any().alias(f"__empty_{n}") for n in enums]
        ).row(0, named=True)
    distinct = {
        c.name: pl.Series(c.name, summary[c.name], dtype=pl.Utf8).drop_nulls()
        for c in texts
        if c.name not in enums
    }
    # An empty cell is no value: the same as a missing one.
    emptied = [n for n, values in distinct.items() if values.str.len_bytes().min() == 0]
    emptied += [n for n in enums if summary[f"__empty_{n}"]]
    if emptied:
        frame = frame.with_columns(
            [pl.when(pl.col(n).str.len_bytes() > 0).then(pl.col(n)).alias(n) for n in emptied]
        )
        distinct = {n: v.filter(v.str.len_bytes() > 0) for n, v in distinct.items()}
    unknown_enums = [
        n
        for n in enums
        if summary[n]
        and frame.select((pl.col(n).is_not_null() & pl.col(f"__enum_{n}").is_null()).any()).item()
    ]
    if unknown_enums:  # some cell is not a listed value: check those columns as text
        again = frame.select([pl.col(n).drop_nulls().unique().implode() for n in unknown_enums])
        for n, values in zip(unknown_enums, again.row(0), strict=True):
            distinct[n] = pl.Series(n, values, dtype=pl.Utf8)
    conversions = []
    checks: list[tuple[pl.Expr, str, str]] = []

    def refuse(column: str, refused: pl.Series, expected: str) -> None:
        if refused.len():
            checks.append((pl.col(column).is_in(refused.implode()), column, expected))

    for column in columns:
        col = pl.col(column.name)
        if column.required:
            checks.append((col.is_null(), column.name, "a value (this column is required)"))
        if column.name in enums and column.name not in unknown_enums:
            # Every cell is a listed code or unit (none of which breaks a text rule).
            conversions.append(pl.col(f"__enum_{column.name}").alias(column.name))
            continue
        values = distinct.get(column.name)
        if values is None:  # typed already (registry load-back): the type holds
            if column.kind in _PARSED_TYPES:
                conversions.append(col)
                if column.bounds is not None:
                    low, high = column.bounds
                    checks.append(
                        ((col < low) | (col > high), column.name, f"between {low:g} and {high:g}")
                    )
            continue
        if column.kind == "text":
            for refused, expected in _text_rules(values):
                refuse(column.name, refused, expected)
            continue
        if column.kind == "id":
            refuse(column.name, values.filter(~values.str.contains(ID_PATTERN)), ID_RULE)
            continue
        if column.kind == "code":
            unknown = values.filter(~values.is_in(list(column.codes)))
            refuse(column.name, unknown, "one of " + ", ".join(column.codes))
            continue
        parsed, refused = _parsed_values(column, values)
        _, expected = _SHAPES[column.kind]
        if column.kind in ("number", "integer"):
            comma = refused.str.contains(",", literal=True)
            refuse(column.name, refused.filter(comma), expected + " (a ',' was found)")
            refuse(column.name, refused.filter(~comma), expected)
        else:
            refuse(column.name, refused, expected)
        if column.bounds is not None:
            low, high = column.bounds
            within = parsed.filter(parsed.is_not_null())
            outside = values.filter(parsed.is_not_null()).filter((within < low) | (within > high))
            refuse(column.name, outside, f"between {low:g} and {high:g}")
        conversions.append(_convert(column, refused))
    problems.rows_many(name, frame, checks)
    # The raw cell is kept so that later checks can tell "absent" from "failed to parse".
    raw = [
        pl.col(c.name).is_not_null().alias(f"__raw_{c.name}")
        for c in columns
        if c.kind in _PARSED_TYPES
    ]
    return frame.with_columns(raw).with_columns(conversions).drop([f"__enum_{n}" for n in enums])


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


def decimal_text(value: float) -> str:
    """Return a float as the bundle writes a number: plain decimals, never an exponent.

    The shortest text that reads back as the same float (``repr``), with any exponent
    written out (``1e-06`` -> ``0.000001``), so that it passes :data:`NUMBER_TEXT`.

    Examples
    --------
    >>> decimal_text(1e-06), decimal_text(2.5), decimal_text(3.0)
    ('0.000001', '2.5', '3.0')
    """
    text = repr(value)
    if "e" not in text:
        return text
    return format(Decimal(text), "f")


def decimal_texts(numbers: pl.Series) -> pl.Series:
    """Return a float column as text the way :func:`decimal_text` writes one number."""
    text = numbers.cast(pl.Utf8)
    exponent = text.str.contains("e", literal=True).fill_null(False)
    if not exponent.any():
        return text
    fixed = [decimal_text(value) for value in numbers.filter(exponent).to_list()]
    return text.scatter(exponent.arg_true(), fixed)
