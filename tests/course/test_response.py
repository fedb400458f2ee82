"""Steroid response states and flares (clinical-reference.md §9.3, §10)."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from dresskit.course import Finding
from dresskit.course.response import ResponseDefinitions, classify_response, flares
from tests.course.builders import course, day

FEVER = [(-4, 39.0), (-3, 38.9), (-2, 38.8), (-1, 38.7), (0, 38.6)]


def test_two_high_dose_days_without_improvement_is_hyporesponsive() -> None:
    treated = course(observations={"temperature": FEVER}, steroids=[("prednisolone", -3, 5, 60)])
    state = classify_response(treated).hyporesponsive
    assert state.value is True
    assert "2 consecutive days" not in state.evidence[0]  # the run is longer than the minimum
    assert "no improvement by" in state.evidence[0]


def test_defervescence_within_the_window_is_a_response() -> None:
    temps = [(-4, 39.0), (-3, 38.9), (-2, 37.0), (-1, 37.1), (0, 37.0)]
    treated = course(observations={"temperature": temps}, steroids=[("prednisolone", -3, 5, 60)])
    assert classify_response(treated).hyporesponsive.value is False


def test_a_fall_of_exactly_25_percent_counts_as_improvement() -> None:
    treated = course(
        observations={"temperature": FEVER, "alt": [(-3, 400), (-2, 300)]},
        steroids=[("prednisolone", -3, 5, 60)],
    )
    state = classify_response(treated).hyporesponsive
    assert state.value is False
    assert "alt down" in state.evidence[0]


def test_a_fall_of_24_percent_does_not() -> None:
    treated = course(
        observations={"temperature": FEVER, "alt": [(-3, 400), (-2, 304)]},
        steroids=[("prednisolone", -3, 5, 60)],
    )
    assert classify_response(treated).hyporesponsive.value is True


def test_one_high_dose_day_is_not_enough_by_default() -> None:
    treated = course(
        observations={"temperature": FEVER},
        steroids=[("prednisolone", -3, -3, 60), ("prednisolone", -2, 5, 30)],
    )
    assert classify_response(treated).hyporesponsive.value is False
    strict = ResponseDefinitions(hyporesponsive_min_days=1)
    assert classify_response(treated, strict).hyporesponsive.value is True


def test_just_below_1_mg_per_kg_is_not_high_dose() -> None:
    treated = course(observations={"temperature": FEVER}, steroids=[("prednisolone", -3, 5, 59.4)])
    assert classify_response(treated).hyporesponsive.value is False


def test_without_weight_hyporesponsiveness_is_unknown_not_false() -> None:
    treated = course(
        observations={"temperature": FEVER}, steroids=[("prednisolone", -3, 5, 60)], weight_kg=None
    )
    state = classify_response(treated).hyporesponsive
    assert state.value is None
    assert "no weight" in state.remarks[0]


def test_itch_rise_during_taper_is_a_flare_with_that_days_dose() -> None:
    treated = course(
        observations={"itch_nrs": [(0, 8), (5, 4), (9, 7)]},
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 7, 20, 20)],
    )
    (flare,) = flares(treated)
    assert (flare.marker, flare.before, flare.value) == ("itch_nrs", 4, 7)
    assert (flare.prednisone_equivalent_mg, flare.during_taper) == (20, True)
    assert classify_response(treated).dependent.value is True


def test_itch_rise_of_2_is_not_a_flare() -> None:
    treated = course(
        observations={"itch_nrs": [(0, 8), (5, 4), (9, 6)]}, steroids=[("prednisolone", 0, 20, 60)]
    )
    assert flares(treated) == ()


def test_flare_at_full_dose_is_not_during_taper() -> None:
    treated = course(
        observations={"rash_bsa": [(0, 40), (3, 10), (5, 30)]},
        steroids=[("prednisolone", 0, 20, 60)],
    )
    (flare,) = flares(treated)
    assert flare.during_taper is False


def test_fever_returns_after_an_afebrile_day() -> None:
    treated = course(
        observations={"temperature": [(0, 39.0), (2, 37.0), (4, 38.0)]},
        steroids=[("prednisolone", 0, 20, 60)],
    )
    assert [f.marker for f in flares(treated)] == ["fever"]


def test_alt_above_twice_uln_after_falling_below() -> None:
    treated = course(
        observations={"alt": [(0, 500), (4, 70), (8, 90)]}, steroids=[("prednisolone", 0, 20, 60)]
    )
    assert [(f.marker, f.value) for f in flares(treated)] == [("alt", 90)]


def test_eosinophils_back_to_0_7_after_below_0_5() -> None:
    treated = course(
        observations={"eosinophils": [(0, 2.0), (3, 0.4), (6, 0.7)]},
        steroids=[("prednisolone", 0, 20, 60)],
    )
    assert [f.marker for f in flares(treated)] == ["eosinophils"]


def test_steroid_adverse_effect_finding_makes_it_dependent() -> None:
    treated = replace(
        course(steroids=[("prednisolone", 0, 5, 60)]),
        findings=(Finding("e1", day(3), "steroid_adverse_effect", "present"),),
    )
    state = classify_response(treated).dependent
    assert state.value is True
    assert "adverse" in state.evidence[0]


def test_rash_not_resolved_after_7_high_dose_days_is_resistant() -> None:
    treated = course(
        observations={"rash_bsa": [(0, 60), (6, 30)]}, steroids=[("prednisolone", 0, 10, 60)]
    )
    assert classify_response(treated).resistant.value is True


def test_rash_resolved_within_7_days_is_not_resistant() -> None:
    treated = course(
        observations={"rash_bsa": [(0, 60), (5, 0)]}, steroids=[("prednisolone", 0, 10, 60)]
    )
    assert classify_response(treated).resistant.value is False


def test_resistance_is_unknown_without_rash_assessments() -> None:
    assert classify_response(course(steroids=[("prednisolone", 0, 10, 60)])).resistant.value is None


def test_type2_with_persisting_itch_and_raised_ige() -> None:
    base = course(
        observations={"itch_nrs": [(0, 9), (7, 9)]}, steroids=[("prednisolone", 0, 10, 60)]
    )
    from dresskit.course import Observation

    treated = replace(
        base,
        observations=(*base.observations, Observation("e1", day(2), "total_ige", 3127, "kU/L")),
    )
    state = classify_response(treated).type2_profile
    assert state.value is True
    assert any("IgE 3127" in text for text in state.evidence)


def test_type2_with_earlier_eosinophilia() -> None:
    treated = course(
        observations={"itch_nrs": [(0, 8), (7, 7)], "eosinophils": [(-5, 1.2)]},
        steroids=[("prednisolone", 0, 10, 60)],
    )
    assert classify_response(treated).type2_profile.value is True


def test_itch_without_eosinophilia_and_ige_never_measured_is_unknown_not_false() -> None:
    """§10 (issue 11): this used to be False; unknown stays unknown."""
    treated = course(
        observations={"itch_nrs": [(0, 9), (7, 9)]}, steroids=[("prednisolone", 0, 10, 60)]
    )
    state = classify_response(treated).type2_profile
    assert state.value is None
    assert "total IgE never measured" in state.remarks[0]


def test_type2_unknown_without_itch_ratings() -> None:
    assert (
        classify_response(course(steroids=[("prednisolone", 0, 10, 60)])).type2_profile.value
        is None
    )


def test_definitions_are_printed_with_every_state() -> None:
    result = classify_response(course(steroids=[("prednisolone", 0, 10, 60)]))
    assert all(state.definition for state in result.states())
    assert result.definitions.describe()["high_dose_mg_per_kg"] == 1.0


@given(st.randoms())
@settings(max_examples=20, deadline=None)
def test_result_does_not_depend_on_observation_order(rng: random.Random) -> None:
    base = course(
        observations={
            "itch_nrs": [(0, 8), (5, 4), (9, 7)],
            "temperature": FEVER,
            "alt": [(0, 500), (4, 70), (8, 90)],
        },
        steroids=[("prednisolone", -3, 6, 60), ("prednisolone", 7, 20, 20)],
    )
    shuffled = list(base.observations)
    rng.shuffle(shuffled)
    assert classify_response(base) == classify_response(replace(base, observations=tuple(shuffled)))
