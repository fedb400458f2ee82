"""Small builders for PatientCourse objects in tests (dates relative to a fixed day 0)."""

from __future__ import annotations

from datetime import date, timedelta

from dresskit.course import (
    Episode,
    EpisodeOutcome,
    IvigDose,
    Observation,
    Patient,
    PatientCourse,
    Phenotype,
    Sex,
    SteroidSegment,
    WeightMeasurement,
)

DAY0 = date(2020, 3, 10)


def day(number: int) -> date:
    return DAY0 + timedelta(days=number)


def course(
    *,
    observations: dict[str, list[tuple[int, float]]] | None = None,
    steroids: list[tuple[str, int, int | None, float]] | None = None,
    outcome: EpisodeOutcome = EpisodeOutcome.RECOVERED,
    last_follow_up: int = 60,
    weight_kg: float | None = 60.0,
    sex: Sex = Sex.FEMALE,
    ivig_days: tuple[int, ...] = (0,),
) -> PatientCourse:
    """A DRESS course with IVIG on day 0, onset on day -10, and the given series."""
    weights = (WeightMeasurement(day(-10), weight_kg),) if weight_kg is not None else ()
    patient = Patient("p1", sex, age_years=50, weights=weights)
    episode = Episode("e1", "p1", Phenotype.DRESS, day(-10), outcome, day(last_follow_up))
    units = {
        "temperature": "Cel",
        "alt": "U/L",
        "eosinophils": "10*9/L",
        "rash_bsa": "%",
        "itch_nrs": "{score}",
    }
    rows = tuple(
        Observation("e1", day(number), code, value, units[code])
        for code, series in (observations or {}).items()
        for number, value in series
    )
    segments = tuple(
        SteroidSegment("e1", agent, "oral", day(start), day(end) if end is not None else None, mg)
        for agent, start, end, mg in (steroids or [])
    )
    ivig = tuple(IvigDose("e1", day(number), dose_g_per_kg=0.4) for number in ivig_days)
    return PatientCourse(patient, episode, observations=rows, steroids=segments, ivig=ivig)
