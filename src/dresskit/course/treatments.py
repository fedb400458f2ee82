"""Treatments other than steroid doses: IVIG totals, biologic dose schedules, index events.

An *index event* is the day 0 that outcomes are counted from: the first dose of an agent
(``"ivig"``, ``"steroid"``, a biologic or other agent by name), the reaction ``"onset"`` or
``"admission"``.

References
----------
.. [1] clinical-reference.md §9.1 (IVIG stored as dose per day, total derived; DRESS totals
   1-2 g/kg), §9.2 (dupilumab 600 mg loading then 300 mg every other week), §10 (day 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dresskit.course.model import BiologicRegimen, PatientCourse
from dresskit.errors import InputError

__all__ = [
    "BiologicDose",
    "IvigTotal",
    "biologic_doses",
    "index_date",
    "index_events",
    "ivig_total",
]


@dataclass(frozen=True)
class IvigTotal:
    """Total IVIG of an episode.

    ``g_per_kg`` is ``None`` when a dose was recorded in grams and no weight was known by
    that day; ``grams`` is ``None`` when a per-kg dose has no weight to convert it.
    """

    days: int
    g_per_kg: float | None
    grams: float | None
    first_day: date | None
    remarks: tuple[str, ...]


def ivig_total(course: PatientCourse) -> IvigTotal:
    """Sum the IVIG doses of an episode in g/kg and in grams, where the weight allows.

    Examples
    --------
    >>> from datetime import date
    >>> from dresskit.course.model import (Episode, EpisodeOutcome, IvigDose, Patient,
    ...     PatientCourse, Phenotype, Sex, WeightMeasurement)
    >>> patient = Patient("p", Sex.MALE, weights=(WeightMeasurement(date(2020, 1, 1), 70),))
    >>> episode = Episode("e", "p", Phenotype.DRESS, date(2020, 1, 1), EpisodeOutcome.RECOVERED,
    ...                   date(2020, 3, 1))
    >>> doses = tuple(IvigDose("e", date(2020, 1, 10 + d), dose_g_per_kg=0.4) for d in range(5))
    >>> total = ivig_total(PatientCourse(patient, episode, ivig=doses))
    >>> total.days, total.g_per_kg, total.grams
    (5, 2.0, 140.0)
    """
    per_kg: float | None = 0.0
    grams: float | None = 0.0
    unweighed_per_kg: list[date] = []
    unweighed_grams: list[date] = []
    for dose in sorted(course.ivig, key=lambda item: item.on):
        weight = course.patient.weight_on(dose.on)
        if dose.dose_g_per_kg is not None:
            per_kg = None if per_kg is None else per_kg + dose.dose_g_per_kg
            if weight is None:
                grams = None
                unweighed_per_kg.append(dose.on)
            elif grams is not None:
                grams += dose.dose_g_per_kg * weight.kg
        elif dose.dose_g is not None:
            grams = None if grams is None else grams + dose.dose_g
            if weight is None:
                per_kg = None
                unweighed_grams.append(dose.on)
            elif per_kg is not None:
                per_kg += dose.dose_g / weight.kg
    remarks = []
    if unweighed_per_kg:
        remarks.append(
            f"{len(unweighed_per_kg)} dose(s) in g/kg with no weight recorded by then "
            f"(from {min(unweighed_per_kg)}): total grams unknown"
        )
    if unweighed_grams:
        remarks.append(
            f"{len(unweighed_grams)} dose(s) in grams with no weight recorded by then "
            f"(from {min(unweighed_grams)}): total g/kg unknown"
        )
    days = len({dose.on for dose in course.ivig})
    return IvigTotal(
        days=days,
        g_per_kg=None if per_kg is None or not days else round(per_kg, 3),
        grams=None if grams is None or not days else round(grams, 1),
        first_day=min((dose.on for dose in course.ivig), default=None),
        remarks=tuple(remarks),
    )


@dataclass(frozen=True)
class BiologicDose:
    """One administration of a biologic, expanded from its regimen."""

    agent: str
    on: date
    dose_mg: float
    loading: bool


def biologic_doses(regimen: BiologicRegimen, *, last_day: date) -> tuple[BiologicDose, ...]:
    """Expand a regimen into its administrations up to ``regimen.end`` or ``last_day``.

    The loading dose (when given) replaces the first maintenance dose on the start day, as
    in the dupilumab label (600 mg on day 1, then 300 mg every other week).

    Examples
    --------
    >>> from datetime import date
    >>> regimen = BiologicRegimen("e", "dupilumab", date(2022, 3, 1), 300, 14,
    ...                           end=date(2022, 6, 20), loading_dose_mg=600)
    >>> doses = biologic_doses(regimen, last_day=date(2022, 8, 1))
    >>> len(doses), doses[0].dose_mg, doses[1].on, doses[-1].on
    (8, 600.0, datetime.date(2022, 3, 15), datetime.date(2022, 6, 7))
    """
    if regimen.interval_days <= 0:
        raise InputError("interval_days", regimen.interval_days, "a whole number of days >= 1")
    stop = min(regimen.end, last_day) if regimen.end is not None else last_day
    doses = []
    day = regimen.start
    while day <= stop:
        loading = day == regimen.start and regimen.loading_dose_mg is not None
        dose = regimen.loading_dose_mg if loading else regimen.maintenance_dose_mg
        doses.append(BiologicDose(regimen.agent, day, float(dose or 0), loading))
        day += timedelta(days=regimen.interval_days)
    return tuple(doses)


def index_events(course: PatientCourse) -> dict[str, date]:
    """Return every index event the course supports, by name, with its date."""
    events: dict[str, date] = {"onset": course.episode.onset}
    if course.episode.admission is not None:
        events["admission"] = course.episode.admission
    if course.steroids:
        events["steroid"] = min(segment.start for segment in course.steroids)
    if course.ivig:
        events["ivig"] = min(dose.on for dose in course.ivig)
    for regimen in course.biologics:
        events[regimen.agent] = min(events.get(regimen.agent, regimen.start), regimen.start)
    for treatment in course.other_treatments:
        events[treatment.agent] = min(events.get(treatment.agent, treatment.start), treatment.start)
    return events


def index_date(course: PatientCourse, index: str) -> date:
    """Return day 0 for ``index`` (``"ivig"``, ``"steroid"``, ``"onset"``, an agent name ...).

    Raises
    ------
    InputError
        When the course has no such event; the message lists those it has.
    """
    events = index_events(course)
    try:
        return events[index]
    except KeyError:
        raise InputError(
            "index",
            index,
            f"an index event of episode {course.episode.episode_id}: " + ", ".join(events),
        ) from None
