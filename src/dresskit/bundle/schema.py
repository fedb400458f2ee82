"""The bundle's tables and columns, declared once (docs/data-format.md, version 1.0).

Validation (:mod:`dresskit.bundle.validation`), the writer and the documentation tests all read
these declarations, so a column is described in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from dresskit.course.codes import OBSERVATION_CODES
from dresskit.course.steroids import EQUIVALENT_DOSE_MG
from dresskit.scoring import naranjo, who_umc

__all__ = [
    "ADMISSION_DAYS_BEFORE_ONSET",
    "ASSESSMENT_ANSWERS",
    "DATA_TABLES",
    "FINDING_VALUES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ID_PATTERN",
    "ID_RULE",
    "OPTIONAL_TABLES",
    "OTHER_CAUSE_TESTS",
    "REQUIRED_TABLES",
    "TABLES",
    "TREATMENT_DOSE_UNITS",
    "Column",
    "manifest_frame",
]

FORMAT_NAME: Final = "dresskit-bundle"

#: Every patient and episode id: 1 to 64 characters, ASCII letters, digits, '.', '_' or '-',
#: beginning with a letter or a digit (so never '.', '..', a hidden name, an option such as
#: '-x', a path separator, a space at either end or a character that compares differently on
#: SQLite and PostgreSQL). Ids are matched exactly (case-sensitive) on both databases. No id
#: ever becomes part of a file path: file names are chosen by dresskit (docs/security.md).
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ID_RULE: Final = (
    "an id of 1 to 64 characters: ASCII letters, digits, '.', '_' or '-', beginning with a "
    "letter or a digit"
)
FORMAT_VERSION: Final = "1.0"

Kind = Literal["text", "id", "code", "date", "time", "number", "integer"]


@dataclass(frozen=True)
class Column:
    """One column of a bundle table.

    Attributes
    ----------
    name
        Header name.
    kind
        ``text``, ``id`` (an identifier matching :data:`ID_PATTERN`), ``code`` (one of
        ``codes``), ``date`` (YYYY-MM-DD), ``time`` (HH:MM), ``number`` (decimal with '.'),
        ``integer``.
    required
        Whether every row needs a value.
    codes
        Accepted values of a code column.
    bounds
        Inclusive range of a number or integer column.
    """

    name: str
    kind: Kind
    required: bool = False
    codes: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None


OTHER_CAUSE_TESTS: Final = (
    "ana",
    "blood_culture",
    "hav",
    "hbv",
    "hcv",
    "chlamydia",
    "mycoplasma",
    "other_serology_pcr",
)

#: Accepted ``value`` per finding ``code`` (docs/data-format.md, findings.csv).
FINDING_VALUES: Final[Mapping[str, tuple[str, ...]]] = {
    "rash": ("present", "absent"),
    "rash_feature": ("oedema", "infiltration", "purpura", "scaling"),
    "facial_oedema": ("present", "absent"),
    "mucosal_involvement": ("present", "absent"),
    "lymph_nodes": ("enlarged", "normal"),
    "organ_involvement": ("liver", "kidney", "lung", "heart_muscle", "pancreas", "other"),
    "biopsy": ("suggestive", "not_suggestive"),
    "other_cause_test": ("negative", "positive"),
    "hhv6_reactivation": ("present", "absent"),
    "steroid_adverse_effect": ("present", "absent"),
    "il4_il13_cd4_raised": ("present", "absent"),
}

#: Accepted ``dose_unit`` per treatment ``kind``.
TREATMENT_DOSE_UNITS: Final[Mapping[str, tuple[str, ...]]] = {
    "steroid": ("mg/d", "mg/kg/d"),
    "ivig": ("g/kg/d", "g/d"),
    "biologic": ("mg",),
    # Other agents (ciclosporin, mycophenolate, adalimumab, plasmapheresis sessions, ...): the
    # UCUM units their doses are written in; a closed list, so that a unit cell can hold
    # nothing but a unit (docs/data-format.md, treatments.csv).
    "other": (
        "mg",
        "g",
        "ug",
        "mg/d",
        "g/d",
        "ug/d",
        "mg/kg",
        "mg/kg/d",
        "g/kg",
        "g/kg/d",
        "mg/m2",
        "mg/wk",
        "[IU]",
        "[IU]/d",
        "mL",
        "{session}",
    ),
}

#: Accepted answers per (instrument, item) for drug_assessments.csv.
ASSESSMENT_ANSWERS: Final[Mapping[str, Mapping[str, tuple[str, ...]]]] = {
    "naranjo": dict.fromkeys(naranjo.QUESTIONS, ("yes", "no", "unknown")),
    "who-umc": dict(who_umc.CHOICES),
}


#: An admission may precede the reaction's onset by this many days at most: the reaction can
#: begin in hospital (docs/data-format.md, episodes.csv).
ADMISSION_DAYS_BEFORE_ONSET: Final = 30

TABLES: Final[Mapping[str, tuple[Column, ...]]] = {
    "manifest": (Column("key", "text", True), Column("value", "text", True)),
    "patients": (
        Column("patient_id", "id", True),
        Column("sex", "code", True, ("female", "male", "other", "unknown")),
        Column("birth_year", "integer", bounds=(1900, 2100)),
        Column("age_years", "integer", bounds=(0, 120)),
    ),
    "episodes": (
        Column("episode_id", "id", True),
        Column("patient_id", "id", True),
        Column(
            "phenotype",
            "code",
            True,
            ("dress", "maculopapular_exanthema", "sjs_ten", "agep", "other"),
        ),
        Column("onset_date", "date", True),
        Column("admission_date", "date"),
        Column(
            "outcome",
            "code",
            True,
            ("recovered", "died", "lost_to_follow_up", "transferred", "ongoing"),
        ),
        Column("last_follow_up_date", "date", True),
        # Required when outcome is 'died', empty otherwise, on or before last_follow_up_date
        # (checked in dresskit.bundle.checks; docs/data-format.md).
        Column("death_date", "date"),
    ),
    "drug_exposures": (
        Column("episode_id", "id", True),
        Column("drug", "text", True),
        Column("atc_code", "text"),
        Column("role", "code", True, ("suspect", "concomitant")),
        Column("start_date", "date"),
        Column("stop_date", "date"),
    ),
    "drug_assessments": (
        Column("episode_id", "id", True),
        Column("drug", "text", True),
        Column("instrument", "code", True, tuple(ASSESSMENT_ANSWERS)),
        Column("item", "text", True),
        Column("answer", "text", True),
    ),
    "observations": (
        Column("episode_id", "id", True),
        Column("date", "date", True),
        Column("time", "time"),
        Column("code", "code", True, tuple(OBSERVATION_CODES)),
        Column("value", "number"),
        Column("unit", "text"),
        Column("text", "text"),
    ),
    "findings": (
        Column("episode_id", "id", True),
        Column("date", "date", True),
        Column("code", "code", True, tuple(FINDING_VALUES)),
        Column("value", "text", True),
        Column("detail", "text"),
    ),
    "treatments": (
        Column("episode_id", "id", True),
        Column("kind", "code", True, tuple(TREATMENT_DOSE_UNITS)),
        Column("agent", "text", True),
        Column("route", "code", codes=("oral", "iv", "sc", "im", "topical")),
        Column("start_date", "date", True),
        Column("end_date", "date"),
        Column("dose", "number", bounds=(0, 100_000)),
        Column("dose_unit", "text"),
        Column("interval_days", "integer", bounds=(1, 365)),
        Column("loading_dose", "number", bounds=(0, 100_000)),
    ),
}

REQUIRED_TABLES: Final = (
    "manifest",
    "patients",
    "episodes",
    "drug_exposures",
    "observations",
    "treatments",
)
OPTIONAL_TABLES: Final = ("drug_assessments", "findings")

#: The tables that hold patients' data (every table but the manifest), in file order.
DATA_TABLES: Final = tuple(name for name in TABLES if name != "manifest")

#: Steroid agents accepted in treatments.csv (the equivalence table, clinical-reference §8).
STEROID_AGENTS: Final = tuple(EQUIVALENT_DOSE_MG)


def manifest_frame(entries: Mapping[str, str]) -> pl.DataFrame:
    """Return manifest entries as the ``manifest`` table: one ``key``, ``value`` row each."""
    return pl.DataFrame(
        {"key": list(entries), "value": list(entries.values())},
        schema={"key": pl.Utf8, "value": pl.Utf8},
    )
