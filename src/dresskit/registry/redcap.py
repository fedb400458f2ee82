"""Exchange a bundle with REDCap: a records table and its data dictionary, and back.

Layout
------
One REDCap record is one **patient** (``record_id`` = ``patient_id``), because REDCap records
are study subjects and a patient may have several reaction episodes. The project is classic
(not longitudinal) with *repeating instruments*:

==================== ==================== ========== ====================================
REDCap form          bundle file          prefix     rows
==================== ==================== ========== ====================================
``patient``          patients.csv         ``pat_``   one per record (no repeat instrument)
``episode``          episodes.csv         ``epi_``   repeating, one instance per episode
``drug_exposure``    drug_exposures.csv   ``dex_``   repeating
``drug_assessment``  drug_assessments.csv ``das_``   repeating
``observation``      observations.csv     ``obs_``   repeating
``finding``          findings.csv         ``fnd_``   repeating
``treatment``        treatments.csv       ``trt_``   repeating
==================== ==================== ========== ====================================

REDCap cannot nest repeating instruments, so every repeating row other than an episode names
its episode in ``<prefix>_episode_id`` (which must be an episode of the same record).
Instances are numbered 1, 2, ... per record and instrument in the bundle's row order, and
rows are ordered record by record (in patients.csv order), form by form, instance by
instance, as REDCap itself exports them. Each row also carries ``<form>_complete`` = ``2``
(REDCap's "Complete" status) for its form; on import these status columns are checked
(0, 1 or 2) and otherwise ignored.

Every cell of the records table is text (null = empty), written exactly as REDCap exports
"raw" data: dates ``YYYY-MM-DD``, times ``HH:MM``, decimals with '.' and no exponent, codes as
their raw coded values. Code values that are not REDCap-safe raw values (only lower-case
letters, digits and ``_``) are written with ``_`` for the other characters (``who-umc`` becomes
``who_umc``) and translated back on import.

The bundle's manifest is not part of the records (REDCap keeps the project title and notes in
the project settings, not in records): :func:`redcap_import` writes ``format`` and
``version`` and whatever entries the caller passes as ``manifest``.

References
----------
.. [1] REDCap data dictionary: the 18-column CSV layout, field types, validation types and
   variable name rules (lower-case letters, digits and underscores, starting with a letter;
   at most 26 characters recommended), in REDCap's online help "Data Dictionary" and the
   "Data Dictionary Codebook" (Vanderbilt University, https://projectredcap.org).
.. [2] REDCap "Repeating instruments and events": the ``redcap_repeat_instrument`` and
   ``redcap_repeat_instance`` columns of a flat (non-longitudinal) records export/import.
.. [3] Harris PA, Taylor R, Thielke R, et al. Research electronic data capture (REDCap).
   J Biomed Inform 2009;42(2):377-381.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from dresskit.course.bundle import Bundle, validate_tables
from dresskit.course.bundle_schema import (
    ASSESSMENT_ANSWERS,
    FINDING_VALUES,
    FORMAT_NAME,
    FORMAT_VERSION,
    TABLES,
    Column,
)
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.errors import InputError, InputErrors
from dresskit.registry.bundle_files import _as_text

__all__ = [
    "DATA_DICTIONARY_HEADER",
    "read_redcap",
    "redcap_data_dictionary",
    "redcap_export",
    "redcap_import",
]

#: REDCap's data dictionary CSV header, in REDCap's order (18 columns).
DATA_DICTIONARY_HEADER: Final = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

RECORD_ID: Final = "record_id"
REPEAT_INSTRUMENT: Final = "redcap_repeat_instrument"
REPEAT_INSTANCE: Final = "redcap_repeat_instance"
#: REDCap system columns that an export may hold and that carry nothing for the bundle.
_IGNORED_SYSTEM_COLUMNS: Final = ("redcap_data_access_group", "redcap_survey_identifier")
_FIELD_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_FIELD_NAME: Final = 26
_ROW: Final = "__row"
_COMPLETE_VALUES: Final = ("0", "1", "2")


@dataclass(frozen=True)
class _Form:
    """One REDCap instrument holding one bundle table."""

    name: str
    table: str
    prefix: str
    label: str
    repeating: bool


_FORMS: Final = (
    _Form("patient", "patients", "pat", "Patient", repeating=False),
    _Form("episode", "episodes", "epi", "Reaction episode", repeating=True),
    _Form("drug_exposure", "drug_exposures", "dex", "Drug exposure", repeating=True),
    _Form("drug_assessment", "drug_assessments", "das", "Causality item", repeating=True),
    _Form("observation", "observations", "obs", "Observation", repeating=True),
    _Form("finding", "findings", "fnd", "Clinical finding", repeating=True),
    _Form("treatment", "treatments", "trt", "Treatment", repeating=True),
)
_FORM_BY_NAME: Final = {form.name: form for form in _FORMS}
_REPEATING: Final = tuple(form.name for form in _FORMS if form.repeating)


@dataclass(frozen=True)
class _Field:
    """One REDCap field and the bundle column it holds."""

    name: str
    form: _Form
    column: Column
    choices: tuple[str, ...]  # bundle codes (empty: free text)

    @property
    def to_redcap(self) -> dict[str, str]:
        """Bundle code -> REDCap raw value, for codes that are not REDCap-safe."""
        return {code: _raw_value(code) for code in self.choices if _raw_value(code) != code}

    @property
    def from_redcap(self) -> dict[str, str]:
        return {raw: code for code, raw in self.to_redcap.items()}


def _raw_value(code: str) -> str:
    """Return a REDCap-safe raw coded value (lower-case letters, digits, underscore)."""
    return re.sub(r"[^a-z0-9_]", "_", code.lower())


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Return the distinct values of several groups, in first-seen order."""
    values: dict[str, None] = {}
    for group in groups:
        values.update(dict.fromkeys(group))
    return tuple(values)


#: Text columns of the bundle whose values are nonetheless coded (dropdowns in REDCap).
_CODED_TEXT: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("findings", "value"): _union(FINDING_VALUES.values()),
    ("drug_assessments", "item"): _union(ASSESSMENT_ANSWERS.values()),
    ("drug_assessments", "answer"): _union(
        answers for items in ASSESSMENT_ANSWERS.values() for answers in items.values()
    ),
}


def _build_fields() -> tuple[_Field, ...]:
    fields = []
    for form in _FORMS:
        for column in TABLES[form.table]:
            if column.name == "patient_id":
                continue  # the record id
            choices = column.codes or _CODED_TEXT.get((form.table, column.name), ())
            fields.append(_Field(f"{form.prefix}_{column.name}", form, column, choices))
    return tuple(fields)


_FIELDS: Final = _build_fields()
_FIELD_BY_NAME: Final = {field.name: field for field in _FIELDS}
_COMPLETE: Final = {f"{form.name}_complete": form for form in _FORMS}


# --- labels ----------------------------------------------------------------------------------

_LABELS: Final[Mapping[str, str]] = {
    "atc_code": "ATC code",
    "dress": "DRESS",
    "sjs_ten": "SJS/TEN",
    "agep": "AGEP",
    "iv": "IV",
    "sc": "SC",
    "im": "IM",
    "ivig": "IVIG",
    "naranjo": "Naranjo",
    "who-umc": "WHO-UMC",
    "il4_il13_cd4_raised": "IL-4/IL-13-producing CD4+ T cells raised",
    "hhv6_reactivation": "HHV-6 reactivation",
    "time": "Time (HH:MM)",
}

_NOTES: Final[Mapping[str, str]] = {
    "obs_value": "In the canonical unit of the code (obs_unit).",
    "obs_unit": "UCUM unit, e.g. Cel, 10*9/L, U/L, mg/dL, kg.",
    "obs_text": "Qualitative result (positive/negative) for codes that take one.",
    "trt_dose": "Per trt_dose_unit; steroid doses in mg/d.",
    "trt_end_date": "Last day, inclusive; empty = still given at the last follow-up.",
    "dex_drug": "Lower-case generic name.",
    "fnd_detail": "Per code: test for other_cause_test, site for lymph_nodes.",
}


def _label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    if name in OBSERVATION_CODES:
        return OBSERVATION_CODES[name].label
    return name.replace("_", " ").capitalize()


def _bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_VALIDATION: Final[Mapping[str, str]] = {
    "date": "date_ymd",
    "time": "time",
    "number": "number",
    "integer": "integer",
}


def redcap_data_dictionary() -> pl.DataFrame:
    """Return the REDCap data dictionary of the dresskit project (one row per field).

    Every cell is text (empty = null). Coded columns are ``dropdown`` fields whose choices
    read ``code, label | code, label``; dates are validated ``date_ymd``, times ``time``
    (HH:MM), numbers ``number`` or ``integer`` with the column's bounds as min and max.
    ``Identifier?`` is ``y`` for the direct identifiers: the record id (patient id) and the
    episode ids. Dates are not flagged: REDCap de-identifies them with its own date options.

    Returns
    -------
    polars.DataFrame
        Columns :data:`DATA_DICTIONARY_HEADER`, in that order.

    References
    ----------
    .. [1] REDCap online help, "Data Dictionary" (18-column CSV layout, field types and
       validation types; Vanderbilt University, https://projectredcap.org).

    Examples
    --------
    >>> dictionary = redcap_data_dictionary()
    >>> dictionary.row(0)[:5]
    ('record_id', 'patient', None, 'text', 'Patient ID')
    """
    rows: list[tuple[str | None, ...]] = [
        _dictionary_row(
            RECORD_ID,
            "patient",
            "text",
            "Patient ID",
            identifier=True,
            required=True,
            annotation="dresskit: patients.patient_id",
        )
    ]
    for field in _FIELDS:
        column = field.column
        choices = None
        field_type = "text"
        if field.choices:
            field_type = "dropdown"
            choices = " | ".join(f"{_raw_value(c)}, {_label(c)}" for c in field.choices)
        low = high = None
        if column.bounds is not None:
            low, high = (_bound(v) for v in column.bounds)
        rows.append(
            _dictionary_row(
                field.name,
                field.form.name,
                field_type,
                _label(column.name),
                choices=choices,
                note=_NOTES.get(field.name),
                validation=_VALIDATION.get(column.kind),
                low=low,
                high=high,
                identifier=column.name == "episode_id",
                required=column.required,
                annotation=f"dresskit: {field.form.table}.{column.name}",
            )
        )
    return pl.DataFrame(rows, schema=dict.fromkeys(DATA_DICTIONARY_HEADER, pl.Utf8), orient="row")


def _dictionary_row(
    name: str,
    form: str,
    field_type: str,
    label: str,
    *,
    choices: str | None = None,
    note: str | None = None,
    validation: str | None = None,
    low: str | None = None,
    high: str | None = None,
    identifier: bool = False,
    required: bool = False,
    annotation: str | None = None,
) -> tuple[str | None, ...]:
    return (
        name,
        form,
        None,  # section header
        field_type,
        label,
        choices,
        note,
        validation,
        low,
        high,
        "y" if identifier else None,
        None,  # branching logic
        "y" if required else None,
        None,  # custom alignment
        None,  # question number
        None,  # matrix group
        None,  # matrix ranking
        annotation,
    )


# --- export ----------------------------------------------------------------------------------


def _decimal_text(series: pl.Series) -> pl.Series:
    """Write floats as REDCap ``number`` accepts them: '.' decimals, no exponent, no '.0'."""
    text = series.cast(pl.Utf8).str.replace(r"\.0$", "")
    exponent = text.str.contains("e", literal=True).fill_null(False)
    if exponent.any():
        positions = exponent.arg_true()
        values = [np.format_float_positional(series[int(i)], trim="-") for i in positions.to_list()]
        text = text.scatter(positions, values)
    return text.alias(series.name)


def _text_table(frame: pl.DataFrame) -> pl.DataFrame:
    floats = [name for name, dtype in frame.schema.items() if dtype == pl.Float64]
    text = _as_text(frame)
    if floats:
        text = text.with_columns([_decimal_text(frame.get_column(name)) for name in floats])
    return text


def _bundle_tables(bundle: Bundle) -> dict[str, pl.DataFrame]:
    return {
        form.table: _text_table(
            getattr(bundle, form.table).select([c.name for c in TABLES[form.table]])
        )
        for form in _FORMS
    }


def redcap_export(bundle: Bundle) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Export a bundle as REDCap records (repeating instruments) and its data dictionary.

    Parameters
    ----------
    bundle
        A validated bundle; it is not modified.

    Returns
    -------
    tuple of polars.DataFrame
        ``(records, data_dictionary)``. ``records`` has ``record_id`` (the patient id),
        ``redcap_repeat_instrument``, ``redcap_repeat_instance``, then every field of the
        dictionary form by form, each form followed by its ``<form>_complete`` status; every
        cell is text. Write both with :meth:`polars.DataFrame.write_csv` for REDCap's
        "Data Import Tool" and "Data Dictionary" upload.

    References
    ----------
    .. [1] REDCap online help, "Data Dictionary" and "Repeating instruments and events"
       (Vanderbilt University, https://projectredcap.org).

    Examples
    --------
    >>> from pathlib import Path
    >>> import dresskit
    >>> from dresskit.registry.bundle_files import read_bundle
    >>> examples = Path(dresskit.__file__).parents[2] / "examples"  # in a source checkout
    >>> records, dictionary = redcap_export(read_bundle(examples / "shen2024"))
    >>> records.select("record_id", "redcap_repeat_instrument", "redcap_repeat_instance").row(1)
    ('SHENP', 'episode', '1')
    """
    tables = _bundle_tables(bundle)
    records = tables["patients"].select(
        pl.col("patient_id"), pl.int_range(pl.len(), dtype=pl.Int64).alias("__record")
    )
    episode_patient = tables["episodes"].select("episode_id", "patient_id")
    parts = []
    for number, form in enumerate(_FORMS):
        frame = tables[form.table].with_row_index("__position")
        if form.table not in ("patients", "episodes"):
            frame = frame.join(episode_patient, on="episode_id", how="left")
        frame = frame.join(records, on="patient_id", how="left").sort("__position")
        renamed = [
            pl.col(field.column.name).replace(field.to_redcap).alias(field.name)
            if field.to_redcap
            else pl.col(field.column.name).alias(field.name)
            for field in _FIELDS
            if field.form is form
        ]
        instance = (
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("patient_id")
            if form.repeating
            else pl.lit(None, dtype=pl.Int64)
        )
        parts.append(
            frame.select(
                pl.col("patient_id").alias(RECORD_ID),
                pl.lit(form.name if form.repeating else None, dtype=pl.Utf8).alias(
                    REPEAT_INSTRUMENT
                ),
                instance.alias("__instance"),
                *renamed,
                pl.lit("2").alias(f"{form.name}_complete"),
                pl.col("__record"),
                pl.lit(number, dtype=pl.Int64).alias("__form"),
            )
        )
    columns = [RECORD_ID, REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    for form in _FORMS:
        columns += [field.name for field in _FIELDS if field.form is form]
        columns.append(f"{form.name}_complete")
    combined = pl.concat(parts, how="diagonal").sort(
        ["__record", "__form", "__instance"], nulls_last=False, maintain_order=True
    )
    records_frame = combined.with_columns(
        pl.col("__instance").cast(pl.Utf8).alias(REPEAT_INSTANCE)
    ).select([pl.col(name).cast(pl.Utf8) for name in columns])
    return records_frame, redcap_data_dictionary()


# --- import ----------------------------------------------------------------------------------


class _Problems:
    def __init__(self, source: str, cap: int = 1000) -> None:
        self.source = source
        self.cap = cap
        self.errors: list[InputError] = []
        self.more = 0

    def add(self, row: int | None, field: str, value: object, expected: str) -> None:
        if len(self.errors) < self.cap:
            self.errors.append(InputError(field, value, expected, source=self.source, row=row))
        else:
            self.more += 1

    def rows(self, frame: pl.DataFrame, failing: pl.Expr, field: str, expected: str) -> None:
        bad = frame.filter(failing.fill_null(False))
        value = field if field in bad.columns else _ROW
        for row, got in bad.select(_ROW, value).head(self.cap).iter_rows():
            self.add(row, field, got, expected)
        if bad.height > self.cap:
            self.more += bad.height - self.cap

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        errors = list(self.errors)
        if self.more:
            errors.append(
                InputError(
                    "<records>",
                    f"{self.more} more problem(s)",
                    "fixed as well (the first ones are listed above)",
                    source=self.source,
                )
            )
        raise InputErrors(errors)


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
    text = _as_text(records)
    if floats:
        text = text.with_columns(
            [_decimal_text(records.get_column(n).cast(pl.Float64)) for n in floats]
        )
    return text.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(_ROW),
        *[pl.col(name).replace("", None) for name in text.columns],
    )


def _check_header(columns: list[str], problems: _Problems) -> bool:
    if "redcap_event_name" in columns:
        problems.add(
            None,
            "redcap_event_name",
            "redcap_event_name",
            "absent: the dresskit project is classic (not longitudinal) with repeating instruments",
        )
    for column in columns:
        if column in _KNOWN_COLUMNS or column in (*_IGNORED_SYSTEM_COLUMNS, "redcap_event_name"):
            continue
        problems.add(
            None,
            column,
            column,
            "a field of the dresskit REDCap data dictionary: " + ", ".join(_KNOWN_COLUMNS),
        )
    if RECORD_ID not in columns:
        problems.add(None, RECORD_ID, None, "present: the record id column (the patient id)")
        return False
    return True


def _check_rows(frame: pl.DataFrame, problems: _Problems) -> None:
    instrument, instance = pl.col(REPEAT_INSTRUMENT), pl.col(REPEAT_INSTANCE)
    number = instance.cast(pl.Int64, strict=False)
    repeating = instrument.is_in(list(_REPEATING))
    patient_row = instrument.is_null()
    problems.rows(frame, pl.col(RECORD_ID).is_null(), RECORD_ID, "a record id (the patient id)")
    problems.rows(
        frame,
        instrument.is_not_null() & ~repeating,
        REPEAT_INSTRUMENT,
        "one of the repeating instruments "
        + ", ".join(_REPEATING)
        + " (or empty for the patient form)",
    )
    problems.rows(
        frame,
        repeating & (number.is_null() | (number < 1)),
        REPEAT_INSTANCE,
        "a whole number from 1 (the instance of the repeating instrument)",
    )
    problems.rows(
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
                row,
                name,
                value,
                f"empty on a row of the {form} form ({name} belongs to the {field.form.name} form)",
            )
    for name in frame.columns:
        if name in _COMPLETE:
            problems.rows(
                frame,
                pl.col(name).is_not_null() & ~pl.col(name).is_in(list(_COMPLETE_VALUES)),
                name,
                "a form status: 0 (incomplete), 1 (unverified) or 2 (complete)",
            )
    problems.rows(
        frame,
        repeating
        & number.is_not_null()
        & pl.struct(RECORD_ID, REPEAT_INSTRUMENT, number.alias("__n")).is_duplicated(),
        REPEAT_INSTANCE,
        "unique within the record and instrument (an instance appears more than once)",
    )
    patients = frame.filter(patient_row & pl.col(RECORD_ID).is_not_null())
    problems.rows(
        patients,
        pl.col(RECORD_ID).is_duplicated(),
        RECORD_ID,
        "one patient-form row per record (this record has several)",
    )
    orphans = frame.filter(repeating).join(patients.select(RECORD_ID), on=RECORD_ID, how="anti")
    problems.rows(
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
    problems = _Problems(source)
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
    tables["manifest"] = pl.DataFrame(
        {"key": list(entries), "value": list(entries.values())},
        schema={"key": pl.Utf8, "value": pl.Utf8},
    )
    return _Imported(tables=tables, rows=rows)


def redcap_import(
    records: pl.DataFrame, *, source: str, manifest: Mapping[str, str] | None = None
) -> dict[str, pl.DataFrame]:
    """Turn REDCap records (the layout of :func:`redcap_export`) back into bundle text tables.

    The tables are what :func:`dresskit.course.bundle.validate_tables` takes (every cell text);
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
    >>> from dresskit.registry.bundle_files import read_bundle
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
        return validate_tables(imported.tables, source=source)
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
