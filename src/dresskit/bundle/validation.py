"""Validate a bundle's raw tables column-wise and hold the result; build patient courses.

:func:`validate_tables` takes the tables as read (every cell a string) and checks every rule
of ``docs/data-format.md`` with polars expressions, so that millions of observation rows are
validated in seconds. Every problem becomes an :class:`~dresskit.errors.InputError` naming the
file, the 1-based data row, the column, the raw value and what is accepted; if there is any,
:class:`~dresskit.errors.InputErrors` lists them all and nothing is returned. Unit
conversions are computed once per accepted (code, unit) pair through pint and applied to the
whole column.

A valid :class:`Bundle` holds typed tables in canonical units and builds
:class:`~dresskit.course.model.PatientCourse` objects on demand.

The checks live beside this module: :mod:`~dresskit.bundle.problems` collects the
problems, :mod:`~dresskit.bundle.columns` holds the checks every table shares,
:mod:`~dresskit.bundle.checks` the per-table cross checks and
:mod:`~dresskit.bundle.lookups` the episode numbering and unit conversions they use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from dresskit.bundle.checks import (
    _assessments,
    _drug_exposures_check,
    _episodes_check,
    _findings,
    _manifest,
    _observations,
    _treatments_check,
)
from dresskit.bundle.columns import _check_columns, _public, _typed, _unique
from dresskit.bundle.drug_names import canonical_drug_names
from dresskit.bundle.lookups import _EpisodeLookup
from dresskit.bundle.plausibility import check_dates, check_follow_up, check_patients
from dresskit.bundle.problems import ProblemCollector
from dresskit.bundle.schema import (
    ASSESSMENT_ANSWERS,
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    TABLES,
)
from dresskit.course.model import (
    BiologicRegimen,
    DrugExposure,
    DrugRole,
    Episode,
    EpisodeOutcome,
    Finding,
    IvigDose,
    Observation,
    OtherTreatment,
    Patient,
    PatientCourse,
    Phenotype,
    Sex,
    SteroidSegment,
    WeightMeasurement,
)
from dresskit.errors import InputError, InputWarning

__all__ = ["Bundle", "validate_tables"]


@dataclass(frozen=True)
class Bundle:
    """A validated bundle: typed tables, canonical units (see ``docs/data-format.md``).

    ``warnings`` lists the values accepted but worth a second look (implausible but
    possible, drug names read in another form), each with its file, row and reason.
    """

    manifest: Mapping[str, str]
    patients: pl.DataFrame
    episodes: pl.DataFrame
    drug_exposures: pl.DataFrame
    drug_assessments: pl.DataFrame
    observations: pl.DataFrame
    findings: pl.DataFrame
    treatments: pl.DataFrame
    warnings: tuple[InputWarning, ...] = ()

    def episode_ids(self) -> tuple[str, ...]:
        """Return the episode ids, in file order."""
        return tuple(self.episodes.get_column("episode_id").to_list())

    def course(self, episode_id: str) -> PatientCourse:
        """Return the course of one episode.

        Raises
        ------
        InputError
            When the bundle has no such episode; the message lists a few that exist.
        """
        if episode_id not in self.episode_ids():
            known = ", ".join(self.episode_ids()[:5])
            raise InputError("episode_id", episode_id, f"an episode of the bundle (e.g. {known})")
        frames = {
            name: frame.filter(pl.col("episode_id") == episode_id)
            for name, frame in self._episode_tables().items()
        }
        tables: dict[str, Any] = {
            name: frame if name == "observations" else frame.rows(named=True)
            for name, frame in frames.items()
        }
        episode_row = self.episodes.filter(pl.col("episode_id") == episode_id).row(0, named=True)
        patient_row = self.patients.filter(pl.col("patient_id") == episode_row["patient_id"]).row(
            0, named=True
        )
        return _build_course(
            episode_id,
            tables,
            _weights_by_patient(_weights(self)),
            episode_row,
            patient_row,
        )

    def courses(self) -> Iterator[PatientCourse]:
        """Yield every episode's course, partitioning each table once."""
        # Observations (millions of rows) are partitioned by polars and turned into objects one
        # course at a time; the small tables are grouped once as row dictionaries.
        observations = self.observations.partition_by("episode_id", as_dict=True)
        no_observations = self.observations.clear()
        small: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for name, frame in self._episode_tables().items():
            if name == "observations":
                continue
            grouped: dict[str, list[dict[str, Any]]] = {}
            for row in frame.rows(named=True):
                grouped.setdefault(row["episode_id"], []).append(row)
            small[name] = grouped
        weights = _weights_by_patient(_weights(self))
        # One pass over the small tables instead of a lookup per course.
        episode_rows = {row["episode_id"]: row for row in self.episodes.iter_rows(named=True)}
        patient_rows = {row["patient_id"]: row for row in self.patients.iter_rows(named=True)}
        for episode_id in self.episode_ids():
            tables: dict[str, Any] = {
                name: grouped.get(episode_id, []) for name, grouped in small.items()
            }
            tables["observations"] = observations.get((episode_id,), no_observations)
            episode_row = episode_rows[episode_id]
            yield _build_course(
                episode_id,
                tables,
                weights,
                episode_row,
                patient_rows[episode_row["patient_id"]],
            )

    def _episode_tables(self) -> dict[str, pl.DataFrame]:
        return {
            "drug_exposures": self.drug_exposures,
            "drug_assessments": self.drug_assessments,
            "observations": self.observations,
            "findings": self.findings,
            "treatments": self.treatments,
        }


# --- building courses ------------------------------------------------------------------------


def _weights_by_patient(frame: pl.DataFrame) -> dict[str, list[tuple[date, float]]]:
    grouped: dict[str, list[tuple[date, float]]] = {}
    for patient_id, on, kg in frame.iter_rows():
        grouped.setdefault(patient_id, []).append((on, kg))
    return grouped


def _weights(bundle: Bundle) -> pl.DataFrame:
    """Every weight observation with its patient (weights follow the patient, not the episode)."""
    return (
        bundle.observations.filter(pl.col("code") == "weight")
        .join(bundle.episodes.select("episode_id", "patient_id"), on="episode_id")
        .select("patient_id", "date", "value")
        .sort("date")
    )


def _build_course(
    episode_id: str,
    tables: Mapping[str, Any],
    weights_by_patient: Mapping[str, list[tuple[date, float]]],
    episode_row: Mapping[str, Any],
    patient_row: Mapping[str, Any],
) -> PatientCourse:
    patient_id = episode_row["patient_id"]
    weights = weights_by_patient.get(patient_id, [])
    patient = Patient(
        patient_id=patient_id,
        sex=Sex(patient_row["sex"]),
        birth_year=patient_row["birth_year"],
        age_years=patient_row["age_years"],
        weights=tuple(WeightMeasurement(on, kg) for on, kg in weights),
    )
    episode = Episode(
        episode_id=episode_id,
        patient_id=patient_id,
        phenotype=Phenotype(episode_row["phenotype"]),
        onset=episode_row["onset_date"],
        outcome=EpisodeOutcome(episode_row["outcome"]),
        last_follow_up=episode_row["last_follow_up_date"],
        admission=episode_row["admission_date"],
        death=episode_row.get("death_date"),
    )
    assessments: dict[tuple[str, str], dict[str, str]] = {}
    for row in tables["drug_assessments"]:
        assessments.setdefault((row["drug"], row["instrument"]), {})[row["item"]] = row["answer"]
    drugs = tuple(
        DrugExposure(
            episode_id=episode_id,
            drug=row["drug"],
            role=DrugRole(row["role"]),
            start=row["start_date"],
            stop=row["stop_date"],
            atc_code=row["atc_code"],
            naranjo=_complete(assessments.get((row["drug"], "naranjo")), "naranjo"),
            who_umc=_complete(assessments.get((row["drug"], "who-umc")), "who-umc"),
        )
        for row in tables["drug_exposures"]
    )
    observations = tuple(
        Observation(episode_id, on, code, value, unit, at, text)
        for on, at, code, value, unit, text in tables["observations"]
        .select("date", "time", "code", "value", "unit", "text")
        .rows()
    )
    findings = tuple(
        Finding(episode_id, row["date"], row["code"], row["value"], row["detail"])
        for row in tables["findings"]
    )
    steroids, ivig, biologics, others = _treatments(episode_id, tables["treatments"])
    return PatientCourse(
        patient=patient,
        episode=episode,
        drugs=drugs,
        observations=observations,
        findings=findings,
        steroids=steroids,
        ivig=ivig,
        biologics=biologics,
        other_treatments=others,
    )


def _complete(answers: dict[str, str] | None, instrument: str) -> dict[str, str] | None:
    """Keep an instrument's answers only when every item is present."""
    if answers is None or set(answers) != set(ASSESSMENT_ANSWERS[instrument]):
        return None
    return answers


def _treatments(
    episode_id: str, rows: list[dict[str, Any]]
) -> tuple[
    tuple[SteroidSegment, ...],
    tuple[IvigDose, ...],
    tuple[BiologicRegimen, ...],
    tuple[OtherTreatment, ...],
]:
    steroids, ivig, biologics, others = [], [], [], []
    for row in rows:
        kind = row["kind"]
        if kind == "steroid":
            steroids.append(
                SteroidSegment(
                    episode_id,
                    row["agent"],
                    row["route"] or "",
                    row["start_date"],
                    row["end_date"],
                    row["dose"],
                )
            )
        elif kind == "ivig":
            last = row["end_date"] or row["start_date"]
            for offset in range((last - row["start_date"]).days + 1):
                on = date.fromordinal(row["start_date"].toordinal() + offset)
                per_kg = row["dose_unit"] == "g/kg/d"
                ivig.append(
                    IvigDose(
                        episode_id,
                        on,
                        dose_g_per_kg=row["dose"] if per_kg else None,
                        dose_g=None if per_kg else row["dose"],
                    )
                )
        elif kind == "biologic":
            biologics.append(
                BiologicRegimen(
                    episode_id,
                    row["agent"],
                    row["start_date"],
                    row["dose"],
                    row["interval_days"],
                    end=row["end_date"],
                    loading_dose_mg=row["loading_dose"],
                )
            )
        else:
            others.append(
                OtherTreatment(
                    episode_id,
                    row["agent"],
                    row["start_date"],
                    row["end_date"],
                    dose=row["dose"],
                    dose_unit=row["dose_unit"],
                )
            )
    return tuple(steroids), tuple(ivig), tuple(biologics), tuple(others)


# --- validation ------------------------------------------------------------------------------


def validate_tables(
    tables: Mapping[str, pl.DataFrame],
    *,
    source: str,
    today: date | None = None,
    max_errors: int = 1000,
    file_of: Callable[[str], str] | None = None,
    consume: bool = False,
) -> Bundle:
    """Validate a bundle's raw tables and return the typed :class:`Bundle`.

    Parameters
    ----------
    tables
        File stem (``"patients"``, ...) -> frame as read, every cell a string (or null).
    source
        The bundle's path, used in every error's location.
    today
        The day of validation: no date of the bundle may be later. ``None`` skips that one
        check (the core keeps no clock: readers at the edges pass the date).
    max_errors
        Report at most this many problems (and count the rest), and as many warnings.
    file_of
        How an error names the place of a table (default ``"{source}/{table}.csv"``); the
        registry names its own tables.
    consume
        Remove each table from ``tables`` (a mutable mapping) once it is typed, so that the
        text of a large bundle is freed as validation goes instead of held to the end (the
        text columns of ten million observations take about 0.7 GB). The caller's mapping
        is left empty.

    Returns
    -------
    Bundle
        The typed tables in canonical units, with :attr:`Bundle.warnings`: values accepted but
        worth a second look (implausible but possible, names read in another form).

    Raises
    ------
    InputErrors
        Every problem found, each with file, row, column, value and what is accepted.

    References
    ----------
    .. [1] docs/data-format.md (every rule and limit); :mod:`dresskit.bundle.plausibility`.
    """
    problems = ProblemCollector(source, max_errors, file_of=file_of)
    for name in REQUIRED_TABLES:
        if name not in tables:
            problems.add(name, None, "<file>", f"{name}.csv", "present: a required file")
    for name in tables:
        if name not in TABLES:
            problems.add(
                name,
                None,
                "<file>",
                f"{name}.csv",
                "one of the bundle's files: " + ", ".join(TABLES),
            )
    raw: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        frame = tables.get(name)
        if frame is None:
            if name in OPTIONAL_TABLES:
                frame = pl.DataFrame(schema={c.name: pl.Utf8 for c in TABLES[name]})
            else:
                continue
        checked = _check_columns(name, frame, problems)
        if checked is not None:
            raw[name] = checked
    problems.raise_if_any()
    owned = tables if consume and isinstance(tables, MutableMapping) else None
    if consume and owned is None:
        raise TypeError("consume=True needs a mutable mapping of tables")
    typed: dict[str, pl.DataFrame] = {}
    for name in list(raw):
        # Typed one table at a time, its text dropped at once (see ``consume``).
        if owned is not None:
            owned.pop(name, None)
        typed[name] = _typed(name, raw.pop(name), problems)
    if owned is not None:
        owned.clear()
    typed = canonical_drug_names(typed, problems)
    manifest = _manifest(typed["manifest"], problems)
    patients, episodes = typed["patients"], typed["episodes"]
    _unique("patients", patients, ["patient_id"], problems, "patient_id")
    _episodes_check(episodes, patients, problems)
    check_dates(typed, today, problems)
    check_patients(patients, episodes, problems)
    check_follow_up(episodes, problems)
    lookup = _EpisodeLookup.of(episodes)
    exposures = typed["drug_exposures"]
    _drug_exposures_check(exposures, episodes, lookup, problems)
    _assessments(typed["drug_assessments"], exposures, problems)
    observations = _observations(typed["observations"], lookup, problems)
    _findings(typed["findings"], lookup, problems)
    treatments = _treatments_check(typed["treatments"], episodes, lookup, observations, problems)
    problems.raise_if_any()
    return Bundle(
        manifest=manifest,
        patients=_public(patients, "patients"),
        episodes=_public(episodes, "episodes"),
        drug_exposures=_public(exposures, "drug_exposures"),
        drug_assessments=_public(typed["drug_assessments"], "drug_assessments"),
        observations=observations,
        findings=_public(typed["findings"], "findings"),
        treatments=treatments,
        warnings=problems.collected_warnings(),
    )
