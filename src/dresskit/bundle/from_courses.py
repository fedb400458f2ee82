"""Lay out patient courses as the text tables of a bundle: the way back from the model.

:func:`course_tables` writes what :func:`~dresskit.bundle.validation.validate_tables` reads (every
cell text, ``None`` for an empty cell), so a course saved this way and loaded back is the same
course: values are already in the canonical unit of their code and are written with it;
steroid doses as mg/d (the course holds them converted, clinical-reference.md §8); each IVIG
day as one row (consecutive days with the same dose merged); numbers written with Python's
shortest exact ``repr``, so no value changes on the way.

What the model does not hold is not invented: a biologic's route and an "other" treatment's
route are unknown (empty). What the bundle cannot hold is refused rather than dropped: the
free-text ``notes`` of a course, and a patient described differently by two courses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from typing import Final

import polars as pl

from dresskit.bundle.columns import decimal_text
from dresskit.bundle.schema import FORMAT_NAME, FORMAT_VERSION, TABLES, manifest_frame
from dresskit.course.model import IvigDose, PatientCourse
from dresskit.errors import InputError

__all__ = ["course_tables"]

_Cell = str | None
_Row = dict[str, _Cell]
_TIME_FORMAT: Final = "%H:%M"


def _text(value: object) -> _Cell:
    """One cell as the bundle writes it (dates ISO, times HH:MM, numbers exact)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a bundle cell is never a boolean")
    if isinstance(value, float):
        return decimal_text(value)  # the shortest text that reads back as the same float
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime(_TIME_FORMAT)
    return str(value)


def _row(**cells: object) -> _Row:
    return {name: _text(value) for name, value in cells.items()}


def _ivig_rows(episode_id: str, doses: Iterable[IvigDose]) -> list[_Row]:
    """One row per run of consecutive days with the same dose."""
    rows: list[_Row] = []
    runs: list[tuple[date, date, float, str]] = []
    for dose in sorted(doses, key=lambda item: item.on):
        if dose.dose_g_per_kg is not None:
            amount, unit = dose.dose_g_per_kg, "g/kg/d"
        elif dose.dose_g is not None:
            amount, unit = dose.dose_g, "g/d"
        else:
            raise InputError(
                f"ivig[{dose.on.isoformat()}]", None, "a dose in g/kg or in g", source=episode_id
            )
        if runs:
            start, end, last_amount, last_unit = runs[-1]
            if (last_amount, last_unit) == (amount, unit) and dose.on == end + timedelta(days=1):
                runs[-1] = (start, dose.on, amount, unit)
                continue
        runs.append((dose.on, dose.on, amount, unit))
    for start, end, amount, unit in runs:
        rows.append(
            _row(
                episode_id=episode_id,
                kind="ivig",
                agent="ivig",
                route="iv",
                start_date=start,
                end_date=end,
                dose=amount,
                dose_unit=unit,
            )
        )
    return rows


def _treatment_rows(course: PatientCourse) -> list[_Row]:
    episode_id = course.episode.episode_id
    rows = [
        _row(
            episode_id=episode_id,
            kind="steroid",
            agent=segment.agent,
            route=segment.route or None,
            start_date=segment.start,
            end_date=segment.end,
            dose=segment.dose_mg_per_day,
            dose_unit="mg/d",
        )
        for segment in course.steroids
    ]
    rows += _ivig_rows(episode_id, course.ivig)
    rows += [
        _row(
            episode_id=episode_id,
            kind="biologic",
            agent=regimen.agent,
            start_date=regimen.start,
            end_date=regimen.end,
            dose=regimen.maintenance_dose_mg,
            dose_unit="mg",
            interval_days=regimen.interval_days,
            loading_dose=regimen.loading_dose_mg,
        )
        for regimen in course.biologics
    ]
    rows += [
        _row(
            episode_id=episode_id,
            kind="other",
            agent=treatment.agent,
            start_date=treatment.start,
            end_date=treatment.end,
            dose=treatment.dose,
            dose_unit=treatment.dose_unit,
        )
        for treatment in course.other_treatments
    ]
    return rows


def _drug_rows(course: PatientCourse) -> tuple[list[_Row], list[_Row]]:
    exposures, assessments = [], []
    for drug in course.drugs:
        exposures.append(
            _row(
                episode_id=drug.episode_id,
                drug=drug.drug,
                atc_code=drug.atc_code,
                role=drug.role.value,
                start_date=drug.start,
                stop_date=drug.stop,
            )
        )
        for instrument, answers in (("naranjo", drug.naranjo), ("who-umc", drug.who_umc)):
            for item, answer in (answers or {}).items():
                assessments.append(
                    _row(
                        episode_id=drug.episode_id,
                        drug=drug.drug,
                        instrument=instrument,
                        item=item,
                        answer=answer,
                    )
                )
    return exposures, assessments


def _frame(name: str, rows: list[_Row]) -> pl.DataFrame:
    columns = [column.name for column in TABLES[name]]
    return pl.DataFrame(
        {column: [row.get(column) for row in rows] for column in columns},
        schema=dict.fromkeys(columns, pl.Utf8),
    )


def course_tables(
    courses: Iterable[PatientCourse], *, manifest: Mapping[str, str] | None = None
) -> dict[str, pl.DataFrame]:
    """Return the bundle's text tables holding ``courses`` (validate them to get a Bundle).

    ``manifest`` entries are added to ``format`` and ``version``.

    Raises
    ------
    InputError
        For a course with free-text notes (the bundle has no place for them), or a patient
        whose sex or age two courses give differently.
    """
    patients: dict[str, _Row] = {}
    tables: dict[str, list[_Row]] = {name: [] for name in TABLES if name != "manifest"}
    for course in courses:
        episode_id = course.episode.episode_id
        if course.notes:
            raise InputError(
                "notes",
                course.notes[0],
                "no free-text notes: the bundle keeps none (record them as findings or "
                "observation text)",
                source=episode_id,
            )
        patient = course.patient
        row = _row(
            patient_id=patient.patient_id,
            sex=patient.sex.value,
            birth_year=patient.birth_year,
            age_years=patient.age_years,
        )
        known = patients.setdefault(patient.patient_id, row)
        if known != row:
            raise InputError(
                "patient",
                patient.patient_id,
                "the same sex, birth year and age in every course of a patient",
                source=episode_id,
            )
        episode = course.episode
        tables["episodes"].append(
            _row(
                episode_id=episode_id,
                patient_id=episode.patient_id,
                phenotype=episode.phenotype.value,
                onset_date=episode.onset,
                admission_date=episode.admission,
                outcome=episode.outcome.value,
                last_follow_up_date=episode.last_follow_up,
                death_date=episode.death,
            )
        )
        exposures, assessments = _drug_rows(course)
        tables["drug_exposures"] += exposures
        tables["drug_assessments"] += assessments
        tables["observations"] += [
            _row(
                episode_id=episode_id,
                date=observation.on,
                time=observation.at,
                code=observation.code,
                value=observation.value,
                unit=observation.unit if observation.value is not None else None,
                text=observation.text,
            )
            for observation in course.observations
        ]
        tables["findings"] += [
            _row(
                episode_id=episode_id,
                date=finding.on,
                code=finding.code,
                value=finding.value,
                detail=finding.detail,
            )
            for finding in course.findings
        ]
        tables["treatments"] += _treatment_rows(course)
    tables["patients"] = list(patients.values())
    entries = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **(manifest or {})}
    result = {name: _frame(name, rows) for name, rows in tables.items()}
    result["manifest"] = manifest_frame(entries)
    return result
