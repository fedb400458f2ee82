"""REDCap forms and fields for the bundle tables, and the data dictionary."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from dresskit.bundle.schema import (
    ASSESSMENT_ANSWERS,
    FINDING_VALUES,
    TABLES,
    Column,
)
from dresskit.course.codes import OBSERVATION_CODES

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
