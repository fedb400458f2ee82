"""Systemic corticosteroids: prednisone equivalents, daily doses, cumulative dose, taper steps.

Doses are normalised to prednisone-equivalent mg/day by anti-inflammatory equivalence, and to
mg/kg/day with the most recent weight on or before each day.

Equivalent doses (mg): cortisone 25, hydrocortisone 20, prednisone 5, prednisolone 5,
methylprednisolone 4, triamcinolone 4, dexamethasone 0.75, betamethasone 0.6 (Meikle & Tyler;
0.75 in other tables: a parameter). They do not hold for intra-articular or intramuscular
depot use.

References
----------
.. [1] Meikle AW, Tyler FH. Potency and duration of action of glucocorticoids. Effects of
   hydrocortisone, prednisone and dexamethasone on human pituitary-adrenal function.
   Am J Med. 1977;63(2):200-207.
.. [2] clinical-reference.md §8 (equivalence table, sources S39-S42) and §10 ("Steroid dose").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Final

from dresskit.course.model import PatientCourse, SteroidSegment
from dresskit.errors import InputError

__all__ = [
    "EQUIVALENT_DOSE_MG",
    "SteroidDay",
    "cumulative_prednisone_equivalent_mg",
    "daily_steroid_doses",
    "equivalent_doses",
    "prednisone_equivalent_mg",
    "taper_steps",
]

#: Anti-inflammatory equivalent doses in mg (clinical-reference.md §8; Meikle & Tyler 1977).
EQUIVALENT_DOSE_MG: Final[Mapping[str, float]] = {
    "cortisone": 25.0,
    "hydrocortisone": 20.0,
    "prednisone": 5.0,
    "prednisolone": 5.0,
    "methylprednisolone": 4.0,
    "triamcinolone": 4.0,
    "dexamethasone": 0.75,
    "betamethasone": 0.6,
}

_PREDNISONE_MG: Final = 5.0


def equivalent_doses(*, betamethasone_mg: float = 0.6) -> Mapping[str, float]:
    """Return the equivalence table with the chosen betamethasone value (0.6 or 0.75 mg).

    Sources disagree (0.6 mg [S39][S42], 0.75 mg [S41]); clinical-reference.md §11.
    """
    if betamethasone_mg not in (0.6, 0.75):
        raise InputError("betamethasone_mg", betamethasone_mg, "0.6 or 0.75 (mg)")
    return {**EQUIVALENT_DOSE_MG, "betamethasone": betamethasone_mg}


def prednisone_equivalent_mg(
    agent: str, dose_mg: float, *, table: Mapping[str, float] = EQUIVALENT_DOSE_MG
) -> float:
    """Convert a dose of a systemic corticosteroid to prednisone-equivalent mg.

    Parameters
    ----------
    agent
        Lower-case generic name (``"methylprednisolone"``).
    dose_mg
        The dose in mg.
    table
        Equivalent doses in mg (default :data:`EQUIVALENT_DOSE_MG`).

    Raises
    ------
    InputError
        For an agent not in the table.

    References
    ----------
    Meikle & Tyler 1977; clinical-reference.md §8.

    Examples
    --------
    Shen et al. 2024: methylprednisolone 40 mg/d "equivalent to prednisone 50 mg/d".

    >>> prednisone_equivalent_mg("methylprednisolone", 40)
    50.0
    >>> prednisone_equivalent_mg("dexamethasone", 10)
    66.667
    """
    try:
        equivalent = table[agent]
    except KeyError:
        raise InputError("agent", agent, "a systemic corticosteroid: " + ", ".join(table)) from None
    return round(dose_mg * _PREDNISONE_MG / equivalent, 3)


@dataclass(frozen=True)
class SteroidDay:
    """The systemic corticosteroid given on one calendar day.

    Attributes
    ----------
    on
        The day.
    doses
        ``(agent, mg)`` for each agent given that day.
    prednisone_equivalent_mg
        Sum over agents, prednisone-equivalent mg.
    mg_per_kg
        Prednisone-equivalent mg/kg with the most recent weight on or before the day;
        ``None`` when no weight is known by then.
    weight_kg
        The weight used.
    """

    on: date
    doses: tuple[tuple[str, float], ...]
    prednisone_equivalent_mg: float
    mg_per_kg: float | None
    weight_kg: float | None


def _segment_days(segment: SteroidSegment, last_day: date) -> list[date]:
    end = segment.end if segment.end is not None else last_day
    return [
        segment.start + timedelta(days=offset) for offset in range((end - segment.start).days + 1)
    ]


def daily_steroid_doses(
    course: PatientCourse, *, table: Mapping[str, float] = EQUIVALENT_DOSE_MG
) -> tuple[SteroidDay, ...]:
    """Return one :class:`SteroidDay` per day from the first to the last steroid day.

    Days inside that span with no segment are days without steroid (0 mg, a real zero:
    the record says nothing was given). A segment still running (``end`` ``None``) runs to
    the episode's last follow-up.

    Examples
    --------
    >>> from datetime import date
    >>> from dresskit.course.model import (Episode, EpisodeOutcome, Patient, PatientCourse,
    ...     Phenotype, Sex, SteroidSegment, WeightMeasurement)
    >>> patient = Patient("p1", Sex.FEMALE, weights=(WeightMeasurement(date(2024, 1, 1), 50),))
    >>> episode = Episode("e1", "p1", Phenotype.DRESS, date(2024, 1, 1),
    ...                   EpisodeOutcome.RECOVERED, date(2024, 2, 1))
    >>> course = PatientCourse(patient, episode, steroids=(
    ...     SteroidSegment("e1", "methylprednisolone", "iv", date(2024, 1, 2),
    ...                    date(2024, 1, 3), 40),))
    >>> [(day.on.day, day.prednisone_equivalent_mg, day.mg_per_kg)
    ...  for day in daily_steroid_doses(course)]
    [(2, 50.0, 1.0), (3, 50.0, 1.0)]
    """
    if not course.steroids:
        return ()
    per_day: dict[date, list[tuple[str, float]]] = {}
    for segment in course.steroids:
        for day in _segment_days(segment, course.episode.last_follow_up):
            per_day.setdefault(day, []).append((segment.agent, segment.dose_mg_per_day))
    first, last = min(per_day), max(per_day)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        doses = tuple(per_day.get(day, ()))
        equivalent = round(
            sum(prednisone_equivalent_mg(agent, mg, table=table) for agent, mg in doses), 3
        )
        weight = course.patient.weight_on(day)
        days.append(
            SteroidDay(
                on=day,
                doses=doses,
                prednisone_equivalent_mg=equivalent,
                mg_per_kg=round(equivalent / weight.kg, 4) if weight else None,
                weight_kg=weight.kg if weight else None,
            )
        )
    return tuple(days)


def cumulative_prednisone_equivalent_mg(
    days: tuple[SteroidDay, ...], *, until: date | None = None
) -> float:
    """Sum prednisone-equivalent mg over ``days`` (up to and including ``until``)."""
    return round(
        sum(day.prednisone_equivalent_mg for day in days if until is None or day.on <= until), 3
    )


def taper_steps(days: tuple[SteroidDay, ...]) -> tuple[tuple[date, float, float], ...]:
    """Return each day the daily dose fell: ``(day, dose before, dose from that day)``.

    Examples
    --------
    >>> from datetime import date
    >>> days = tuple(SteroidDay(date(2024, 1, d), (), mg, None, None)
    ...              for d, mg in [(1, 30), (2, 30), (3, 25), (4, 25), (5, 20)])
    >>> [(day.day, before, after) for day, before, after in taper_steps(days)]
    [(3, 30, 25), (5, 25, 20)]
    """
    steps = []
    for previous, current in pairwise(days):
        if current.prednisone_equivalent_mg < previous.prednisone_equivalent_mg:
            steps.append(
                (current.on, previous.prednisone_equivalent_mg, current.prednisone_equivalent_mg)
            )
    return tuple(steps)
