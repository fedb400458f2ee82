"""Column-wise RegiSCAR equals the per-episode path (regiscar_from_course) on every episode.

The reference is what the report used before: :func:`dresskit.analysis.baseline.regiscar_frame`
over the courses, each scored by :func:`dresskit.course.diagnosis.regiscar_from_course`.
Generated episodes aim at every edge the two paths could split on: values at and within
rounding distance of each threshold (38.5 °C, 700 and 1 500/µL, 4 000/µL leukocytes, 10 and
20 %, 50 % BSA, 15 days), eosinophil counts at the consistency tolerances, temperatures
outside the body range, ties between peaks, several counts on the peak day with and without
a time, repeated and blank finding details, and finding values the instrument refuses.
"""

from __future__ import annotations

import random
import sys
from datetime import date, time, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dresskit.analysis.baseline import regiscar_frame
from dresskit.bundle import read_bundle
from dresskit.course import (
    Episode,
    EpisodeOutcome,
    Finding,
    Observation,
    Patient,
    PatientCourse,
    Phenotype,
    Sex,
)
from dresskit.course.vectorised_regiscar import (
    REGISCAR_TABLE_SCHEMA,
    degrees_celsius,
    regiscar_table,
)
from dresskit.units import to_degrees_celsius

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
UNITS = {
    "temperature": "Cel",
    "eosinophils": "10*9/L",
    "leukocytes": "10*9/L",
    "eosinophils_pct": "%",
    "atypical_lymphocytes_pct": "%",
    "rash_bsa": "%",
}


def _temperature(rng: random.Random) -> float:
    if rng.random() < 0.7:
        return round(rng.uniform(35.0, 41.0), 1)
    return rng.choice(
        [38.5, 38.4999999, 38.5000001, 38.49999951, 38.4999995, 24.9, 25.0, 45.0, 45.1]
    )


def _counts(rng: random.Random, typical: bool) -> tuple[float, float | None, float | None]:
    """(eosinophils, leukocytes, percentage) in 10^9/L and %, often at a boundary."""
    if typical:
        leukocytes, pct = round(rng.uniform(1, 20), 1), round(rng.uniform(0, 40), 1)
        return leukocytes * pct / 100, leukocytes, pct if rng.random() < 0.8 else None
    leukocytes = rng.choice([4.0, 3.9999999, 4.0000001, 0.0, round(rng.uniform(1, 20), 1)])
    pct = rng.choice([9.99, 10.0, 19.99, 20.0, 100.0, 100.5, round(rng.uniform(0, 40), 1)])
    kind = rng.random()
    if kind < 0.3:
        eosinophils = rng.choice([0.7, 0.6999999, 0.6999995, 1.5, 1.4999996, 0.0, 2.0])
    elif kind < 0.8:
        # At, inside or outside the consistency tolerance (per µL: wbc x 0.5 % + 1).
        tolerance = leukocytes * 0.005 + 0.001
        factor = rng.choice([0.0, 0.5, 0.999999, 1.0, 1.000001, 2.0, -1.000001, -0.5])
        eosinophils = max(0.0, leukocytes * pct / 100 + factor * tolerance)
    else:
        eosinophils = round(rng.uniform(0, 3), 2)
    return (
        eosinophils,
        leukocytes if rng.random() < 0.8 else None,
        pct if rng.random() < 0.8 else None,
    )


def random_episode(rng: random.Random, number: int) -> PatientCourse:
    """One generated course (observations shuffled: the paths must not rely on order)."""
    episode_id = f"e{number:04d}"
    typical = rng.random() < 0.4  # no boundary values, nothing the instrument refuses
    onset = date(2021, 1, 1) + timedelta(days=rng.randint(0, 300))
    episode = Episode(
        episode_id, f"p{number}", Phenotype.DRESS, onset, EpisodeOutcome.RECOVERED, onset
    )
    observations: list[Observation] = []

    def add(code: str, value: float | None, offset: int, at: time | None = None) -> None:
        on = onset + timedelta(days=offset)
        observations.append(Observation(episode_id, on, code, value, UNITS[code], at))

    def moment() -> time | None:
        return rng.choice([None, time(6, 0), time(12, 0), time(0, 0), time(22, 30)])

    if rng.random() < 0.85:
        for _ in range(rng.randint(1, 4)):
            value = round(rng.uniform(35.0, 41.0), 1) if typical else _temperature(rng)
            add("temperature", value, rng.randint(0, 20), moment())
    if rng.random() < 0.85:
        for _ in range(rng.randint(1, 3)):
            eosinophils, leukocytes, pct = _counts(rng, typical)
            offset = rng.randint(0, 6)  # few days: peaks tie and counts share a day
            add("eosinophils", eosinophils, offset, moment())
            if leukocytes is not None:
                add("leukocytes", leukocytes, offset, moment())
            if pct is not None:
                add("eosinophils_pct", pct, offset, moment())
            if rng.random() < 0.3:  # a second count the same day, earlier or later
                add("leukocytes", round(rng.uniform(2, 15), 1), offset, moment())
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 3)):
            add("atypical_lymphocytes_pct", rng.choice([0.0, 0.0, 3.0, None]), rng.randint(0, 9))
    if rng.random() < 0.8:
        for _ in range(rng.randint(1, 4)):
            bsa = rng.choice([0.0, 0.0, 50.0, 50.0001, 51.0, 70.0, 12.0, None])
            add("rash_bsa", bsa, rng.choice([0, 3, 14, 15, 16, 30]))
    rng.shuffle(observations)
    findings: list[Finding] = []

    def finding(code: str, value: str, detail: str | None = None) -> None:
        findings.append(
            Finding(episode_id, onset + timedelta(days=rng.randint(0, 9)), code, value, detail)
        )

    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        finding(
            "lymph_nodes",
            rng.choice(["enlarged", "enlarged", "normal"]),
            rng.choice([None, "", "axillary", "inguinal", "cervical"]),
        )
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        finding("rash_feature", rng.choice(["oedema", "infiltration", "purpura", "scaling"]))
    if rng.random() < 0.3:
        finding("facial_oedema", rng.choice(["present", "absent"]))
    for _ in range(rng.choice([0, 0, 1, 2])):
        finding("biopsy", rng.choice(["suggestive", "not_suggestive"]))
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        organs = ["liver", "kidney", "lung", "liver"] + ([] if typical else ["brain"])
        finding("organ_involvement", rng.choice(organs))
    for _ in range(rng.choice([0, 0, 1, 3, 4, 5])):
        finding(
            "other_cause_test",
            rng.choice(
                ["negative"] * 12 + ["positive", "not_done"] + ([] if typical else ["maybe"])
            ),
            rng.choice(
                ["ana", "hav", "hbv", "hcv", "hbv", None, ""] * 3 + ([] if typical else ["ebv"])
            ),
        )
    return PatientCourse(
        Patient(f"p{number}", Sex.FEMALE),
        episode,
        observations=tuple(observations),
        findings=tuple(findings),
    )


def _tables(courses: list[PatientCourse]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    episodes = pl.DataFrame(
        [(c.episode.episode_id, c.episode.onset) for c in courses],
        schema={"episode_id": pl.Utf8, "onset_date": pl.Date},
        orient="row",
    )
    observations = pl.DataFrame(
        [(o.episode_id, o.on, o.at, o.code, o.value) for c in courses for o in c.observations],
        schema={
            "episode_id": pl.Utf8,
            "date": pl.Date,
            "time": pl.Time,
            "code": pl.Utf8,
            "value": pl.Float64,
        },
        orient="row",
    )
    findings = pl.DataFrame(
        [(f.episode_id, f.on, f.code, f.value, f.detail) for c in courses for f in c.findings],
        schema={
            "episode_id": pl.Utf8,
            "date": pl.Date,
            "code": pl.Utf8,
            "value": pl.Utf8,
            "detail": pl.Utf8,
        },
        orient="row",
    )
    return episodes, observations, findings


def _assert_same(courses: list[PatientCourse]) -> pl.DataFrame:
    reference = regiscar_frame(courses)
    column_wise = regiscar_table(*_tables(courses))
    assert_frame_equal(column_wise, reference)
    return column_wise


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_column_wise_regiscar_equals_the_per_episode_path(seed: int) -> None:
    rng = random.Random(seed)
    courses = [random_episode(rng, number) for number in range(60)]
    _assert_same(courses)


def test_generated_episodes_reach_every_kind_of_result() -> None:
    """The generator is not vacuous: scored, refused and every class occur, as does each path."""
    rng = random.Random(11)
    courses = [random_episode(rng, number) for number in range(800)]
    table = _assert_same(courses)
    problems = table.get_column("regiscar_problem").drop_nulls()
    assert any("consistent values" in problem for problem in problems)
    assert any("at most the leukocyte count" in problem for problem in problems)
    assert any("body temperature" in problem for problem in problems)
    assert {"no case", "possible", "probable", "not scored"} <= set(
        table.get_column("regiscar_class")
    )


@pytest.mark.parametrize("name", ["sim2022", "shen2024"])
def test_examples_score_the_same_column_wise(name: str) -> None:
    bundle = read_bundle(EXAMPLES / name)
    reference = regiscar_frame(bundle.courses())
    column_wise = regiscar_table(bundle.episodes, bundle.observations, bundle.findings)
    assert_frame_equal(column_wise, reference)


def test_synthetic_bundle_scores_the_same_column_wise(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from synthetic_bundle import generate_bundle
    finally:
        sys.path.remove(str(ROOT / "bench"))
    bundle = read_bundle(generate_bundle(tmp_path / "bundle", episodes=300, days=30, seed=5))
    reference = regiscar_frame(bundle.courses())
    column_wise = regiscar_table(bundle.episodes, bundle.observations, bundle.findings)
    assert_frame_equal(column_wise, reference)


def test_result_has_the_columns_of_regiscar_frame() -> None:
    empty = regiscar_frame([])
    assert dict(empty.schema) == dict(REGISCAR_TABLE_SCHEMA)


def test_episode_without_any_data_scores_every_item_unknown() -> None:
    course = random_episode(random.Random(0), 0)
    bare = PatientCourse(course.patient, course.episode)
    table = _assert_same([bare])
    assert table.row(0, named=True)["regiscar_items_unknown"] == 10


@pytest.mark.parametrize(
    ("value", "unit"),
    [(101.3, "[degF]"), (100.4, "[degF]"), (98.6, "[degF]"), (311.65, "K"), (38.5, "Cel")]
    + [(round(95 + step * 0.1, 1), "[degF]") for step in range(0, 120, 7)],
)
def test_fixed_temperature_factor_matches_the_unit_library(value: float, unit: str) -> None:
    """°C = (°F − 32) × 5/9 and K − 273.15, exact by definition, agree with pint's conversion."""
    fixed = pl.select(degrees_celsius(pl.lit(value), unit)).item()
    assert fixed == to_degrees_celsius(value, unit, field="t")


def test_fahrenheit_threshold_is_not_lost_to_binary_floating_point() -> None:
    assert pl.select(degrees_celsius(pl.lit(101.3), "[degF]")).item() == 38.5


def test_unknown_temperature_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="temperature unit"):
        degrees_celsius(pl.lit(1.0), "degC")


def test_nan_value_is_refused() -> None:
    course = random_episode(random.Random(1), 0)
    episodes, observations, findings = _tables([course])
    nan_row = observations.head(0).vstack(
        pl.DataFrame(
            [("e0000", course.episode.onset, None, "temperature", float("nan"))],
            schema=observations.schema,
            orient="row",
        )
    )
    with pytest.raises(ValueError, match="NaN"):
        regiscar_table(episodes, pl.concat([observations, nan_row]), findings)
