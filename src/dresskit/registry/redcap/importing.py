"""Import REDCap records back into the bundle's tables, every problem reported at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from dresskit.bundle import Bundle, as_text, validate_tables
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.problems import ProblemCollector
from dresskit.bundle.schema import (
    FORMAT_NAME,
    FORMAT_VERSION,
    TABLES,
    manifest_frame,
)
from dresskit.errors import InputError, InputErrors
from dresskit.registry.redcap.exporting import (
    _decimal_text,
)
from dresskit.registry.redcap.forms import (
    _COMPLETE,
    _COMPLETE_VALUES,
    _FIELD_BY_NAME,
    _FIELDS,
    _FORMS,
    _IGNORED_SYSTEM_COLUMNS,
    _REPEATING,
    _ROW,
    RECORD_ID,
    REPEAT_INSTANCE,
    REPEAT_INSTRUMENT,
)

#: The one "table" of a REDCap import: every problem is located in the records file.
_RECORDS: Final = "records"


def _problem_collector(source: str) -> ProblemCollector:
    return ProblemCollector(source, 1000, file_of=lambda _table: source, summary_field="<records>")


def _known_columns() -> tuple[str, ...]:
    columns = [RECORD_ID, REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    for form in _FORMS:
        columns += [field.name for field in _FIELDS if field.form is form]
        columns.append(f"{form.name}_complete")
    return tuple(columns)


_KNOWN_COLUMNS: Final = _known_columns()


def _as_cells(records: pl.DataFrame) -> pl.DataFrame:
    """Every column as text ('' -> null), with the 1-based data row."""
    floats = [n for n, dtype in records.schema.items() if dtype in (pl.Float32, pl.Float64)]
    text = as_text(records)
    if floats:
        text = text.with_columns(
            [_decimal_text(records.get_column(n).cast(pl.Float64)) for n in floats]
        )
    return text.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(_ROW),
        *[pl.col(name).replace("", None) for name in text.columns],
    )


def _check_header(columns: list[str], problems: ProblemCollector) -> bool:
    if RECORD_ID not in columns:
        # Not a records export at all (a bundle table, another project's file): one error
        # naming the header, not one per column.
        problems.add(
            _RECORDS,
            None,
            RECORD_ID,
            ",".join(columns[:8]) + (",..." if len(columns) > 8 else ""),
            "a REDCap records export of the dresskit project (a record_id column and the "
            "fields of its data dictionary, as `dresskit export --format redcap` writes)",
        )
        return False
    if "redcap_event_name" in columns:
        problems.add(
            _RECORDS,
            None,
            "redcap_event_name",
            "redcap_event_name",
            "absent: the dresskit project is classic (not longitudinal) with repeating instruments",
        )
    for column in columns:
        if column in _KNOWN_COLUMNS or column in (*_IGNORED_SYSTEM_COLUMNS, "redcap_event_name"):
            continue
        # The fields of the same form when the prefix is one (a typo), else all of them.
        prefix = column.split("_", 1)[0] + "_"
        accepted = [known for known in _KNOWN_COLUMNS if known.startswith(prefix)]
        problems.add(
            _RECORDS,
            None,
            column,
            column,
            "a field of the dresskit REDCap data dictionary: "
            + ", ".join(accepted or _KNOWN_COLUMNS),
        )
    return True


def _check_rows(frame: pl.DataFrame, problems: ProblemCollector) -> None:
    instrument, instance = pl.col(REPEAT_INSTRUMENT), pl.col(REPEAT_INSTANCE)
    number = instance.cast(pl.Int64, strict=False)
    repeating = instrument.is_in(list(_REPEATING))
    patient_row = instrument.is_null()
    problems.rows(
        _RECORDS, frame, pl.col(RECORD_ID).is_null(), RECORD_ID, "a record id (the patient id)"
    )
    problems.rows(
        _RECORDS,
        frame,
        instrument.is_not_null() & ~repeating,
        REPEAT_INSTRUMENT,
        "one of the repeating instruments "
        + ", ".join(_REPEATING)
        + " (or empty for the patient form)",
    )
    problems.rows(
        _RECORDS,
        frame,
        repeating & (number.is_null() | (number < 1)),
        REPEAT_INSTANCE,
        "a whole number from 1 (the instance of the repeating instrument)",
    )
    problems.rows(
        _RECORDS,
        frame,
        patient_row & instance.is_not_null(),
        REPEAT_INSTANCE,
        "empty on rows of the patient form (which does not repeat)",
    )
    row_form = pl.when(patient_row).then(pl.lit("patient")).otherwise(instrument)
    for name in frame.columns:
        field = _FIELD_BY_NAME.get(name)
        if field is None:
            continue
        wrong = frame.filter(
            (pl.col(name).is_not_null() & (row_form != field.form.name)).fill_null(False)
            & (patient_row | repeating)
        )
        for row, value, form in (
            wrong.select(_ROW, name, row_form.alias("__form")).head(problems.cap).iter_rows()
        ):
            problems.add(
                _RECORDS,
                row,
                name,
                value,
                f"empty on a row of the {form} form ({name} belongs to the {field.form.name} form)",
            )
    for name in frame.columns:
        if name in _COMPLETE:
            problems.rows(
                _RECORDS,
                frame,
                pl.col(name).is_not_null() & ~pl.col(name).is_in(list(_COMPLETE_VALUES)),
                name,
                "a form status: 0 (incomplete), 1 (unverified) or 2 (complete)",
            )
    problems.rows(
        _RECORDS,
        frame,
        repeating
        & number.is_not_null()
        & pl.struct(RECORD_ID, REPEAT_INSTRUMENT, number.alias("__n")).is_duplicated(),
        REPEAT_INSTANCE,
        "unique within the record and instrument (an instance appears more than once)",
    )
    patients = frame.filter(patient_row & pl.col(RECORD_ID).is_not_null())
    problems.rows(
        _RECORDS,
        patients,
        pl.col(RECORD_ID).is_duplicated(),
        RECORD_ID,
        "one patient-form row per record (this record has several)",
    )
    orphans = frame.filter(repeating).join(patients.select(RECORD_ID), on=RECORD_ID, how="anti")
    problems.rows(
        _RECORDS,
        orphans,
        pl.col(RECORD_ID).is_first_distinct(),
        RECORD_ID,
        "a record that also has a patient-form row (the row without a repeating instrument)",
    )
    episode_column = "epi_episode_id"
    if episode_column in frame.columns:
        episodes = frame.filter(instrument == "episode").select(RECORD_ID, episode_column)
    else:
        episodes = pl.DataFrame(schema={RECORD_ID: pl.Utf8, episode_column: pl.Utf8})
    for form in _FORMS:
        name = f"{form.prefix}_episode_id"
        if form.table in ("patients", "episodes") or name not in frame.columns:
            continue
        elsewhere = frame.filter(
            (instrument == form.name) & pl.col(name).is_not_null() & pl.col(RECORD_ID).is_not_null()
        ).join(
            episodes,
            left_on=[RECORD_ID, name],
            right_on=[RECORD_ID, episode_column],
            how="anti",
        )
        for row, value, record in (
            elsewhere.sort(_ROW).select(_ROW, name, RECORD_ID).head(problems.cap).iter_rows()
        ):
            problems.add(
                _RECORDS,
                row,
                name,
                value,
                f"the epi_episode_id of an episode instance of record {record!r}",
            )


@dataclass(frozen=True)
class _Imported:
    tables: dict[str, pl.DataFrame]
    rows: dict[str, list[int]]  # bundle table -> REDCap data row of each table row


def _import(records: pl.DataFrame, *, source: str, manifest: Mapping[str, str] | None) -> _Imported:
    problems = _problem_collector(source)
    if not _check_header(records.columns, problems):
        problems.raise_if_any()
    frame = _as_cells(records)
    for name in (REPEAT_INSTRUMENT, REPEAT_INSTANCE):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(name))
    _check_rows(frame, problems)
    problems.raise_if_any()
    order = (
        frame.select(RECORD_ID)
        .unique(maintain_order=True)
        .with_row_index("__record")
        .with_columns(pl.col("__record").cast(pl.Int64))
    )
    frame = frame.join(order, on=RECORD_ID, how="left").sort(_ROW)
    tables: dict[str, pl.DataFrame] = {}
    rows: dict[str, list[int]] = {}
    for form in _FORMS:
        selected = (
            frame.filter(pl.col(REPEAT_INSTRUMENT) == form.name)
            if form.repeating
            else frame.filter(pl.col(REPEAT_INSTRUMENT).is_null())
        )
        selected = selected.sort(
            ["__record", pl.col(REPEAT_INSTANCE).cast(pl.Int64, strict=False)],
            maintain_order=True,
        )
        expressions = []
        for column in TABLES[form.table]:
            field = _FIELD_BY_NAME.get(f"{form.prefix}_{column.name}")
            if column.name == "patient_id":
                expressions.append(pl.col(RECORD_ID).alias("patient_id"))
            elif field is None or field.name not in selected.columns:
                expressions.append(pl.lit(None, dtype=pl.Utf8).alias(column.name))
            elif field.from_redcap:
                expressions.append(pl.col(field.name).replace(field.from_redcap).alias(column.name))
            else:
                expressions.append(pl.col(field.name).alias(column.name))
        tables[form.table] = selected.select(expressions)
        rows[form.table] = selected.get_column(_ROW).to_list()
    entries = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **(manifest or {})}
    tables["manifest"] = manifest_frame(entries)
    return _Imported(tables=tables, rows=rows)


def redcap_import(
    records: pl.DataFrame, *, source: str, manifest: Mapping[str, str] | None = None
) -> dict[str, pl.DataFrame]:
    """Turn REDCap records (the layout of :func:`redcap_export`) back into bundle text tables.

    The tables are what :func:`dresskit.bundle.validation.validate_tables` takes (every cell text);
    :func:`read_redcap` does both and reports the validation problems by REDCap row and field.

    Parameters
    ----------
    records
        The records export (raw coded values), e.g. ``pl.read_csv(path, infer_schema=False)``.
        Typed columns are accepted and turned into text. Fields that are absent count as
        empty; ``redcap_data_access_group`` and ``redcap_survey_identifier`` are ignored.
    source
        Name of the records file, used in every error's location.
    manifest
        Manifest entries to add (``title``, ``source``, ``synthetic``); ``format`` and
        ``version`` are filled in.

    Returns
    -------
    dict of str to polars.DataFrame
        Bundle file stem -> text table with the bundle's columns, rows ordered record by
        record (first appearance) and instance by instance.

    Raises
    ------
    InputErrors
        Every problem of the REDCap layout found, each with the 1-based data row, the field,
        the value and what is accepted: unknown columns (fields not in the dictionary, or a
        longitudinal ``redcap_event_name``), unknown repeating instruments, missing, repeated
        or misplaced instance numbers, values in fields of another form, several patient rows
        for one record, repeating rows of a record without a patient row, and episode ids
        that are not an episode of the same record.

    References
    ----------
    .. [1] REDCap online help, "Repeating instruments and events" and "Data Import Tool"
       (Vanderbilt University, https://projectredcap.org).

    Examples
    --------
    >>> from pathlib import Path
    >>> import dresskit
    >>> from dresskit.bundle import read_bundle
    >>> from dresskit.registry.redcap import redcap_export
    >>> examples = Path(dresskit.__file__).parents[2] / "examples"  # in a source checkout
    >>> records, _ = redcap_export(read_bundle(examples / "shen2024"))
    >>> tables = redcap_import(records, source="shen.csv")
    >>> tables["episodes"].get_column("episode_id").to_list()
    ['SHEN']
    """
    return _import(records, source=source, manifest=manifest).tables


def read_redcap(
    records: pl.DataFrame, *, source: str, manifest: Mapping[str, str] | None = None
) -> Bundle:
    """Import REDCap records and validate them as a bundle, naming REDCap rows in errors.

    Parameters
    ----------
    records, source, manifest
        As for :func:`redcap_import`.

    Returns
    -------
    Bundle
        The validated bundle.

    Raises
    ------
    InputErrors
        The layout problems of :func:`redcap_import`, or every validation problem of the
        bundle with its location translated to the records file: the REDCap data row and
        field name (``trt_dose``) instead of the bundle file, row and column.

    References
    ----------
    .. [1] REDCap online help, "Data Import Tool" (https://projectredcap.org).
    """
    imported = _import(records, source=source, manifest=manifest)
    try:
        return validate_tables(imported.tables, source=source, today=local_today())
    except InputErrors as errors:
        raise InputErrors([_located(e, imported, source) for e in errors.errors]) from None


def _located(error: InputError, imported: _Imported, source: str) -> InputError:
    """Translate a bundle location (source/table.csv, row, column) to REDCap's."""
    prefix = f"{source}/"
    if error.source is None or not error.source.startswith(prefix):
        return error
    table = error.source[len(prefix) :].removesuffix(".csv")
    form = next((f for f in _FORMS if f.table == table), None)
    if form is None:
        return error
    field = RECORD_ID if error.field == "patient_id" else f"{form.prefix}_{error.field}"
    if field != RECORD_ID and field not in _FIELD_BY_NAME:
        field = error.field
    row = error.row
    if row is not None and 1 <= row <= len(imported.rows[table]):
        row = imported.rows[table][row - 1]
    return type(error)(field, error.value, error.expected, source=source, row=row)
