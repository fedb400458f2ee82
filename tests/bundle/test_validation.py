"""Bundle validation: one test per class of bad input, and the courses a valid bundle builds."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dresskit.bundle import Bundle, validate_tables
from dresskit.errors import InputError, InputErrors
from tests.bundle.fixture import ROWS, tables, with_row


def load(frames: dict[str, pl.DataFrame]) -> Bundle:
    return validate_tables(frames, source="bundle")


def problems(frames: dict[str, pl.DataFrame]) -> list[InputError]:
    with pytest.raises(InputErrors) as caught:
        load(frames)
    return list(caught.value.errors)


def only(frames: dict[str, pl.DataFrame]) -> InputError:
    (error,) = problems(frames)
    return error


def test_valid_bundle_loads_in_canonical_units() -> None:
    bundle = load(tables())
    obs = bundle.observations
    temperature = obs.filter(pl.col("code") == "temperature").get_column("value").to_list()
    assert temperature == [39.0, 37.1]  # 102.2 [degF] -> 39 Cel
    assert obs.filter(pl.col("code") == "eosinophils").get_column("value").item() == 1.14
    assert obs.filter(pl.col("code") == "alt").get_column("value").item() == 300.0  # 5 µkat/L
    assert obs.filter(pl.col("code") == "creatinine").get_column("unit").item() == "mg/dL"


def test_steroid_mg_per_kg_becomes_mg_per_day_with_latest_weight() -> None:
    treatments = load(tables()).treatments.filter(pl.col("kind") == "steroid")
    row = treatments.filter(pl.col("episode_id") == "E1").row(0, named=True)
    assert (row["dose"], row["dose_unit"]) == (60.0, "mg/d")


def test_course_is_built_with_every_part() -> None:
    course = load(tables()).course("E1")
    assert course.patient.weights[0].kg == 60.0
    assert [d.on for d in course.ivig] == [date(2020, 3, d) for d in range(10, 15)]
    assert course.biologics[0].loading_dose_mg == 600
    assert course.steroids[0].dose_mg_per_day == 60.0
    assert course.drugs[0].naranjo is not None
    assert {f.code for f in course.findings} == {"organ_involvement", "other_cause_test"}
    assert course.observations_of("hhv6_pcr")[0].text == "positive"


def test_courses_yields_every_episode_equal_to_course() -> None:
    bundle = load(tables())
    assert [c.episode.episode_id for c in bundle.courses()] == ["E1", "E2"]
    assert next(iter(bundle.courses())) == bundle.course("E1")


def test_unknown_episode_is_refused() -> None:
    with pytest.raises(InputError, match="an episode of the bundle"):
        load(tables()).course("E9")


@given(st.randoms())
@settings(max_examples=10, deadline=None)
def test_row_order_does_not_change_the_courses(rng: random.Random) -> None:
    shuffled = {name: list(rows) for name, rows in ROWS.items()}
    for rows in shuffled.values():
        rng.shuffle(rows)
    bundle, reordered = load(tables()), load(tables(**shuffled))
    for episode in ("E1", "E2"):
        a, b = bundle.course(episode), reordered.course(episode)
        assert sorted(map(repr, a.observations)) == sorted(map(repr, b.observations))
        assert a.steroids == b.steroids
        assert a.ivig == b.ivig


# --- one test per class of bad input ---------------------------------------------------------


def test_unparseable_date_names_file_row_column_value() -> None:
    error = only(with_row("episodes", 1, onset_date="10/05/2021"))
    assert (error.source, error.row, error.field, error.value) == (
        "bundle/episodes.csv",
        2,
        "onset_date",
        "10/05/2021",
    )
    assert "YYYY-MM-DD" in error.expected


def test_decimal_comma_is_explained() -> None:
    error = only(with_row("treatments", 1, dose="0,4"))
    assert (error.field, error.value) == ("dose", "0,4")
    assert "'.' as the decimal mark" in error.expected


def test_stop_before_start_is_refused() -> None:
    error = only(with_row("drug_exposures", 0, stop_date="2020-01-01"))
    assert (error.field, error.expected) == ("stop_date", "on or after start_date")


def test_follow_up_before_onset_is_refused() -> None:
    error = only(with_row("episodes", 1, last_follow_up_date="2021-05-01"))
    assert error.field == "last_follow_up_date"


def test_treatment_ending_before_it_starts_is_refused() -> None:
    error = only(with_row("treatments", 0, end_date="2020-03-01"))
    assert error.field == "end_date"


def test_unknown_code_lists_the_codes() -> None:
    error = only(with_row("patients", 0, sex="f"))
    assert (error.field, error.value) == ("sex", "f")
    assert "female" in error.expected


def test_unknown_observation_code_is_refused() -> None:
    error = only(with_row("observations", 3, code="troponin"))
    assert error.field == "code"
    assert "eosinophils" in error.expected


def test_inconvertible_unit_names_the_units_accepted() -> None:
    error = only(with_row("observations", 4, unit="mg/dL"))
    assert (error.row, error.field, error.value) == (5, "unit", "mg/dL")
    assert "U/L" in error.expected
    assert "ukat/L" in error.expected


def test_value_outside_plausible_range_names_both_units() -> None:
    error = only(with_row("observations", 1, value="389", unit="Cel"))
    assert error.field == "value"
    assert "25-45 Cel" in error.expected


def test_duplicate_identifier_is_refused() -> None:
    rows = [dict(row) for row in ROWS["patients"]]
    rows[1]["patient_id"] = "P1"
    found = problems(tables(patients=rows))
    assert any(e.field == "patient_id" and "more than once" in e.expected for e in found)


def test_duplicate_observation_is_refused() -> None:
    rows = [dict(row) for row in ROWS["observations"]]
    rows.append(dict(rows[3]))
    found = problems(tables(observations=rows))
    assert {e.row for e in found} == {4, 8}


def test_observation_outside_the_episode_is_refused() -> None:
    error = only(with_row("observations", 3, date="2020-06-01"))
    assert error.field == "date"
    assert "to the last follow-up (2020-04-30)" in error.expected


def test_reference_to_missing_patient_is_refused() -> None:
    error = only(with_row("episodes", 0, patient_id="P9"))
    assert (error.field, error.value) == ("patient_id", "P9")


def test_reference_to_missing_episode_is_refused() -> None:
    found = problems(with_row("observations", 2, episode_id="E9"))
    assert any(e.field == "episode_id" and e.value == "E9" for e in found)


def test_assessment_of_a_drug_not_taken_is_refused() -> None:
    rows = [dict(row) for row in ROWS["drug_assessments"]]
    rows[0]["drug"] = "phenytoin"
    found = problems(tables(drug_assessments=rows))
    assert any(e.field == "drug" and e.value == "phenytoin" for e in found)


def test_assessment_answer_not_accepted_is_refused() -> None:
    rows = [dict(row) for row in ROWS["drug_assessments"]]
    rows[0]["answer"] = "maybe"
    assert only(tables(drug_assessments=rows)).field == "answer"


def test_missing_required_value_is_refused() -> None:
    error = only(with_row("episodes", 0, outcome=None))
    assert (error.field, error.row) == ("outcome", 1)


def test_missing_required_column_is_refused() -> None:
    frames = tables()
    frames["patients"] = frames["patients"].drop("sex")
    error = only(frames)
    assert (error.source, error.field) == ("bundle/patients.csv", "sex")


def test_unknown_column_is_refused() -> None:
    frames = tables()
    frames["patients"] = frames["patients"].with_columns(pl.lit("x").alias("colour"))
    assert only(frames).field == "colour"


def test_missing_required_file_is_refused() -> None:
    frames = tables()
    del frames["episodes"]
    assert any(e.value == "episodes.csv" for e in problems(frames))


def test_wrong_format_version_is_refused() -> None:
    rows = [dict(row) for row in ROWS["manifest"]]
    rows[1]["value"] = "2.0"
    assert only(tables(manifest=rows)).field == "version"


def test_mg_per_kg_steroid_without_weight_is_refused() -> None:
    error = only(with_row("treatments", 3, dose="1", dose_unit="mg/kg/d"))
    assert error.field == "dose_unit"
    assert "weight" in error.expected


@pytest.mark.parametrize("row", [0, 1])
def test_a_dose_without_its_unit_is_refused_not_read_in_a_default_unit(row: int) -> None:
    error = only(with_row("treatments", row, dose_unit=""))
    assert (error.field, error.row, error.value_absent) == ("dose_unit", row + 1, True)
    assert str(error).endswith("got an empty cell")
    assert "mg/d" in error.expected or "g/kg" in error.expected


def test_a_follow_up_before_admission_is_refused() -> None:
    # Admitted on day 10 of the reaction, followed up to day 8 (rows after it fail as well).
    frames = with_row("episodes", 0, admission_date="2020-03-10", last_follow_up_date="2020-03-08")
    (error,) = [e for e in problems(frames) if e.expected == "on or after admission_date"]
    assert (error.row, error.field, error.value) == (
        1,
        "last_follow_up_date",
        "2020-03-08",
    )  # as written


def test_a_nul_character_in_text_is_refused() -> None:
    error = only(with_row("findings", 0, detail="rash\x00"))
    assert (error.field, error.row, error.value) == ("detail", 1, "rash\x00")
    assert "NUL" in error.expected


def test_steroid_agent_outside_the_equivalence_table_is_refused() -> None:
    error = only(with_row("treatments", 0, agent="budesonide"))
    assert "methylprednisolone" in error.expected


def test_text_result_for_a_numeric_code_is_refused() -> None:
    error = only(with_row("observations", 3, text="positive"))
    assert error.field == "text"


def test_every_problem_is_reported_together_and_nothing_is_loaded() -> None:
    frames = with_row("episodes", 0, onset_date="2020-13-01", outcome="cured")
    fields = {e.field for e in problems(frames)}
    assert {"onset_date", "outcome"} <= fields


def test_problem_count_is_capped_with_a_summary() -> None:
    rows = [dict(ROWS["observations"][3], date="bad") for _ in range(30)]
    with pytest.raises(InputErrors) as caught:
        validate_tables(tables(observations=rows), source="b", max_errors=5)
    assert len(caught.value.errors) == 6
    assert "more problem" in str(caught.value.errors[-1].value)


def test_column_types_do_not_depend_on_how_the_file_was_read() -> None:
    """A bundle read as text (workbook, registry, FHIR, REDCap) has the typed read's types."""
    from pathlib import Path

    import polars as pl

    from dresskit.bundle import read_bundle, read_tables, validate_tables

    folder = Path(__file__).parents[2] / "examples" / "sim2022"
    as_text = {
        name: frame.select(
            [
                pl.col(c).dt.strftime("%H:%M")
                if frame.schema[c] == pl.Time
                else pl.col(c).cast(pl.Utf8)
                for c in frame.columns
            ]
        )
        for name, frame in read_tables(folder).items()
    }
    from_text = validate_tables(as_text, source="text")
    typed = read_bundle(folder)
    for name in (
        "patients",
        "episodes",
        "drug_exposures",
        "observations",
        "findings",
        "treatments",
    ):
        assert getattr(from_text, name).schema == getattr(typed, name).schema, name


def _episodes_with(**values: str | None) -> dict[str, pl.DataFrame]:
    """The valid tables with the first episode changed and a ``death_date`` column."""
    rows = [{**row, "death_date": None} for row in ROWS["episodes"]]
    rows[0].update(values)
    return tables(episodes=rows)


def test_a_death_carries_its_date_into_the_course() -> None:
    frames = _episodes_with(outcome="died", death_date="2020-04-20")
    course = load(frames).course("E1")
    assert course.episode.death == date(2020, 4, 20)
    assert course.episode.date_of_death == date(2020, 4, 20)


def test_a_death_on_the_last_follow_up_day_is_accepted() -> None:
    frames = _episodes_with(outcome="died", death_date="2020-04-30")
    assert load(frames).course("E1").episode.death == date(2020, 4, 30)


def test_died_without_a_death_date_is_refused() -> None:
    error = only(_episodes_with(outcome="died"))
    assert (error.source, error.row, error.field, error.value_absent) == (
        "bundle/episodes.csv",
        1,
        "death_date",
        True,
    )
    assert "required when outcome is 'died'" in error.expected


def test_a_death_date_without_death_is_refused() -> None:
    error = only(_episodes_with(death_date="2020-04-20"))
    assert (error.row, error.field, error.value) == (1, "death_date", "2020-04-20")
    assert error.expected.startswith("empty unless outcome is 'died'")


def test_a_death_after_the_last_follow_up_is_refused() -> None:
    error = only(_episodes_with(outcome="died", death_date="2020-05-01"))
    assert (error.row, error.field, error.value, error.expected) == (
        1,
        "death_date",
        "2020-05-01",
        "on or before last_follow_up_date",
    )
    assert str(error).startswith(
        "bundle/episodes.csv, row 1: field 'death_date' must be on or before"
    )


def test_a_death_before_onset_is_refused() -> None:
    error = only(_episodes_with(outcome="died", death_date="2020-02-01"))
    assert (error.field, error.expected) == ("death_date", "on or after onset_date")


def test_a_death_date_that_is_not_a_date_is_refused() -> None:
    found = problems(_episodes_with(outcome="died", death_date="20/04/2020"))
    assert ("death_date", "20/04/2020") in [(error.field, error.value) for error in found]
