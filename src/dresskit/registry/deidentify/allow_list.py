"""The allow-list of the de-identified export: every column, what it is, what it may hold.

A column not listed in :data:`EXPORTED_COLUMNS` is never exported, and every text cell of a
listed column is checked against its kind (:func:`check_allow_list`) before anything is
written: a cell outside it stops the export as a bug in dresskit, never a leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import polars as pl

from dresskit.bundle.drugs import (
    UNLISTED_DRUG,
    known_atc_codes,
    vocabulary,
)
from dresskit.bundle.schema import (
    ASSESSMENT_ANSWERS,
    FINDING_VALUES,
    FORMAT_VERSION,
    OTHER_CAUSE_TESTS,
    STEROID_AGENTS,
    TABLES,
    TREATMENT_DOSE_UNITS,
)
from dresskit.course.codes import OBSERVATION_CODES, UNIT_ENUM
from dresskit.errors import ConfigurationError
from dresskit.registry.deidentify.tables import FORMAT_NAME, DateMode, DeidentifiedTables

__all__ = [
    "DATE_COLUMNS",
    "DOSE_UNITS",
    "EXPORTED_COLUMNS",
    "OBSERVATION_TEXT",
    "TABLE_ORDER",
    "ExportKind",
    "check_allow_list",
    "day_name",
    "exported_name",
]

DATE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "episodes": ("onset_date", "admission_date", "last_follow_up_date", "death_date"),
    "drug_exposures": ("start_date", "stop_date"),
    "observations": ("date",),
    "findings": ("date",),
    "treatments": ("start_date", "end_date"),
}


ExportKind = Literal["pseudonym", "code", "drug", "atc", "date", "time", "number", "age"]

#: The allow-list: every column an export holds, by table, and what it is. A column not listed
#: is never exported; every text cell of a listed column is checked against its kind before
#: anything is written (:func:`deidentify` fails rather than export a cell outside it). Date
#: columns are named here as in the bundle; relative exports rename them ``*_day``.
EXPORTED_COLUMNS: Final[Mapping[str, Mapping[str, ExportKind]]] = {
    "manifest": {"key": "code", "value": "code"},
    "patients": {
        "patient_id": "pseudonym",
        "sex": "code",
        "age_years": "age",
        "age_basis": "code",
    },
    "episodes": {
        "episode_id": "pseudonym",
        "patient_id": "pseudonym",
        "phenotype": "code",
        "onset_date": "date",
        "admission_date": "date",
        "outcome": "code",
        "last_follow_up_date": "date",
        # A date of death is a date like any other here (HIPAA Safe Harbor lists it among
        # the dates to remove): relative to onset or shifted with the patient's offset.
        "death_date": "date",
    },
    "drug_exposures": {
        "episode_id": "pseudonym",
        "drug": "drug",
        "atc_code": "atc",
        "role": "code",
        "start_date": "date",
        "stop_date": "date",
    },
    "drug_assessments": {
        "episode_id": "pseudonym",
        "drug": "drug",
        "instrument": "code",
        "item": "code",
        "answer": "code",
    },
    "observations": {
        "episode_id": "pseudonym",
        "date": "date",
        "time": "time",
        "code": "code",
        "value": "number",
        "unit": "code",
        "text": "code",
    },
    "findings": {
        "episode_id": "pseudonym",
        "date": "date",
        "code": "code",
        "value": "code",
        "detail": "code",
    },
    "treatments": {
        "episode_id": "pseudonym",
        "kind": "code",
        "agent": "drug",
        "route": "code",
        "start_date": "date",
        "end_date": "date",
        "dose": "number",
        "dose_unit": "code",
        "interval_days": "number",
        "loading_dose": "number",
    },
}
TABLE_ORDER: Final = tuple(name for name in EXPORTED_COLUMNS if name != "manifest")
_ALL_DATE_COLUMNS: Final = frozenset(c for columns in DATE_COLUMNS.values() for c in columns)
OBSERVATION_TEXT: Final = frozenset(
    value for definition in OBSERVATION_CODES.values() for value in definition.text_values
)
DOSE_UNITS: Final = frozenset(unit for units in TREATMENT_DOSE_UNITS.values() for unit in units)


def _codes_of(table: str, column: str) -> frozenset[str]:
    declared = {c.name: c for c in TABLES[table]}
    return frozenset(declared[column].codes)


#: Every value a "code" column may hold.
_ALLOWED_CODES: Final[Mapping[tuple[str, str], frozenset[str]]] = {
    ("manifest", "key"): frozenset({"format", "version", "dates", "synthetic"}),
    ("manifest", "value"): frozenset(
        {FORMAT_NAME, FORMAT_VERSION, "relative", "shifted", "yes", "no"}
    ),
    ("patients", "sex"): _codes_of("patients", "sex"),
    ("patients", "age_basis"): frozenset({"recorded", "birth_year"}),
    ("episodes", "phenotype"): _codes_of("episodes", "phenotype"),
    ("episodes", "outcome"): _codes_of("episodes", "outcome"),
    ("drug_exposures", "role"): _codes_of("drug_exposures", "role"),
    ("drug_assessments", "instrument"): frozenset(ASSESSMENT_ANSWERS),
    ("drug_assessments", "item"): frozenset(
        item for items in ASSESSMENT_ANSWERS.values() for item in items
    ),
    ("drug_assessments", "answer"): frozenset(
        answer
        for items in ASSESSMENT_ANSWERS.values()
        for answers in items.values()
        for answer in answers
    ),
    ("observations", "code"): frozenset(OBSERVATION_CODES),
    ("observations", "unit"): frozenset(UNIT_ENUM.categories.to_list()),
    ("observations", "text"): OBSERVATION_TEXT,
    ("findings", "code"): frozenset(FINDING_VALUES),
    ("findings", "value"): frozenset(v for values in FINDING_VALUES.values() for v in values),
    ("findings", "detail"): frozenset(OTHER_CAUSE_TESTS),
    ("treatments", "kind"): frozenset(TREATMENT_DOSE_UNITS),
    ("treatments", "route"): _codes_of("treatments", "route"),
    ("treatments", "dose_unit"): DOSE_UNITS,
}
_PATTERNS: Final[Mapping[ExportKind, str]] = {
    "pseudonym": r"^[0-9a-f]{16}$",
    "age": r"^([0-9]|[1-8][0-9]|90\+)$",
    "atc": r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$",
    "drug": rf"^{UNLISTED_DRUG}(-[0-9]+)?$",
}
_NOT_TEXT: Final[Mapping[ExportKind, tuple[type[pl.DataType], ...]]] = {
    "date": (pl.Date, pl.Int64, pl.Int32),
    "time": (pl.Time,),
    "number": (pl.Float64, pl.Int64, pl.Int32),
}


def _allowed_drugs() -> frozenset[str]:
    return frozenset(vocabulary()) | frozenset(STEROID_AGENTS) | {"ivig"}


def check_allow_list(export: DeidentifiedTables, dates: DateMode) -> None:
    """Refuse to return an export holding anything outside :data:`EXPORTED_COLUMNS`.

    A failure here is a bug in dresskit (a rule above let a value through), never a user
    error: nothing is written and the message names the table, column and how many cells.
    """
    drugs = _allowed_drugs()
    atc = known_atc_codes()
    for table, frame in export.tables().items():
        declared = EXPORTED_COLUMNS[table]
        expected = [exported_name(column, dates) for column in declared]
        if frame.columns != expected:
            raise ConfigurationError(
                f"de-identified {table} would hold columns {frame.columns}, not the allow-list "
                f"{expected}: nothing was written (a bug in dresskit)"
            )
        for column, (source, kind) in zip(frame.columns, declared.items(), strict=True):
            values = frame.get_column(column)
            if kind in _NOT_TEXT:
                if not isinstance(values.dtype, _NOT_TEXT[kind]) and values.null_count() < len(
                    values
                ):
                    raise ConfigurationError(
                        f"de-identified {table}.{column} would hold {values.dtype} values, not "
                        f"{kind}s: nothing was written (a bug in dresskit)"
                    )
                continue
            text = values.cast(pl.Utf8).drop_nulls().unique()
            if kind == "code":
                bad = text.filter(~text.is_in(list(_ALLOWED_CODES[(table, source)])))
            elif kind == "drug":
                bad = text.filter(~text.is_in(list(drugs)) & ~text.str.contains(_PATTERNS[kind]))
            elif kind == "atc":
                bad = text.filter(~text.is_in(list(atc)))
            else:
                bad = text.filter(~text.str.contains(_PATTERNS[kind]))
            if bad.len():
                raise ConfigurationError(
                    f"de-identified {table}.{column} would hold {bad.len()} value(s) outside its "
                    f"allow-list ({kind}): nothing was written (a bug in dresskit)"
                )


def day_name(column: str) -> str:
    """Return a relative date column's name (``date`` -> ``day``, ``x_date`` -> ``x_day``)."""
    return "day" if column == "date" else column.removesuffix("_date") + "_day"


def exported_name(column: str, dates: DateMode) -> str:
    """Return a column's exported name: ``*_day`` for relative dates, else unchanged."""
    if column in _ALL_DATE_COLUMNS and dates == "relative":
        return day_name(column)
    return column
