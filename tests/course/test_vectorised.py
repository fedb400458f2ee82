"""The column-wise outcome table equals the per-episode reference on generated courses."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest

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
from dresskit.course.outcomes import (
    TimeToEvent,
    days_to_alt_normalisation,
    days_to_defervescence,
    days_to_eosinophil_normalisation,
    days_to_rash_resolution,
    steroid_days_after_index,
    steroid_days_before_index,
)
from dresskit.course.vectorised import outcome_table

UNITS = {"temperature": "Cel", "alt": "U/L", "eosinophils": "10*9/L", "rash_bsa": "%"}


def random_course(rng: random.Random, number: int) -> PatientCourse:
    onset = date(2021, 1, 1) + timedelta(days=rng.randint(0, 300))
    ivig_day = onset + timedelta(days=rng.randint(2, 12))
    last = ivig_day + timedelta(days=rng.randint(0, 40))
    outcome = rng.choice(list(EpisodeOutcome))
    sex = rng.choice([Sex.FEMALE, Sex.MALE])
    patient = Patient(f"p{number}", sex, weights=(WeightMeasurement(onset, 70.0),))
    episode = Episode(f"e{number}", f"p{number}", Phenotype.DRESS, onset, outcome, last)
    observations = []
    for code, low, high in (
        ("temperature", 36.0, 40.0),
        ("alt", 10, 400),
        ("eosinophils", 0.0, 3.0),
        ("rash_bsa", 0, 3),
    ):
        for _ in range(rng.randint(0, 25)):
            day = onset + timedelta(days=rng.randint(0, (last - onset).days))
            value = (
                round(rng.uniform(low, high), 1) if code != "rash_bsa" else float(rng.randint(0, 2))
            )
            observations.append(Observation(episode.episode_id, day, code, value, UNITS[code]))
    steroids = []
    if rng.random() < 0.9:
        start = onset + timedelta(days=rng.randint(0, 10))
        end = None if rng.random() < 0.2 else start + timedelta(days=rng.randint(0, 50))
        if end is not None and end > last:
            end = last
        steroids.append(SteroidSegment(episode.episode_id, "prednisolone", "oral", start, end, 60))
    ivig = (
        (IvigDose(episode.episode_id, ivig_day, dose_g_per_kg=1.0),) if rng.random() < 0.95 else ()
    )
    return PatientCourse(
        patient, episode, observations=tuple(observations), steroids=tuple(steroids), ivig=ivig
    )


def frames(courses: list[PatientCourse]) -> dict[str, pl.DataFrame]:
    patients = pl.DataFrame(
        [{"patient_id": c.patient.patient_id, "sex": c.patient.sex.value} for c in courses]
    )
    episodes = pl.DataFrame(
        [
            {
                "episode_id": c.episode.episode_id,
                "patient_id": c.patient.patient_id,
                "onset_date": c.episode.onset,
                "admission_date": c.episode.admission,
                "outcome": c.episode.outcome.value,
                "last_follow_up_date": c.episode.last_follow_up,
            }
            for c in courses
        ],
        schema_overrides={"admission_date": pl.Date},
    )
    observations = pl.DataFrame(
        [
            {"episode_id": o.episode_id, "date": o.on, "code": o.code, "value": o.value}
            for c in courses
            for o in c.observations
        ],
        schema={"episode_id": pl.Utf8, "date": pl.Date, "code": pl.Utf8, "value": pl.Float64},
    )
    treatments = pl.DataFrame(
        [
            {
                "episode_id": s.episode_id,
                "kind": "steroid",
                "agent": s.agent,
                "start_date": s.start,
                "end_date": s.end,
            }
            for c in courses
            for s in c.steroids
        ]
        + [
            {
                "episode_id": d.episode_id,
                "kind": "ivig",
                "agent": "ivig",
                "start_date": d.on,
                "end_date": d.on,
            }
            for c in courses
            for d in c.ivig
        ],
        schema={
            "episode_id": pl.Utf8,
            "kind": pl.Utf8,
            "agent": pl.Utf8,
            "start_date": pl.Date,
            "end_date": pl.Date,
        },
    )
    return {
        "episodes": episodes,
        "observations": observations,
        "treatments": treatments,
        "patients": patients,
    }


def as_row(result: TimeToEvent, name: str) -> dict[str, object]:
    return {
        f"{name}_days": result.days,
        f"{name}_observed": result.observed,
        f"{name}_followed_up_days": result.followed_up_days,
        f"{name}_censor_reason": result.censor_reason,
    }


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_outcomes_equal_the_per_episode_reference(seed: int) -> None:
    rng = random.Random(seed)
    courses = [random_course(rng, number) for number in range(120)]
    table = outcome_table(**frames(courses), alt_uln_by_sex={"male": 50.0})
    rows = {row["episode_id"]: row for row in table.iter_rows(named=True)}
    with_ivig = [c for c in courses if c.ivig]
    assert set(rows) == {c.episode.episode_id for c in with_ivig}
    for course in with_ivig:
        expected: dict[str, object] = {"steroid_days_before": steroid_days_before_index(course)}
        expected |= as_row(steroid_days_after_index(course), "steroid_after")
        expected |= as_row(days_to_defervescence(course), "defervescence")
        expected |= as_row(
            days_to_alt_normalisation(course, uln_by_sex={Sex.MALE: 50.0}), "alt_normalisation"
        )
        expected |= as_row(days_to_eosinophil_normalisation(course), "eosinophil_normalisation")
        expected |= as_row(days_to_rash_resolution(course), "rash_resolution")
        actual = {key: rows[course.episode.episode_id][key] for key in expected}
        assert actual == expected, course.episode.episode_id


def test_onset_index_covers_every_episode() -> None:
    courses = [random_course(random.Random(9), number) for number in range(10)]
    table = outcome_table(**frames(courses), index="onset")
    assert table.height == 10


@pytest.mark.parametrize("sustained_days", [1, 3, 4])
def test_defervescence_window_length_matches_the_reference(sustained_days: int) -> None:
    rng = random.Random(100 + sustained_days)
    courses = [c for c in (random_course(rng, n) for n in range(150)) if c.ivig]
    table = outcome_table(**frames(courses), defervescence_days=sustained_days)
    rows = {row["episode_id"]: row for row in table.iter_rows(named=True)}
    for course in courses:
        expected = as_row(
            days_to_defervescence(course, sustained_days=sustained_days), "defervescence"
        )
        actual = {key: rows[course.episode.episode_id][key] for key in expected}
        assert actual == expected, course.episode.episode_id


def test_defervescence_window_shorter_than_a_day_is_refused() -> None:
    courses = [random_course(random.Random(3), number) for number in range(3)]
    with pytest.raises(ValueError, match="defervescence_days"):
        outcome_table(**frames(courses), defervescence_days=0)


def test_text_and_enumerated_codes_give_the_same_table() -> None:
    from dresskit.course.codes import CODE_ENUM

    courses = [random_course(random.Random(11), number) for number in range(40)]
    tables = frames(courses)
    as_text = outcome_table(**tables)
    tables["observations"] = tables["observations"].with_columns(pl.col("code").cast(CODE_ENUM))
    assert outcome_table(**tables).equals(as_text)
