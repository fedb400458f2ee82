"""The patient course: what a clinician records, day by day, for one reaction episode.

Plain frozen values, no behaviour beyond small lookups; derivations live in their own modules
(:mod:`~dresskit.course.steroids`, :mod:`~dresskit.course.outcomes`,
:mod:`~dresskit.course.response`, ...). Every quantity is stored in the canonical unit of its
observation code (:mod:`dresskit.course.codes`); conversions happen when data enter.

Unknown stays unknown: an absent date, dose or value is ``None``, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

__all__ = [
    "BiologicRegimen",
    "DrugExposure",
    "DrugRole",
    "Episode",
    "EpisodeOutcome",
    "Finding",
    "IvigDose",
    "Observation",
    "OtherTreatment",
    "Patient",
    "PatientCourse",
    "Phenotype",
    "Sex",
    "SteroidSegment",
    "WeightMeasurement",
]


class Sex(StrEnum):
    """Sex as recorded (per-sex reference limits use it)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Phenotype(StrEnum):
    """The reaction's clinical phenotype."""

    DRESS = "dress"
    MACULOPAPULAR_EXANTHEMA = "maculopapular_exanthema"
    SJS_TEN = "sjs_ten"
    AGEP = "agep"
    OTHER = "other"


class EpisodeOutcome(StrEnum):
    """How the record of an episode ends; all but ``recovered`` censor later events."""

    RECOVERED = "recovered"
    DIED = "died"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    TRANSFERRED = "transferred"
    ONGOING = "ongoing"


class DrugRole(StrEnum):
    """Whether a drug is suspected of causing the reaction."""

    SUSPECT = "suspect"
    CONCOMITANT = "concomitant"


@dataclass(frozen=True)
class WeightMeasurement:
    """Body weight on a day, in kilograms."""

    on: date
    kg: float


@dataclass(frozen=True)
class Patient:
    """A patient. Age is given either as age at onset or as a birth year (or unknown)."""

    patient_id: str
    sex: Sex
    birth_year: int | None = None
    age_years: int | None = None
    weights: tuple[WeightMeasurement, ...] = ()

    def weight_on(self, day: date) -> WeightMeasurement | None:
        """Return the most recent weight measured on or before ``day`` (``None`` if none).

        Reference: clinical-reference.md §10, "Steroid dose ... using the most recent weight
        on or before that day".
        """
        earlier = [weight for weight in self.weights if weight.on <= day]
        return max(earlier, key=lambda weight: weight.on) if earlier else None


@dataclass(frozen=True)
class Episode:
    """One reaction episode of a patient.

    ``death`` is the date of death: known only when ``outcome`` is ``died``, on or before
    ``last_follow_up`` (docs/data-format.md, ``episodes.death_date``). A death censors every
    later event and competes with it (clinical-reference.md §10).
    """

    episode_id: str
    patient_id: str
    phenotype: Phenotype
    onset: date
    outcome: EpisodeOutcome
    last_follow_up: date
    admission: date | None = None
    death: date | None = None

    @property
    def date_of_death(self) -> date | None:
        """The date of death of a patient who died (``None`` otherwise).

        A registry episode recorded before ``death_date`` existed has no date of death; its
        last follow-up stands for it (the registry warns when it loads such a row).
        """
        if self.outcome is not EpisodeOutcome.DIED:
            return None
        return self.death if self.death is not None else self.last_follow_up


@dataclass(frozen=True)
class DrugExposure:
    """A drug the patient took before or during the episode.

    ``naranjo`` and ``who_umc`` hold the answers to those instruments (canonical item ids)
    when the team has assessed the drug; ``None`` when not assessed.
    """

    episode_id: str
    drug: str
    role: DrugRole
    start: date | None
    stop: date | None = None
    atc_code: str | None = None
    naranjo: Mapping[str, str] | None = None
    who_umc: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Observation:
    """One measured value: a vital sign, laboratory result or clinical rating.

    ``value`` is in the canonical unit of ``code`` (see :mod:`dresskit.course.codes`);
    qualitative results (HHV-6 PCR "positive") are in ``text`` with ``value`` ``None``.
    """

    episode_id: str
    on: date
    code: str
    value: float | None
    unit: str
    at: time | None = None
    text: str | None = None


@dataclass(frozen=True)
class Finding:
    """A clinical finding recorded on a day (rash feature, organ involved, biopsy, test).

    ``code`` names what was looked at (``"facial_oedema"``, ``"organ_involvement"``,
    ``"other_cause_test"``); ``value`` the result (``"present"``, ``"liver"``,
    ``"negative"``); ``detail`` qualifies it (the test's name, the lymph-node site).
    """

    episode_id: str
    on: date
    code: str
    value: str
    detail: str | None = None


@dataclass(frozen=True)
class SteroidSegment:
    """A constant daily dose of one systemic corticosteroid from ``start`` to ``end``.

    Tapers are explicit: each step is a segment. ``end`` is inclusive; ``None`` when the
    segment was still running at the last follow-up.
    """

    episode_id: str
    agent: str
    route: str
    start: date
    end: date | None
    dose_mg_per_day: float


@dataclass(frozen=True)
class IvigDose:
    """Intravenous immunoglobulin given on one day, per kg or in grams (weight may be unknown)."""

    episode_id: str
    on: date
    dose_g_per_kg: float | None = None
    dose_g: float | None = None


@dataclass(frozen=True)
class BiologicRegimen:
    """A biologic given as a loading dose then a maintenance dose at a fixed interval.

    Shen et al. 2024: dupilumab 600 mg loading, then 300 mg every 14 days, for 16 weeks.
    """

    episode_id: str
    agent: str
    start: date
    maintenance_dose_mg: float
    interval_days: int
    end: date | None = None
    loading_dose_mg: float | None = None


@dataclass(frozen=True)
class OtherTreatment:
    """Any other agent (cyclosporine, adalimumab, ...) with its dose as recorded."""

    episode_id: str
    agent: str
    start: date
    end: date | None
    dose: float | None = None
    dose_unit: str | None = None


@dataclass(frozen=True)
class PatientCourse:
    """Everything recorded for one episode of one patient."""

    patient: Patient
    episode: Episode
    drugs: tuple[DrugExposure, ...] = ()
    observations: tuple[Observation, ...] = ()
    findings: tuple[Finding, ...] = ()
    steroids: tuple[SteroidSegment, ...] = ()
    ivig: tuple[IvigDose, ...] = ()
    biologics: tuple[BiologicRegimen, ...] = ()
    other_treatments: tuple[OtherTreatment, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def observations_of(self, code: str) -> tuple[Observation, ...]:
        """Return the observations with ``code``, in time order."""
        chosen = [observation for observation in self.observations if observation.code == code]
        return tuple(sorted(chosen, key=lambda item: (item.on, item.at or time.min)))

    def day_number(self, day: date, index: date) -> int:
        """Return the day number of ``day`` relative to ``index`` (day 0)."""
        return (day - index).days
