"""Courses laid out as bundle tables read back as the same courses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import given, settings

from dresskit.bundle import Bundle, read_bundle, validate_tables
from dresskit.bundle.from_courses import course_tables
from dresskit.course import IvigDose, Observation, PatientCourse
from dresskit.errors import InputError
from tests.course.builders import course, day

EXAMPLES = Path(__file__).parents[2] / "examples"


def _round_trip(courses: list[PatientCourse]) -> Bundle:
    return validate_tables(course_tables(courses), source="courses")


@pytest.mark.parametrize("example", ["sim2022", "shen2024"])
def test_every_published_course_reads_back_the_same(example: str) -> None:
    bundle = read_bundle(EXAMPLES / example)
    ids = bundle.episodes.get_column("episode_id").to_list()
    again = _round_trip([bundle.course(episode_id) for episode_id in ids])
    for episode_id in ids:
        assert again.course(episode_id) == bundle.course(episode_id), episode_id


def test_the_manifest_holds_format_version_and_the_given_entries() -> None:
    tables = course_tables([course()], manifest={"title": "ward 7"})
    entries = dict(tables["manifest"].iter_rows())
    assert entries == {"format": "dresskit-bundle", "version": "1.0", "title": "ward 7"}


def test_consecutive_ivig_days_with_one_dose_become_one_row() -> None:
    tables = course_tables([course(ivig_days=(0, 1, 2, 4))])
    rows = (
        tables["treatments"]
        .filter(pl.col("kind") == "ivig")
        .select("start_date", "end_date", "dose", "dose_unit")
    )
    assert rows.rows() == [
        (day(0).isoformat(), day(2).isoformat(), "0.4", "g/kg/d"),
        (day(4).isoformat(), day(4).isoformat(), "0.4", "g/kg/d"),
    ]


def test_free_text_notes_are_refused_not_dropped() -> None:
    with pytest.raises(InputError, match="no free-text notes"):
        course_tables([replace(course(), notes=("seen by dermatology",))])


def test_one_patient_described_two_ways_is_refused() -> None:
    first = course()
    second = replace(
        first,
        patient=replace(first.patient, age_years=51),
        episode=replace(first.episode, episode_id="e2"),
    )
    with pytest.raises(InputError, match="the same sex, birth year and age"):
        course_tables([first, second])


@settings(max_examples=60, deadline=None)
@given(
    doses=st.dictionaries(
        st.integers(min_value=-5, max_value=20),
        # Daily doses within the plausibility limits (at most 3 g/kg or 300 g in a day).
        st.sampled_from([("g/kg", 0.4), ("g/kg", 1.0), ("g/kg", 2.0), ("g", 0.5), ("g", 30.0)]),
        max_size=8,
    ),
    # One ALT a day (a second on the same day and time is a duplicate the bundle refuses),
    # with at most 6 decimals, as validation keeps canonical values.
    values=st.dictionaries(
        st.integers(min_value=-10, max_value=50),
        st.integers(min_value=0, max_value=5_000_000_000).map(lambda n: n / 1_000_000),
        max_size=10,
    ),
)
def test_any_ivig_schedule_and_alt_series_reads_back_the_same(
    doses: dict[int, tuple[str, float]], values: dict[int, float]
) -> None:
    base = course(ivig_days=())
    ivig = tuple(
        IvigDose(
            "e1",
            day(number),
            dose_g_per_kg=amount if unit == "g/kg" else None,
            dose_g=amount if unit == "g" else None,
        )
        for number, (unit, amount) in sorted(doses.items())
    )
    observations = tuple(
        Observation("e1", day(number), "alt", value, "U/L") for number, value in values.items()
    )
    original = replace(base, ivig=ivig, observations=observations)
    again = _round_trip([original]).course("e1")
    assert again.ivig == original.ivig
    assert sorted(again.observations, key=repr) == sorted(original.observations, key=repr)
