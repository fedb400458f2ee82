"""One episode's course, summarised: a day-by-day table and everything derived from it.

:func:`summarise_course` gathers, for one :class:`~dresskit.course.model.PatientCourse`, the
daily values a clinician charts (temperature, ALT, eosinophils, itch, rash extent, steroid dose
as prednisone equivalent, IVIG and biologic doses), the outcomes counted from an index event,
the steroid-response classification, the culprit ranking and the diagnostic scores computed
from the course's own data. The CLI and reports render it; it prints nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from dresskit.course.culprit import CulpritAssessment, rank_culprits
from dresskit.course.diagnosis import (
    CourseScore,
    bocquet_from_course,
    jscar_from_course,
    regiscar_from_course,
)
from dresskit.course.model import PatientCourse
from dresskit.course.outcomes import (
    TimeToEvent,
    days_to_alt_normalisation,
    days_to_defervescence,
    days_to_eosinophil_normalisation,
    days_to_rash_resolution,
    days_to_steroid_discontinuation,
    steroid_days_after_index,
    steroid_days_before_index,
)
from dresskit.course.response import SteroidResponse, classify_response
from dresskit.course.steroids import daily_steroid_doses
from dresskit.course.treatments import IvigTotal, biologic_doses, index_date, ivig_total
from dresskit.errors import InputError, InputErrors

__all__ = [
    "COURSE_INSTRUMENTS",
    "CourseDay",
    "CourseSummary",
    "RefusedScore",
    "summarise_course",
    "summary_as_dict",
]

#: Observation codes shown in the daily table, with the aggregate used for several readings.
#: The diagnostic scores of a course: (instrument, name, scorer), in the summary's order.
COURSE_INSTRUMENTS: Final[tuple[tuple[str, str, Callable[[PatientCourse], CourseScore]], ...]] = (
    ("regiscar", "RegiSCAR DRESS validation score", regiscar_from_course),
    ("jscar", "J-SCAR criteria for DIHS", jscar_from_course),
    ("bocquet", "Bocquet criteria for DRESS", bocquet_from_course),
)

_DAILY_MAXIMA = ("temperature",)
_DAILY_LAST = ("alt", "eosinophils", "itch_nrs", "rash_bsa", "total_ige")


@dataclass(frozen=True)
class CourseDay:
    """One calendar day of the course; ``None`` where nothing was recorded that day."""

    on: date
    day: int
    max_temperature_cel: float | None
    alt_u_per_l: float | None
    eosinophils_10e9_per_l: float | None
    itch_nrs: float | None
    rash_bsa_pct: float | None
    total_ige_ku_per_l: float | None
    prednisone_equivalent_mg: float | None
    prednisone_equivalent_mg_per_kg: float | None
    steroid_agents: tuple[str, ...]
    ivig_g_per_kg: float | None
    ivig_g: float | None
    biologics: tuple[str, ...]


@dataclass(frozen=True)
class RefusedScore:
    """An instrument that refused the course's data, with its message (what to correct).

    For instance an eosinophil count that disagrees with the same day's leukocytes and
    percentage (RegiSCAR's consistency check,
    :func:`dresskit.scoring.regiscar.eosinophil_counts_problem`): the episode is summarised
    all the same, this instrument "not scored", as the cohort path does
    (:func:`dresskit.course.vectorised_regiscar.regiscar_table`).
    """

    instrument: str
    name: str
    problem: str


@dataclass(frozen=True)
class CourseSummary:
    """Everything :func:`summarise_course` derives for one episode."""

    course: PatientCourse
    index: str
    index_date: date
    days: tuple[CourseDay, ...]
    outcomes: tuple[TimeToEvent, ...]
    steroid_days_before_index: int | None
    ivig: IvigTotal
    response: SteroidResponse
    scores: tuple[CourseScore, ...]
    culprits: tuple[CulpritAssessment, ...]
    refused_scores: tuple[RefusedScore, ...] = ()


def _daily_values(course: PatientCourse) -> dict[tuple[date, str], float]:
    values: dict[tuple[date, str], float] = {}
    for code in _DAILY_MAXIMA + _DAILY_LAST:
        for observation in course.observations_of(code):
            if observation.value is None:
                continue
            key = (observation.on, code)
            if code in _DAILY_MAXIMA:
                values[key] = max(values.get(key, observation.value), observation.value)
            else:
                values[key] = observation.value  # observations_of is in time order: last wins
    return values


def summarise_course(course: PatientCourse, *, index: str = "ivig") -> CourseSummary:
    """Summarise one episode relative to an index event.

    An instrument that refuses the course's data (:class:`RefusedScore`) leaves the rest of
    the summary standing: it is listed in ``refused_scores`` with its message.

    Parameters
    ----------
    course
        The episode.
    index
        Day 0: ``"ivig"``, ``"steroid"``, ``"onset"``, ``"admission"`` or an agent name.

    Raises
    ------
    dresskit.errors.InputError
        When the course has no such index event.
    """
    day0 = index_date(course, index)
    scores: list[CourseScore] = []
    refused: list[RefusedScore] = []
    for instrument, name, scorer in COURSE_INSTRUMENTS:
        try:
            scores.append(scorer(course))
        except (InputError, InputErrors) as error:
            refused.append(RefusedScore(instrument, name, str(error)))
    values = _daily_values(course)
    steroid_by_day = {day.on: day for day in daily_steroid_doses(course)}
    ivig_by_day: dict[date, tuple[float | None, float | None]] = {}
    for dose in course.ivig:
        ivig_by_day[dose.on] = (dose.dose_g_per_kg, dose.dose_g)
    biologic_by_day: dict[date, list[str]] = {}
    for regimen in course.biologics:
        for administration in biologic_doses(regimen, last_day=course.episode.last_follow_up):
            biologic_by_day.setdefault(administration.on, []).append(
                f"{administration.agent} {administration.dose_mg:g} mg"
            )
    first = min([course.episode.onset, *steroid_by_day, *ivig_by_day, day0])
    last = course.episode.last_follow_up
    days = []
    for offset in range((last - first).days + 1):
        on = first + timedelta(days=offset)
        steroid = steroid_by_day.get(on)
        ivig_per_kg, ivig_grams = ivig_by_day.get(on, (None, None))
        days.append(
            CourseDay(
                on=on,
                day=(on - day0).days,
                max_temperature_cel=values.get((on, "temperature")),
                alt_u_per_l=values.get((on, "alt")),
                eosinophils_10e9_per_l=values.get((on, "eosinophils")),
                itch_nrs=values.get((on, "itch_nrs")),
                rash_bsa_pct=values.get((on, "rash_bsa")),
                total_ige_ku_per_l=values.get((on, "total_ige")),
                prednisone_equivalent_mg=steroid.prednisone_equivalent_mg if steroid else None,
                prednisone_equivalent_mg_per_kg=steroid.mg_per_kg if steroid else None,
                steroid_agents=tuple(f"{agent} {mg:g} mg" for agent, mg in steroid.doses)
                if steroid
                else (),
                ivig_g_per_kg=ivig_per_kg,
                ivig_g=ivig_grams,
                biologics=tuple(biologic_by_day.get(on, ())),
            )
        )
    outcomes = (
        steroid_days_after_index(course, index=index),
        days_to_steroid_discontinuation(course, index=index),
        days_to_defervescence(course, index=index),
        days_to_alt_normalisation(course, index=index),
        days_to_eosinophil_normalisation(course, index=index),
        days_to_rash_resolution(course, index=index),
    )
    return CourseSummary(
        course=course,
        index=index,
        index_date=day0,
        days=tuple(days),
        outcomes=outcomes,
        steroid_days_before_index=steroid_days_before_index(course, index=index),
        ivig=ivig_total(course),
        response=classify_response(course),
        scores=tuple(scores),
        culprits=rank_culprits(course),
        refused_scores=tuple(refused),
    )


def _time_to_event_dict(result: TimeToEvent) -> dict[str, object]:
    return {
        "outcome": result.outcome,
        "days": result.days,
        "observed": result.observed,
        "followed_up_days": result.followed_up_days,
        "censor_reason": result.censor_reason,
        "competing_event": result.competing_event,
        "competing_event_days": result.competing_event_days,
        "event_date": result.event_date.isoformat() if result.event_date else None,
        "definition": result.definition,
        "parameters": dict(result.parameters),
    }


def summary_as_dict(summary: CourseSummary) -> dict[str, object]:
    """Return the summary as JSON-ready data (dates as ISO text, unknown as ``None``)."""
    course = summary.course
    return {
        "episode_id": course.episode.episode_id,
        "patient_id": course.patient.patient_id,
        "phenotype": course.episode.phenotype.value,
        "onset": course.episode.onset.isoformat(),
        "outcome": course.episode.outcome.value,
        "last_follow_up": course.episode.last_follow_up.isoformat(),
        "death_date": course.episode.death.isoformat() if course.episode.death else None,
        "index": summary.index,
        "index_date": summary.index_date.isoformat(),
        "steroid_days_before_index": summary.steroid_days_before_index,
        "ivig_total": {
            "days": summary.ivig.days,
            "g_per_kg": summary.ivig.g_per_kg,
            "grams": summary.ivig.grams,
            "remarks": list(summary.ivig.remarks),
        },
        "outcomes": [_time_to_event_dict(result) for result in summary.outcomes],
        "scores": [
            {
                "instrument": score.result.instrument,
                "total": score.result.total,
                "class": score.result.classification,
                "reachable_total": list(score.result.reachable_total)
                if score.result.reachable_total
                else None,
                "reachable_classes": list(score.result.reachable_classes),
                "unknown_items": list(score.result.unknown_items),
                "items": [
                    {
                        "id": item.id,
                        "answer": item.answer,
                        "points": item.points,
                        "reason": item.reason,
                        "from": list(score.provenance.get(item.id, ())),
                    }
                    for item in score.result.items
                ],
                "reference": score.result.reference.text,
            }
            for score in summary.scores
        ],
        "refused_scores": [
            {"instrument": r.instrument, "name": r.name, "problem": r.problem}
            for r in summary.refused_scores
        ],
        "culprits": [
            {
                "rank": culprit.rank,
                "drug": culprit.drug,
                "role": culprit.role,
                "latency_days": culprit.latency_days,
                "window": culprit.window,
                "notoriety": culprit.notoriety.level if culprit.notoriety else None,
                "naranjo_total": culprit.naranjo.total if culprit.naranjo else None,
                "explanation": culprit.explanation,
            }
            for culprit in summary.culprits
        ],
        "steroid_response": {
            "states": [
                {
                    "name": state.name,
                    "value": state.value,
                    "definition": state.definition,
                    "evidence": list(state.evidence),
                    "remarks": list(state.remarks),
                }
                for state in summary.response.states()
            ],
            "flares": [
                {
                    "date": flare.on.isoformat(),
                    "marker": flare.marker,
                    "before": flare.before,
                    "value": flare.value,
                    "prednisone_equivalent_mg": flare.prednisone_equivalent_mg,
                    "mg_per_kg": flare.mg_per_kg,
                    "during_taper": flare.during_taper,
                    "rule": flare.rule,
                }
                for flare in summary.response.flares
            ],
            "definitions": summary.response.definitions.describe(),
        },
        "days": [
            {
                "date": day.on.isoformat(),
                "day": day.day,
                "max_temperature_cel": day.max_temperature_cel,
                "alt_u_per_l": day.alt_u_per_l,
                "eosinophils_10e9_per_l": day.eosinophils_10e9_per_l,
                "itch_nrs": day.itch_nrs,
                "rash_bsa_pct": day.rash_bsa_pct,
                "total_ige_ku_per_l": day.total_ige_ku_per_l,
                "prednisone_equivalent_mg": day.prednisone_equivalent_mg,
                "prednisone_equivalent_mg_per_kg": day.prednisone_equivalent_mg_per_kg,
                "steroid_agents": list(day.steroid_agents),
                "ivig_g_per_kg": day.ivig_g_per_kg,
                "ivig_g": day.ivig_g,
                "biologics": list(day.biologics),
            }
            for day in summary.days
        ],
    }
