"""Derived outcomes (clinical-reference.md §10) and their censoring."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from dresskit.course import EpisodeOutcome, PatientCourse, Sex
from dresskit.course.outcomes import (
    days_to_alt_normalisation,
    days_to_defervescence,
    days_to_eosinophil_normalisation,
    days_to_rash_resolution,
    days_to_steroid_discontinuation,
    itch_change,
    steroid_days_after_index,
    steroid_days_before_index,
)
from tests.course.builders import course, day


def test_defervescence_on_day_0_when_afebrile_from_ivig_start() -> None:
    result = days_to_defervescence(
        course(observations={"temperature": [(-1, 39.0), (0, 37.2), (1, 36.9), (2, 36.8)]})
    )
    assert (result.days, result.observed) == (0, True)


def test_defervescence_needs_48_hours_below_37_5() -> None:
    temps = [(0, 38.9), (1, 37.0), (2, 37.6), (3, 37.1), (4, 36.9), (5, 36.8)]
    assert days_to_defervescence(course(observations={"temperature": temps})).days == 3


def test_37_5_is_not_afebrile() -> None:
    temps = [(0, 37.5), (1, 37.4), (2, 37.4)]
    assert days_to_defervescence(course(observations={"temperature": temps})).days == 1


def test_every_reading_of_a_day_counts() -> None:
    temps = [(0, 37.0), (0, 38.6), (1, 37.0), (2, 37.0)]
    assert days_to_defervescence(course(observations={"temperature": temps})).days == 1


def test_defervescence_at_end_of_record_counts_when_alive() -> None:
    temps = [(0, 39.0), (1, 39.0), (2, 37.0)]
    result = days_to_defervescence(course(observations={"temperature": temps}))
    assert (result.days, result.observed) == (2, True)


def test_afebrile_last_reading_before_death_is_censored_as_competing_death() -> None:
    temps = [(0, 39.0), (1, 39.0), (2, 37.0)]
    result = days_to_defervescence(
        course(observations={"temperature": temps}, outcome=EpisodeOutcome.DIED, last_follow_up=2)
    )
    assert (result.observed, result.days, result.censor_reason, result.competing_event) == (
        False,
        None,
        "died",
        "death",
    )


def _died(built: PatientCourse, death_day: int | None) -> PatientCourse:
    """The same course with the patient dead on ``death_day`` (``None``: no date recorded)."""
    death = day(death_day) if death_day is not None else None
    return replace(built, episode=replace(built.episode, death=death))


def test_competing_death_is_dated_by_the_date_of_death_not_the_last_measurement() -> None:
    temps = [(0, 39.0), (1, 39.0), (2, 38.5)]
    built = course(
        observations={"temperature": temps}, outcome=EpisodeOutcome.DIED, last_follow_up=9
    )
    result = days_to_defervescence(_died(built, 7))
    assert (result.followed_up_days, result.censor_reason, result.competing_event) == (
        2,
        "died",
        "death",
    )
    assert result.competing_event_days == 7


def test_death_without_a_recorded_date_competes_at_the_last_follow_up() -> None:
    temps = [(0, 39.0), (1, 39.0)]
    built = course(
        observations={"temperature": temps}, outcome=EpisodeOutcome.DIED, last_follow_up=9
    )
    assert days_to_defervescence(_died(built, None)).competing_event_days == 9


def test_outcome_never_measured_after_day_0_of_a_patient_who_died_is_no_data_after_index() -> None:
    built = _died(
        course(
            observations={"alt": [(-3, 300.0)], "temperature": [(-1, 39.0)]},
            outcome=EpisodeOutcome.DIED,
            last_follow_up=20,
        ),
        20,
    )
    for result in (days_to_alt_normalisation(built), days_to_defervescence(built)):
        assert (result.observed, result.days, result.followed_up_days) == (False, None, 0)
        assert result.censor_reason == "no_data_after_index"
        assert result.competing_event is None
        assert result.competing_event_days is None


def test_no_steroid_in_a_patient_who_died_is_no_data_after_index_not_death() -> None:
    built = _died(course(outcome=EpisodeOutcome.DIED, last_follow_up=5), 5)
    result = steroid_days_after_index(built)
    assert (result.censor_reason, result.competing_event) == ("no_data_after_index", None)


def test_persistent_fever_is_censored_never_a_number() -> None:
    temps = [(0, 39.0), (1, 38.8), (5, 38.7)]
    result = days_to_defervescence(
        course(observations={"temperature": temps}, outcome=EpisodeOutcome.TRANSFERRED)
    )
    assert result.days is None
    assert (result.followed_up_days, result.censor_reason) == (5, "transferred")
    assert result.describe() == "censored at day 5 (transferred)"


def test_no_temperature_after_index_is_censored_with_its_own_reason() -> None:
    result = days_to_defervescence(course(observations={"temperature": [(-2, 39.0)]}))
    assert result.censor_reason == "no_data_after_index"


def test_alt_normalisation_needs_confirmation_at_next_measurement() -> None:
    alt = [(0, 300), (3, 38), (5, 55), (9, 40), (13, 30)]
    result = days_to_alt_normalisation(course(observations={"alt": alt}))
    assert (result.days, result.observed) == (9, True)


def test_alt_already_normal_on_day_0_gives_0() -> None:
    assert days_to_alt_normalisation(course(observations={"alt": [(0, 35), (2, 30)]})).days == 0


def test_alt_normal_last_measurement_counts() -> None:
    assert days_to_alt_normalisation(course(observations={"alt": [(0, 200), (7, 39)]})).days == 7


def test_alt_uln_is_per_sex_when_given() -> None:
    alt = [(0, 200), (4, 45), (8, 30)]
    male = course(observations={"alt": alt}, sex=Sex.MALE)
    assert days_to_alt_normalisation(male, uln_by_sex={Sex.MALE: 50}).days == 4
    assert days_to_alt_normalisation(male).days == 8


def test_alt_never_normal_for_lost_patient_is_censored() -> None:
    result = days_to_alt_normalisation(
        course(observations={"alt": [(0, 900), (2, 700)]}, outcome=EpisodeOutcome.LOST_TO_FOLLOW_UP)
    )
    assert (result.observed, result.censor_reason, result.followed_up_days) == (
        False,
        "lost_to_follow_up",
        2,
    )


def test_ongoing_episode_censors_at_end_of_data() -> None:
    result = days_to_alt_normalisation(
        course(observations={"alt": [(0, 900)]}, outcome=EpisodeOutcome.ONGOING)
    )
    assert result.censor_reason == "end_of_data"


def test_eosinophils_normal_below_0_5() -> None:
    eos = [(0, 2.1), (2, 0.5), (4, 0.49), (6, 0.3)]
    assert days_to_eosinophil_normalisation(course(observations={"eosinophils": eos})).days == 4


def test_rash_resolution_when_bsa_reaches_0_and_stays() -> None:
    bsa = [(0, 60), (5, 0), (6, 5), (8, 0), (10, 0)]
    assert days_to_rash_resolution(course(observations={"rash_bsa": bsa})).days == 8


def test_itch_change_from_baseline() -> None:
    result = itch_change(
        course(observations={"itch_nrs": [(-3, 9), (0, 9), (10, 3)]}), index="ivig", at_day=14
    )
    assert (result.baseline, result.later, result.change) == (9, 3, -6)


def test_itch_change_unknown_without_baseline() -> None:
    result = itch_change(course(observations={"itch_nrs": [(10, 3)]}), index="ivig", at_day=14)
    assert result.change is None
    assert "no itch rating on or before day 0" in result.remarks


def test_steroid_durations_before_and_after_ivig() -> None:
    """Sim et al. 2022 Table 1 patient 6: 10 days before, 3 after."""
    treated = course(steroids=[("prednisolone", -10, -1, 60), ("prednisolone", 0, 3, 30)])
    assert steroid_days_before_index(treated) == 10
    after = steroid_days_after_index(treated)
    assert (after.days, after.observed) == (3, True)
    assert days_to_steroid_discontinuation(treated).days == 4


def test_steroid_after_is_censored_when_still_given_at_last_follow_up() -> None:
    """Sim et al. 2022 Table 1 patient 14 (lost to follow-up): '—'."""
    treated = course(
        steroids=[("prednisolone", -2, None, 120)],
        outcome=EpisodeOutcome.LOST_TO_FOLLOW_UP,
        last_follow_up=1,
    )
    after = steroid_days_after_index(treated)
    assert (after.observed, after.days, after.censor_reason) == (False, None, "lost_to_follow_up")


def test_steroids_stopped_before_the_index_give_zero_days_after_never_negative() -> None:
    treated = course(steroids=[("prednisolone", -10, -3, 60)])
    after = steroid_days_after_index(treated)
    assert (after.days, after.observed) == (0, True)


def test_no_steroids_gives_no_duration() -> None:
    assert steroid_days_before_index(course()) is None
    assert steroid_days_after_index(course()).censor_reason == "no_data_after_index"


@given(
    st.lists(st.tuples(st.integers(0, 30), st.floats(36.0, 40.0)), min_size=1, max_size=40),
    st.randoms(),
)
def test_outcomes_do_not_depend_on_row_order(
    temps: list[tuple[int, float]], rng: random.Random
) -> None:
    shuffled = list(temps)
    rng.shuffle(shuffled)
    assert days_to_defervescence(
        course(observations={"temperature": temps})
    ) == days_to_defervescence(course(observations={"temperature": shuffled}))


@given(st.lists(st.tuples(st.integers(0, 30), st.floats(5.0, 2000.0)), min_size=1, max_size=40))
def test_an_observed_event_is_within_the_data(alt: list[tuple[int, float]]) -> None:
    result = days_to_alt_normalisation(course(observations={"alt": alt}))
    if result.observed:
        assert result.days is not None
        assert 0 <= result.days <= result.followed_up_days
    else:
        assert result.days is None
        assert result.censor_reason is not None


def test_outcome_functions_do_not_mutate_the_course() -> None:
    treated: PatientCourse = course(
        observations={"alt": [(0, 300), (3, 20)]}, steroids=[("prednisone", -3, 5, 60)]
    )
    snapshot = repr(treated)
    days_to_alt_normalisation(treated)
    steroid_days_after_index(treated)
    assert repr(treated) == snapshot
    assert day(0) == treated.ivig[0].on
