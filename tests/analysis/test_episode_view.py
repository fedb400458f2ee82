"""The patient page's content: the course summary laid out, evidence and unknowns shown."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from dresskit.analysis.episode_masking import masked_course
from dresskit.analysis.episode_view import (
    ITEM_DATA,
    ReaderNames,
    episode_view,
    index_choices,
    number_text,
    units_as_symbols,
)
from dresskit.bundle import read_bundle
from dresskit.course.model import DrugExposure, DrugRole, Observation, PatientCourse
from dresskit.course.summary import summarise_course

EXAMPLES = Path(__file__).parents[2] / "examples"
IDENTIFIED = ReaderNames(True, "SHEN", "SHENP", "south")
RESEARCHER = ReaderNames(False, "0123456789abcdef", "fedcba9876543210", "south")


@pytest.fixture(scope="module")
def shen() -> PatientCourse:
    return read_bundle(EXAMPLES / "shen2024").course("SHEN")


def test_the_scores_are_those_of_the_course_summary(shen: PatientCourse) -> None:
    view = episode_view(shen, IDENTIFIED)
    summary = summarise_course(shen, index="onset")
    assert [(s.instrument, s.total, s.classification) for s in view.scores] == [
        (s.result.instrument, s.result.total, s.result.classification) for s in summary.scores
    ]


def test_each_unknown_item_says_what_to_enter(shen: PatientCourse) -> None:
    regiscar = episode_view(shen, IDENTIFIED).scores[0]
    unknown = {item.id: item for item in regiscar.unknown_items}
    assert set(unknown) == {
        "atypical_lymphocytes",
        "skin_suggestive",
        "biopsy_suggestive",
        "other_causes_excluded",
    }
    assert unknown["biopsy_suggestive"].enter == ITEM_DATA[("regiscar", "biopsy_suggestive")]
    assert unknown["biopsy_suggestive"].answer == "unknown"
    assert all(item.enter is None for item in regiscar.items if item.known)


def test_every_item_of_the_three_instruments_has_its_data_named() -> None:
    course = read_bundle(EXAMPLES / "sim2022").course("SIM01")
    for score in summarise_course(course, index="onset").scores:
        for item in score.result.items:
            assert (score.result.instrument, item.id) in ITEM_DATA


def test_units_are_shown_as_symbols(shen: PatientCourse) -> None:
    view = episode_view(shen, IDENTIFIED)
    fever = view.scores[0].items[0]
    assert fever.evidence
    assert "39.3 °C" in fever.evidence[0]
    assert "Cel" not in fever.evidence[0]
    assert ("Eosinophils", "×10⁹/L") in view.days.columns
    assert units_as_symbols("rash BSA 35 % and 1140 /uL") == "rash BSA 35% and 1140 /µL"


def test_unknown_stays_unknown(shen: PatientCourse) -> None:
    view = episode_view(shen, IDENTIFIED)
    states = {state.name: state for state in view.states}
    assert states["hyporesponsive"].value == "unknown"
    assert states["hyporesponsive"].remarks  # why it cannot be decided
    assert "unknown" in view.ivig  # IVIG in grams with no weight: g/kg unknown, not 0
    # A day without an ALT reading has no ALT cell value (None), never 0.
    alt = [label for label, _ in view.days.columns].index("ALT")
    assert any(cells[alt] is None for _, _, cells in view.days.rows)
    assert number_text(None) is None
    assert number_text(0.0) == "0"


def test_flares_are_listed_with_the_steroid_of_that_day(shen: PatientCourse) -> None:
    flares = episode_view(shen, IDENTIFIED).flares
    assert [(f.on, f.marker, f.before, f.value) for f in flares] == [
        ("2022-02-02", "itch NRS", "4", "9"),
        ("2022-02-02", "rash BSA", "20%", "60%"),
    ]
    assert flares[0].setting == "during taper"


def test_censored_outcomes_say_where_and_why(shen: PatientCourse) -> None:
    outcomes = {o.outcome: o for o in episode_view(shen, IDENTIFIED, index="dupilumab").outcomes}
    censored = [o for o in outcomes.values() if not o.observed]
    assert censored
    assert all("censored at day" in o.result for o in censored)


def test_a_de_identified_view_holds_no_id_name_or_date(shen: PatientCourse) -> None:
    view = episode_view(shen, RESEARCHER)
    text = repr(view)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert "SHEN" not in text
    assert view.onset == "day 0"
    assert view.episode == "0123456789abcdef"


def test_masking_changes_no_derived_result(shen: PatientCourse) -> None:
    masked, _ = masked_course(shen, episode_name="e" * 16, patient_name="p" * 16)
    mine, theirs = summarise_course(shen, index="onset"), summarise_course(masked, index="onset")
    assert [s.result.total for s in mine.scores] == [s.result.total for s in theirs.scores]
    assert [s.value for s in mine.response.states()] == [s.value for s in theirs.response.states()]
    assert [c.latency_days for c in mine.culprits] == [c.latency_days for c in theirs.culprits]


def test_a_drug_outside_the_vocabulary_is_coded_for_a_researcher(shen: PatientCourse) -> None:
    payload = "Dr Smith's <b>pill</b>"
    course = replace(
        shen,
        drugs=(*shen.drugs, DrugExposure("SHEN", payload, DrugRole.CONCOMITANT, None)),
    )
    view = episode_view(course, RESEARCHER)
    assert payload not in repr(view)
    assert "unlisted-drug-1" in [c.drug for c in view.culprits]
    assert payload in [c.drug for c in episode_view(course, IDENTIFIED).culprits]


def test_index_choices_name_the_agents_as_the_reader_sees_them(shen: PatientCourse) -> None:
    assert "dupilumab" in index_choices(shen, RESEARCHER)
    assert index_choices(shen, IDENTIFIED)[0] == "onset"


def test_a_refused_score_is_named_and_the_rest_of_the_page_stays(shen: PatientCourse) -> None:
    # Eosinophils 1.14 x10^9/L on day 1 with leukocytes 10 x10^9/L and 30 %: 3.0, not 1.14.
    day = shen.episode.onset + timedelta(days=1)
    extra = (
        Observation("SHEN", day, "leukocytes", 10.0, "10*9/L"),
        Observation("SHEN", day, "eosinophils_pct", 30.0, "%"),
    )
    course = replace(shen, observations=(*shen.observations, *extra))
    view = episode_view(course, IDENTIFIED)
    regiscar = view.scores[0]
    assert (regiscar.instrument, regiscar.classification, regiscar.items) == (
        "regiscar",
        "not scored",
        (),
    )
    assert regiscar.problem is not None
    assert "consistent" in regiscar.problem
    assert [s.instrument for s in view.scores] == ["regiscar", "jscar", "bocquet"]
    assert view.states
    assert view.culprits
