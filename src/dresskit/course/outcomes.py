"""Outcomes derived from a course, counted in calendar days from an index event (day 0).

Every time-to-event result says whether the event was observed. An event not observed is
*censored* at the last day with data, with the reason (death, loss to follow-up, transfer,
end of data); it is never a number of days. Death before the event is a competing event,
dated by the episode's date of death (``episodes.death_date``), not by the last measurement.
An outcome never measured after day 0 is ``no_data_after_index`` whatever happened later,
death included: with no measurement nobody knows whether the event came before the death,
so it is neither a censoring by death nor a competing death at day 0.

Definitions (clinical-reference.md §10; defaults, every one a parameter):

- **Defervescence**: the first day from which every recorded temperature is < 37.5 °C for at
  least 48 h (that day and the next), or until the end of the record if shorter and the
  record ends alive.
- **ALT normalisation**: the first day ALT <= ULN (40 U/L by default; per-sex ULN allowed)
  and stays so at the next measurement, or is the last measurement. Already normal on day 0
  gives 0.
- **Eosinophil normalisation**: eosinophils < 0.5 ×10⁹/L, sustained the same way.
- **Rash resolution**: the first day rash BSA is 0 %, sustained the same way.
- **Steroid use before the index**: days from the first systemic steroid dose to day 0;
  **after**: days from day 0 to the last dose, censored if the course had not ended.

Sim et al. 2022 Table 1 records 0 when the event happened on the day IVIG started; these
definitions reproduce that table from the bundled reconstruction.

References
----------
.. [1] Sim DW, Yu J, Koh YI. Efficacy of add-on therapy with intravenous immunoglobulin in
   steroid hyporesponsive DRESS syndrome. Clin Transl Sci. 2022;15:782-788, Table 1.
.. [2] clinical-reference.md §10 (project definitions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from dresskit.course.model import EpisodeOutcome, PatientCourse, Sex
from dresskit.course.treatments import index_date

__all__ = [
    "DEFAULT_ALT_ULN_U_PER_L",
    "DEFERVESCENCE_BELOW_CEL",
    "EOSINOPHILS_NORMAL_BELOW",
    "TimeToEvent",
    "ValueChange",
    "days_to_alt_normalisation",
    "days_to_defervescence",
    "days_to_eosinophil_normalisation",
    "days_to_rash_resolution",
    "days_to_steroid_discontinuation",
    "itch_change",
    "steroid_days_after_index",
    "steroid_days_before_index",
]

#: Temperature below which a patient is afebrile, °C (clinical-reference.md §10).
DEFERVESCENCE_BELOW_CEL: Final = 37.5
#: Hours afebrile that make defervescence (clinical-reference.md §10).
DEFERVESCENCE_SUSTAINED_HOURS: Final = 48
#: Default ALT upper limit of normal, U/L (clinical-reference.md §10).
DEFAULT_ALT_ULN_U_PER_L: Final = 40.0
#: Eosinophils below this are normal, 10^9/L (clinical-reference.md §10).
EOSINOPHILS_NORMAL_BELOW: Final = 0.5

_CENSOR_REASONS: Final[Mapping[EpisodeOutcome, str]] = {
    EpisodeOutcome.DIED: "died",
    EpisodeOutcome.LOST_TO_FOLLOW_UP: "lost_to_follow_up",
    EpisodeOutcome.TRANSFERRED: "transferred",
    EpisodeOutcome.ONGOING: "end_of_data",
    EpisodeOutcome.RECOVERED: "end_of_data",
}


@dataclass(frozen=True)
class TimeToEvent:
    """Days from the index to an event, or the censoring that stopped us seeing it.

    Attributes
    ----------
    outcome
        What was timed (``"defervescence"``).
    index, index_date
        The index event and its date (day 0).
    days
        Days from day 0 to the event; ``None`` when not observed.
    observed
        ``True`` when the event was seen.
    followed_up_days
        The last day (relative to day 0) with data for this outcome.
    censor_reason
        Why an unobserved event was not seen: ``died``, ``lost_to_follow_up``,
        ``transferred``, ``end_of_data``, ``no_data_after_index``; ``None`` when observed.
    competing_event
        ``"death"`` when the patient died before the event.
    event_date
        Calendar date of the event.
    definition
        The definition used, in words, with its source.
    parameters
        The parameter values used.
    competing_event_days
        Days from day 0 to the death that competes with the event (from the episode's
        ``death_date``); ``None`` when there is no competing event.
    """

    outcome: str
    index: str
    index_date: date
    days: int | None
    observed: bool
    followed_up_days: int
    censor_reason: str | None
    competing_event: str | None
    event_date: date | None
    definition: str
    parameters: Mapping[str, float | str | int] = field(default_factory=dict)
    competing_event_days: int | None = None

    def describe(self) -> str:
        """Return the result in words (``"13 days"`` or ``"censored at day 9: transferred"``).

        Examples
        --------
        >>> from datetime import date
        >>> TimeToEvent("x", "ivig", date(2020, 1, 1), None, False, 9, "transferred", None,
        ...             None, "d").describe()
        'censored at day 9 (transferred)'
        """
        if self.observed:
            return f"{self.days} day{'s' if self.days != 1 else ''}"
        return f"censored at day {self.followed_up_days} ({self.censor_reason})"


def _series(course: PatientCourse, code: str, day0: date) -> list[tuple[int, float]]:
    """(day number, value) of an observation code from day 0 on, in time order."""
    return [
        ((observation.on - day0).days, observation.value)
        for observation in course.observations_of(code)
        if observation.value is not None and observation.on >= day0
    ]


def _unobserved(
    course: PatientCourse,
    outcome: str,
    index: str,
    day0: date,
    last_day: int | None,
    definition: str,
    parameters: Mapping[str, float | str | int],
) -> TimeToEvent:
    """Return the censored result: by the episode's outcome, or ``no_data_after_index``.

    Without a single measurement after day 0 (``last_day`` is ``None``) the reason is
    ``no_data_after_index`` even when the patient died: the event may have come before the
    death, so the death is neither the censoring reason nor a competing event
    (clinical-reference.md §10).
    """
    if last_day is None:
        return TimeToEvent(
            outcome=outcome,
            index=index,
            index_date=day0,
            days=None,
            observed=False,
            followed_up_days=0,
            censor_reason="no_data_after_index",
            competing_event=None,
            event_date=None,
            definition=definition,
            parameters=dict(parameters),
        )
    death = course.episode.date_of_death
    return TimeToEvent(
        outcome=outcome,
        index=index,
        index_date=day0,
        days=None,
        observed=False,
        followed_up_days=last_day,
        censor_reason=_CENSOR_REASONS[course.episode.outcome],
        competing_event="death" if death is not None else None,
        event_date=None,
        definition=definition,
        parameters=dict(parameters),
        competing_event_days=(death - day0).days if death is not None else None,
    )


def _first_sustained(
    points: Sequence[tuple[int, float]], is_normal: Callable[[float], bool]
) -> int | None:
    """Return the day of the first normal measurement that the next measurement confirms.

    A normal last measurement counts (nothing contradicts it). Several measurements on one
    day all have to be normal.
    """
    by_day: dict[int, list[float]] = {}
    for day, value in points:
        by_day.setdefault(day, []).append(value)
    days = sorted(by_day)
    for position, day in enumerate(days):
        if not all(is_normal(value) for value in by_day[day]):
            continue
        following = days[position + 1] if position + 1 < len(days) else None
        if following is None or all(is_normal(value) for value in by_day[following]):
            return day
    return None


def _time_to_sustained(
    course: PatientCourse,
    *,
    outcome: str,
    code: str,
    index: str,
    is_normal: Callable[[float], bool],
    definition: str,
    parameters: Mapping[str, float | str | int],
) -> TimeToEvent:
    day0 = index_date(course, index)
    points = _series(course, code, day0)
    event_day = _first_sustained(points, is_normal)
    if event_day is None:
        last = max((day for day, _ in points), default=None)
        return _unobserved(course, outcome, index, day0, last, definition, parameters)
    return TimeToEvent(
        outcome=outcome,
        index=index,
        index_date=day0,
        days=event_day,
        observed=True,
        followed_up_days=max(day for day, _ in points),
        censor_reason=None,
        competing_event=None,
        event_date=day0 + timedelta(days=event_day),
        definition=definition,
        parameters=dict(parameters),
    )


def days_to_defervescence(
    course: PatientCourse,
    *,
    index: str = "ivig",
    below_cel: float = DEFERVESCENCE_BELOW_CEL,
    sustained_days: int = DEFERVESCENCE_SUSTAINED_HOURS // 24,
) -> TimeToEvent:
    """Days from the index to defervescence (clinical-reference.md §10).

    A day qualifies when every temperature recorded that day and on the following
    ``sustained_days - 1`` days is below ``below_cel``, and temperatures were recorded
    through the end of that window, or the record ends earlier with the patient alive.

    Parameters
    ----------
    course
        The patient's course.
    index
        Index event for day 0 (default ``"ivig"``).
    below_cel
        Afebrile threshold, °C (default 37.5).
    sustained_days
        Calendar days the patient must stay afebrile (default 2, i.e. 48 h).
    """
    definition = (
        f"first day from which every recorded temperature is < {below_cel:g} °C for "
        f"{sustained_days * 24} h (or to the end of a record that ends alive); "
        "clinical-reference.md §10"
    )
    parameters = {"below_cel": below_cel, "sustained_days": sustained_days}
    day0 = index_date(course, index)
    points = _series(course, "temperature", day0)
    by_day: dict[int, list[float]] = {}
    for day, value in points:
        by_day.setdefault(day, []).append(value)
    if not by_day:
        return _unobserved(course, "defervescence", index, day0, None, definition, parameters)
    last_day = max(by_day)
    alive = course.episode.outcome is not EpisodeOutcome.DIED
    for day in sorted(by_day):
        window = range(day, day + sustained_days)
        readings = [value for d in window for value in by_day.get(d, [])]
        if not all(value < below_cel for value in readings):
            continue
        covered = window[-1] <= last_day
        if covered or alive:
            return TimeToEvent(
                outcome="defervescence",
                index=index,
                index_date=day0,
                days=day,
                observed=True,
                followed_up_days=last_day,
                censor_reason=None,
                competing_event=None,
                event_date=day0 + timedelta(days=day),
                definition=definition,
                parameters=parameters,
            )
    return _unobserved(course, "defervescence", index, day0, last_day, definition, parameters)


def days_to_alt_normalisation(
    course: PatientCourse,
    *,
    index: str = "ivig",
    uln_u_per_l: float = DEFAULT_ALT_ULN_U_PER_L,
    uln_by_sex: Mapping[Sex, float] | None = None,
) -> TimeToEvent:
    """Days from the index to ALT <= ULN, sustained at the next measurement.

    ``uln_by_sex`` overrides ``uln_u_per_l`` for the patient's recorded sex.
    """
    uln = (uln_by_sex or {}).get(course.patient.sex, uln_u_per_l)
    return _time_to_sustained(
        course,
        outcome="alt_normalisation",
        code="alt",
        index=index,
        is_normal=lambda value: value <= uln,
        definition=(
            f"first day ALT <= {uln:g} U/L (ULN) that the next measurement confirms, or the "
            "last measurement; clinical-reference.md §10"
        ),
        parameters={"uln_u_per_l": uln},
    )


def days_to_eosinophil_normalisation(
    course: PatientCourse, *, index: str = "ivig", below: float = EOSINOPHILS_NORMAL_BELOW
) -> TimeToEvent:
    """Days from the index to eosinophils < 0.5 ×10⁹/L, sustained at the next measurement."""
    return _time_to_sustained(
        course,
        outcome="eosinophil_normalisation",
        code="eosinophils",
        index=index,
        is_normal=lambda value: value < below,
        definition=(
            f"first day eosinophils < {below:g} ×10⁹/L that the next measurement confirms, "
            "or the last measurement; clinical-reference.md §10"
        ),
        parameters={"below_10e9_per_l": below},
    )


def days_to_rash_resolution(course: PatientCourse, *, index: str = "ivig") -> TimeToEvent:
    """Days from the index to rash BSA 0 %, sustained at the next assessment."""
    return _time_to_sustained(
        course,
        outcome="rash_resolution",
        code="rash_bsa",
        index=index,
        is_normal=lambda value: value == 0,
        definition=(
            "first day rash BSA is 0 % that the next assessment confirms, or the last "
            "assessment; clinical-reference.md §10"
        ),
        parameters={},
    )


@dataclass(frozen=True)
class ValueChange:
    """A measurement at baseline (last on or before day 0) and later, with the change."""

    code: str
    baseline: float | None
    baseline_day: int | None
    later: float | None
    later_day: int | None
    change: float | None
    remarks: tuple[str, ...] = ()


def itch_change(course: PatientCourse, *, index: str, at_day: int) -> ValueChange:
    """Itch NRS at baseline (last on or before day 0) and at ``at_day`` (last on or before).

    Either side is ``None`` when no rating exists; the change is then ``None`` too.
    """
    day0 = index_date(course, index)
    ratings = [
        ((observation.on - day0).days, observation.value)
        for observation in course.observations_of("itch_nrs")
        if observation.value is not None
    ]
    before = [(day, value) for day, value in ratings if day <= 0]
    later = [(day, value) for day, value in ratings if 0 < day <= at_day]
    base = before[-1] if before else None
    after = later[-1] if later else None
    remarks = []
    if base is None:
        remarks.append("no itch rating on or before day 0")
    if after is None:
        remarks.append(f"no itch rating between day 1 and day {at_day}")
    return ValueChange(
        code="itch_nrs",
        baseline=base[1] if base else None,
        baseline_day=base[0] if base else None,
        later=after[1] if after else None,
        later_day=after[0] if after else None,
        change=after[1] - base[1] if base and after else None,
        remarks=tuple(remarks),
    )


def _steroid_days(course: PatientCourse) -> tuple[date, date, bool] | None:
    """First dose day, last dose day, and whether the course had ended by the record's end."""
    if not course.steroids:
        return None
    first = min(segment.start for segment in course.steroids)
    running = any(segment.end is None for segment in course.steroids)
    last = max(
        segment.end if segment.end is not None else course.episode.last_follow_up
        for segment in course.steroids
    )
    return first, last, not running


def steroid_days_before_index(course: PatientCourse, *, index: str = "ivig") -> int | None:
    """Days from the first systemic steroid dose to day 0 (``None`` without steroids).

    Sim et al. 2022 Table 1, "Duration of steroid use before IVIG (days)"; a course that
    starts on or after day 0 gives 0.
    """
    span = _steroid_days(course)
    if span is None:
        return None
    return max(0, (index_date(course, index) - span[0]).days)


def steroid_days_after_index(course: PatientCourse, *, index: str = "ivig") -> TimeToEvent:
    """Days from day 0 to the last steroid dose; censored if the course had not ended.

    Sim et al. 2022 Table 1, "Duration of steroid use after IVIG (days)". When the last dose
    was given before day 0, no steroid was used after the index: 0 days (a recorded zero,
    not a missing value), never a negative duration.
    """
    day0 = index_date(course, index)
    definition = (
        "days from day 0 to the last systemic steroid dose (0 when it was before day 0); "
        "censored when steroids were still given at the last follow-up; clinical-reference.md "
        "§10"
    )
    span = _steroid_days(course)
    if span is None:
        return _unobserved(course, "steroid_after_index", index, day0, None, definition, {})
    _, last, ended = span
    if not ended:
        return _unobserved(
            course, "steroid_after_index", index, day0, (last - day0).days, definition, {}
        )
    return TimeToEvent(
        outcome="steroid_after_index",
        index=index,
        index_date=day0,
        days=max((last - day0).days, 0),
        observed=True,
        followed_up_days=(course.episode.last_follow_up - day0).days,
        censor_reason=None,
        competing_event=None,
        event_date=last,
        definition=definition,
    )


def days_to_steroid_discontinuation(course: PatientCourse, *, index: str = "ivig") -> TimeToEvent:
    """Days from day 0 to the first day without steroids after the last dose."""
    after = steroid_days_after_index(course, index=index)
    if not after.observed or after.days is None or after.event_date is None:
        return TimeToEvent(**{**after.__dict__, "outcome": "steroid_discontinuation"})
    return TimeToEvent(
        **{
            **after.__dict__,
            "outcome": "steroid_discontinuation",
            "days": after.days + 1,
            "event_date": after.event_date + timedelta(days=1),
            "definition": "first day without systemic steroids after the last dose, from day 0",
        }
    )
