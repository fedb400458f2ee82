"""One patient's course laid out on a single day axis, ready to draw.

:func:`course_timeline` turns a :class:`~dresskit.course.model.PatientCourse` into a
:class:`CourseTimeline`: every treatment, dose, measurement and flare as a day number relative
to day 0 of an index event, in canonical units. It computes and labels; it never draws
(:func:`dresskit.analysis.figures.timeline.plot_course_timeline` does).

Unknown stays unknown: a measurement that was never taken is absent from its series (and a
series with no value at all is absent from the timeline), never 0. The daily steroid series
holds 0 only for days inside the steroid span on which the record says nothing was given.

References
----------
.. [1] Shen C, Wu N, Yang L, Wang B, Liu T, Tao J. Dupilumab as effective therapy for
   corticosteroid-dependent/resistant type 2 inflammation-related cutaneous adverse
   reactions. J Investig Allergol Clin Immunol. 2024;34(2):145-147, Figure (timeline with
   steroid doses, eosinophils, IgE, itch NRS and BSA).
.. [2] clinical-reference.md §8 (prednisone equivalents), §9.2 (biologic schedules),
   §10 (day 0, flares).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Final

from dresskit.course.codes import OBSERVATION_CODES
from dresskit.course.model import EpisodeOutcome, PatientCourse
from dresskit.course.response import Flare, SteroidResponse, classify_response
from dresskit.course.steroids import daily_steroid_doses
from dresskit.course.treatments import biologic_doses, index_date
from dresskit.display_units import display_unit

__all__ = [
    "TIMELINE_CODES",
    "BiologicDoseMark",
    "CourseTimeline",
    "FlareMark",
    "ObservationSeries",
    "SteroidSeries",
    "TreatmentBar",
    "course_timeline",
]

#: Observation codes a timeline carries, in drawing order, with their short labels.
TIMELINE_CODES: Final[dict[str, str]] = {
    "eosinophils": "Eosinophils",
    "total_ige": "Total IgE",
    "itch_nrs": "Itch NRS",
    "rash_bsa": "Rash BSA",
    "temperature": "Temperature",
    "alt": "ALT",
}

#: Order of treatment kinds in the lanes: steroids, IVIG, biologics, other agents.
_KIND_ORDER: Final = {"steroid": 0, "ivig": 1, "biologic": 2, "other": 3}


@dataclass(frozen=True)
class TreatmentBar:
    """One treatment period on the timeline, drawn as a horizontal bar in its lane.

    Attributes
    ----------
    lane
        Lane label: the agent (``"prednisolone"``, ``"IVIG"``, ``"dupilumab"``).
    kind
        ``"steroid"``, ``"ivig"``, ``"biologic"`` or ``"other"``.
    agent
        Generic name as recorded.
    start_day, end_day
        First and last day (inclusive), relative to day 0.
    running
        ``True`` when the record gives no end date: the bar stops at the last follow-up.
    dose, dose_unit
        The dose as recorded (per day for steroids and IVIG; per administration for
        biologics and others); ``None`` when not recorded.
    dose_text
        The dose in words, units as printed symbols (``"IVIG 20 g/day"``,
        ``"dupilumab 600 mg then 300 mg q14d"``); ``None`` without a dose.
    """

    lane: str
    kind: str
    agent: str
    start_day: int
    end_day: int
    running: bool
    dose: float | None
    dose_unit: str | None
    dose_text: str | None


@dataclass(frozen=True)
class BiologicDoseMark:
    """One administration of a biologic, on its day."""

    agent: str
    day: int
    dose_mg: float
    loading: bool


@dataclass(frozen=True)
class SteroidSeries:
    """Daily systemic corticosteroid, one value per day from the first to the last steroid day.

    Attributes
    ----------
    days
        Consecutive day numbers relative to day 0.
    prednisone_equivalent_mg
        Prednisone-equivalent mg given on each day (0 for a day inside the span with no
        steroid recorded).
    doses
        ``(agent, mg)`` per agent given on each day, as recorded.
    """

    days: tuple[int, ...]
    prednisone_equivalent_mg: tuple[float, ...]
    doses: tuple[tuple[tuple[str, float], ...], ...]

    def on(self, day: int) -> float | None:
        """Return the prednisone-equivalent mg of ``day``, ``None`` outside the span."""
        if not self.days or not self.days[0] <= day <= self.days[-1]:
            return None
        return self.prednisone_equivalent_mg[day - self.days[0]]


@dataclass(frozen=True)
class ObservationSeries:
    """Every recorded numeric value of one observation code, in time order.

    Attributes
    ----------
    code
        Observation code (``"total_ige"``).
    label
        Short human label (``"Total IgE"``).
    unit
        Canonical UCUM unit of the code (``"kU/L"``); see :mod:`dresskit.course.codes`.
    days
        Day numbers relative to day 0, with the time of day as a fraction when recorded
        (18:00 on day 2 is 2.75).
    values
        The values in ``unit``.
    """

    code: str
    label: str
    unit: str
    days: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class FlareMark:
    """The flares of one day, with that day's steroid.

    Attributes
    ----------
    day
        Day number relative to day 0.
    markers
        What rose (``("itch_nrs", "rash_bsa")``), see :func:`dresskit.course.response.flares`.
    prednisone_equivalent_mg
        Prednisone-equivalent mg given that day; ``None`` when no steroid was given that day.
    steroid_doses
        ``(agent, mg)`` given that day, as recorded (``(("prednisolone", 20.0),)``).
    during_taper
        ``True`` when the dose that day was below the course's earlier maximum.
    """

    day: int
    markers: tuple[str, ...]
    prednisone_equivalent_mg: float | None
    steroid_doses: tuple[tuple[str, float], ...]
    during_taper: bool


@dataclass(frozen=True)
class CourseTimeline:
    """Everything a course-timeline figure shows, on one day axis (day 0 = the index event).

    Attributes
    ----------
    episode_id
        The episode.
    index
        Index event name (``"dupilumab"``, ``"ivig"``, ``"onset"`` ...).
    index_date
        Calendar date of day 0.
    index_label
        The index in words (``"first dupilumab dose"``).
    title
        A title for the figure.
    onset_day, admission_day, last_follow_up_day
        Those dates as day numbers (``admission_day`` ``None`` when not admitted).
    outcome
        How the record ends.
    bars
        Treatment periods, ordered by kind (steroid, IVIG, biologic, other) then start.
    steroid
        Daily prednisone-equivalent doses; ``None`` without systemic steroid.
    ivig_days
        Days with an IVIG dose.
    biologic_doses
        Each biologic administration.
    series
        Observation series of :data:`TIMELINE_CODES` that have at least one value.
    flares
        Flares grouped by day.
    """

    episode_id: str
    index: str
    index_date: date
    index_label: str
    title: str
    onset_day: int
    admission_day: int | None
    last_follow_up_day: int
    outcome: EpisodeOutcome
    bars: tuple[TreatmentBar, ...]
    steroid: SteroidSeries | None
    ivig_days: tuple[int, ...]
    biologic_doses: tuple[BiologicDoseMark, ...]
    series: tuple[ObservationSeries, ...]
    flares: tuple[FlareMark, ...]

    @property
    def lanes(self) -> tuple[str, ...]:
        """Return the lane labels in drawing order (top to bottom), each once."""
        return tuple(dict.fromkeys(bar.lane for bar in self.bars))

    @property
    def first_day(self) -> int:
        """Return the earliest day anything on the timeline happened (onset at the latest)."""
        starts = [self.onset_day, *(bar.start_day for bar in self.bars)]
        starts += [int(series.days[0] // 1) for series in self.series]
        return min(starts)

    @property
    def last_data_day(self) -> float:
        """Return the day of the last thing drawn (a figure's x axis ends there).

        The latest of: a treatment's last day (a running one ends at the last follow-up),
        the day after the last steroid day (the step of a day spans it), a measurement, a
        biologic or IVIG dose, a flare, and day 0 itself. A last follow-up with nothing on it
        is not data: the outcome and follow-up are in the swimmer plot and the tables.
        """
        ends: list[float] = [0.0, float(self.onset_day)]
        ends += [float(bar.end_day + 1) for bar in self.bars]
        if self.steroid is not None and self.steroid.days:
            ends.append(float(self.steroid.days[-1] + 1))
        ends += [max(series.days) for series in self.series if series.days]
        ends += [float(dose.day) for dose in self.biologic_doses]
        ends += [float(day + 1) for day in self.ivig_days]
        ends += [float(flare.day) for flare in self.flares]
        return max(ends)

    def series_of(self, code: str) -> ObservationSeries | None:
        """Return the series of ``code``, ``None`` when nothing was recorded."""
        return next((series for series in self.series if series.code == code), None)


def _number(value: float) -> str:
    """Write a dose without a needless ``.0`` (``20``, ``0.4``)."""
    return f"{value:g}"


def _index_label(index: str) -> str:
    if index in ("onset", "admission"):
        return "reaction onset" if index == "onset" else "admission"
    if index == "steroid":
        return "first systemic steroid dose"
    if index == "ivig":
        return "first IVIG dose"
    return f"first {index} dose"


def _runs(days: Iterable[int]) -> list[tuple[int, int]]:
    """Group sorted unique day numbers into runs of consecutive days ``(first, last)``."""
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _steroid_bars(course: PatientCourse, day0: date, last: date) -> list[TreatmentBar]:
    return [
        TreatmentBar(
            lane=segment.agent,
            kind="steroid",
            agent=segment.agent,
            start_day=(segment.start - day0).days,
            end_day=((segment.end or last) - day0).days,
            running=segment.end is None,
            dose=segment.dose_mg_per_day,
            dose_unit="mg/d",
            dose_text=f"{segment.agent} {_number(segment.dose_mg_per_day)} {display_unit('mg/d')}",
        )
        for segment in course.steroids
    ]


def _ivig_bars(course: PatientCourse, day0: date) -> list[TreatmentBar]:
    """One bar per run of consecutive IVIG days with the same daily dose."""
    by_dose: dict[tuple[float | None, float | None], list[int]] = {}
    for dose in course.ivig:
        by_dose.setdefault((dose.dose_g_per_kg, dose.dose_g), []).append((dose.on - day0).days)
    bars = []
    for (per_kg, grams), days in by_dose.items():
        amount, unit = (per_kg, "g/kg/d") if per_kg is not None else (grams, "g/d")
        for first, last in _runs(days):
            bars.append(
                TreatmentBar(
                    lane="IVIG",
                    kind="ivig",
                    agent="ivig",
                    start_day=first,
                    end_day=last,
                    running=False,
                    dose=amount,
                    dose_unit=unit if amount is not None else None,
                    dose_text=(
                        f"IVIG {_number(amount)} {display_unit(unit)}"
                        if amount is not None
                        else None
                    ),
                )
            )
    return bars


def _biologic_bars(course: PatientCourse, day0: date, last: date) -> list[TreatmentBar]:
    bars = []
    for regimen in course.biologics:
        maintenance = f"{_number(regimen.maintenance_dose_mg)} mg q{regimen.interval_days}d"
        text = (
            f"{regimen.agent} {_number(regimen.loading_dose_mg)} mg then {maintenance}"
            if regimen.loading_dose_mg is not None
            else f"{regimen.agent} {maintenance}"
        )
        bars.append(
            TreatmentBar(
                lane=regimen.agent,
                kind="biologic",
                agent=regimen.agent,
                start_day=(regimen.start - day0).days,
                end_day=((regimen.end or last) - day0).days,
                running=regimen.end is None,
                dose=regimen.maintenance_dose_mg,
                dose_unit="mg",
                dose_text=text,
            )
        )
    return bars


def _other_bars(course: PatientCourse, day0: date, last: date) -> list[TreatmentBar]:
    bars = []
    for treatment in course.other_treatments:
        text = None
        if treatment.dose is not None and treatment.dose_unit is not None:
            text = f"{treatment.agent} {_number(treatment.dose)} {treatment.dose_unit}"
        bars.append(
            TreatmentBar(
                lane=treatment.agent,
                kind="other",
                agent=treatment.agent,
                start_day=(treatment.start - day0).days,
                end_day=((treatment.end or last) - day0).days,
                running=treatment.end is None,
                dose=treatment.dose,
                dose_unit=treatment.dose_unit,
                dose_text=text,
            )
        )
    return bars


def _series(course: PatientCourse, day0: date) -> tuple[ObservationSeries, ...]:
    found = []
    for code, label in TIMELINE_CODES.items():
        observations = [item for item in course.observations_of(code) if item.value is not None]
        if not observations:
            continue
        days = tuple((item.on - day0).days + _fraction_of_day(item.at) for item in observations)
        found.append(
            ObservationSeries(
                code=code,
                label=label,
                unit=OBSERVATION_CODES[code].canonical_unit,
                days=days,
                values=tuple(float(item.value) for item in observations if item.value is not None),
            )
        )
    return tuple(found)


def _fraction_of_day(at: time | None) -> float:
    if at is None:
        return 0.0
    return round((at.hour * 3600 + at.minute * 60 + at.second) / 86400, 6)


def _flare_marks(
    found: tuple[Flare, ...], day0: date, steroid: SteroidSeries | None
) -> tuple[FlareMark, ...]:
    by_day: dict[int, list[Flare]] = {}
    for flare in found:
        by_day.setdefault((flare.on - day0).days, []).append(flare)
    marks = []
    for day, group in sorted(by_day.items()):
        doses: tuple[tuple[str, float], ...] = ()
        if steroid is not None and steroid.on(day) is not None:
            doses = steroid.doses[day - steroid.days[0]]
        marks.append(
            FlareMark(
                day=day,
                markers=tuple(sorted({flare.marker for flare in group})),
                prednisone_equivalent_mg=group[0].prednisone_equivalent_mg,
                steroid_doses=doses,
                during_taper=any(flare.during_taper for flare in group),
            )
        )
    return tuple(marks)


def course_timeline(
    course: PatientCourse, *, index: str, response: SteroidResponse | None = None
) -> CourseTimeline:
    """Lay out one course on a day axis relative to day 0 of ``index``.

    Parameters
    ----------
    course
        The patient course.
    index
        The index event that is day 0: ``"onset"``, ``"admission"``, ``"steroid"``,
        ``"ivig"`` or an agent name (first dose), see
        :func:`dresskit.course.treatments.index_date`.
    response
        The course's :func:`~dresskit.course.response.classify_response` result, whose flares
        are marked; ``None`` classifies the course with the default definitions.

    Returns
    -------
    CourseTimeline
        Treatment bars, the daily prednisone-equivalent dose, IVIG and biologic dose days,
        observation series in canonical units, and flares with that day's steroid dose.

    Raises
    ------
    InputError
        When the course has no ``index`` event.

    References
    ----------
    Shen et al. 2024, Figure; prednisone equivalents after Meikle & Tyler 1977
    (clinical-reference.md §8); biologic schedules clinical-reference.md §9.2; flare
    definitions clinical-reference.md §10.

    Examples
    --------
    >>> from datetime import date
    >>> from dresskit.course.model import (Episode, EpisodeOutcome, Patient, PatientCourse,
    ...     Phenotype, Sex, SteroidSegment)
    >>> episode = Episode("e", "p", Phenotype.DRESS, date(2024, 1, 1),
    ...                   EpisodeOutcome.RECOVERED, date(2024, 1, 20))
    >>> course = PatientCourse(Patient("p", Sex.FEMALE), episode, steroids=(
    ...     SteroidSegment("e", "methylprednisolone", "iv", date(2024, 1, 3), date(2024, 1, 4), 40),))
    >>> timeline = course_timeline(course, index="steroid")
    >>> timeline.steroid.days, timeline.steroid.prednisone_equivalent_mg
    ((0, 1), (50.0, 50.0))
    >>> timeline.onset_day, timeline.series
    (-2, ())
    """  # noqa: E501
    day0 = index_date(course, index)
    last = course.episode.last_follow_up
    days = daily_steroid_doses(course)
    steroid = (
        SteroidSeries(
            days=tuple((day.on - day0).days for day in days),
            prednisone_equivalent_mg=tuple(day.prednisone_equivalent_mg for day in days),
            doses=tuple(day.doses for day in days),
        )
        if days
        else None
    )
    bars = [
        *_steroid_bars(course, day0, last),
        *_ivig_bars(course, day0),
        *_biologic_bars(course, day0, last),
        *_other_bars(course, day0, last),
    ]
    bars.sort(key=lambda bar: (_KIND_ORDER[bar.kind], bar.start_day, bar.lane))
    # Lanes keep the order of their agent's first bar, so sort bars lane by lane.
    lane_order = {lane: number for number, lane in enumerate(dict.fromkeys(b.lane for b in bars))}
    bars.sort(key=lambda bar: (lane_order[bar.lane], bar.start_day))
    doses = tuple(
        BiologicDoseMark(dose.agent, (dose.on - day0).days, dose.dose_mg, dose.loading)
        for regimen in course.biologics
        for dose in biologic_doses(regimen, last_day=last)
    )
    found = (response if response is not None else classify_response(course)).flares
    index_label = _index_label(index)
    episode = course.episode
    return CourseTimeline(
        episode_id=episode.episode_id,
        index=index,
        index_date=day0,
        index_label=index_label,
        title=f"{episode.episode_id}: course from day 0 = {index_label} ({day0.isoformat()})",
        onset_day=(episode.onset - day0).days,
        admission_day=(episode.admission - day0).days if episode.admission else None,
        last_follow_up_day=(last - day0).days,
        outcome=episode.outcome,
        bars=tuple(bars),
        steroid=steroid,
        ivig_days=tuple(sorted({(dose.on - day0).days for dose in course.ivig})),
        biologic_doses=doses,
        series=_series(course, day0),
        flares=_flare_marks(found, day0, steroid),
    )
