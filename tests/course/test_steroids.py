"""Prednisone equivalents, daily doses, cumulative dose and taper steps (reference §8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.course.steroids import (
    EQUIVALENT_DOSE_MG,
    cumulative_prednisone_equivalent_mg,
    daily_steroid_doses,
    equivalent_doses,
    prednisone_equivalent_mg,
    taper_steps,
)
from dresskit.errors import InputError
from tests.course.builders import course, day


@pytest.mark.parametrize(
    ("agent", "dose", "prednisone"),
    [
        ("prednisone", 5, 5),
        ("prednisolone", 5, 5),
        ("methylprednisolone", 4, 5),
        ("methylprednisolone", 40, 50),  # Shen et al. 2024: "equivalent to prednisone 50 mg/d"
        ("triamcinolone", 4, 5),
        ("hydrocortisone", 20, 5),
        ("cortisone", 25, 5),
        ("dexamethasone", 0.75, 5),
        ("betamethasone", 0.6, 5),
    ],
)
def test_equivalent_doses_follow_meikle_and_tyler(
    agent: str, dose: float, prednisone: float
) -> None:
    assert prednisone_equivalent_mg(agent, dose) == pytest.approx(prednisone)


def test_betamethasone_value_is_a_parameter() -> None:
    table = equivalent_doses(betamethasone_mg=0.75)
    assert prednisone_equivalent_mg("betamethasone", 0.75, table=table) == pytest.approx(5)


def test_other_betamethasone_values_are_refused() -> None:
    with pytest.raises(InputError, match=r"0\.6 or 0\.75"):
        equivalent_doses(betamethasone_mg=0.5)


def test_unknown_agent_is_refused_listing_the_table() -> None:
    with pytest.raises(InputError) as caught:
        prednisone_equivalent_mg("budesonide", 9)
    assert "methylprednisolone" in caught.value.expected


def test_daily_doses_span_gaps_as_real_zero_days() -> None:
    treated = course(steroids=[("prednisolone", 0, 1, 60), ("prednisolone", 3, 3, 30)])
    days = daily_steroid_doses(treated)
    assert [d.prednisone_equivalent_mg for d in days] == [60, 60, 0, 30]


def test_mg_per_kg_uses_latest_weight_and_is_unknown_without_one() -> None:
    assert daily_steroid_doses(course(steroids=[("prednisone", 0, 0, 60)]))[0].mg_per_kg == 1.0
    unweighed = course(steroids=[("prednisone", 0, 0, 60)], weight_kg=None)
    assert daily_steroid_doses(unweighed)[0].mg_per_kg is None


def test_two_agents_on_one_day_add_up() -> None:
    treated = course(steroids=[("prednisone", 0, 0, 20), ("dexamethasone", 0, 0, 1.5)])
    assert daily_steroid_doses(treated)[0].prednisone_equivalent_mg == pytest.approx(30)


def test_running_segment_lasts_to_last_follow_up() -> None:
    treated = course(steroids=[("prednisone", 0, None, 10)], last_follow_up=4)
    assert daily_steroid_doses(treated)[-1].on == day(4)


def test_cumulative_dose_and_taper_steps() -> None:
    """Shen et al. 2024: prednisolone 30 mg/d for a week, then down 5 mg a week."""
    taper = [("prednisolone", 0, 6, 30), ("prednisolone", 7, 13, 25), ("prednisolone", 14, 20, 20)]
    days = daily_steroid_doses(course(steroids=taper))
    assert cumulative_prednisone_equivalent_mg(days) == 7 * 30 + 7 * 25 + 7 * 20
    assert cumulative_prednisone_equivalent_mg(days, until=day(6)) == 210
    assert [(step[0], step[1], step[2]) for step in taper_steps(days)] == [
        (day(7), 30, 25),
        (day(14), 25, 20),
    ]


@given(st.sampled_from(sorted(EQUIVALENT_DOSE_MG)), st.floats(0.1, 2000))
def test_equivalence_is_linear(agent: str, dose: float) -> None:
    assert prednisone_equivalent_mg(agent, 2 * dose) == pytest.approx(
        2 * prednisone_equivalent_mg(agent, dose), abs=0.002
    )
