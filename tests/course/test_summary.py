"""The day-by-day course summary."""

from __future__ import annotations

from dataclasses import replace

from dresskit.course import BiologicRegimen
from dresskit.course.summary import summarise_course
from tests.course.builders import course, day


def test_daily_table_spans_onset_to_last_follow_up_with_day_numbers() -> None:
    summary = summarise_course(course(last_follow_up=20))
    assert summary.days[0].on == day(-10)
    assert summary.days[0].day == -10
    assert summary.days[-1].day == 20


def test_daily_table_shows_max_temperature_and_steroid_equivalent() -> None:
    treated = course(
        observations={"temperature": [(0, 38.2), (0, 39.1)], "alt": [(0, 300), (1, 250)]},
        steroids=[("methylprednisolone", -2, 3, 40)],
    )
    row = next(d for d in summarise_course(treated).days if d.day == 0)
    assert row.max_temperature_cel == 39.1
    assert row.alt_u_per_l == 300
    assert row.prednisone_equivalent_mg == 50.0
    assert row.steroid_agents == ("methylprednisolone 40 mg",)
    assert row.ivig_g_per_kg == 0.4


def test_days_without_data_stay_empty_not_zero() -> None:
    row = next(d for d in summarise_course(course()).days if d.day == 5)
    assert row.alt_u_per_l is None
    assert row.prednisone_equivalent_mg is None


def test_biologic_doses_appear_on_their_days() -> None:
    treated = replace(
        course(),
        biologics=(BiologicRegimen("e1", "dupilumab", day(1), 300, 14, loading_dose_mg=600),),
    )
    rows = {d.day: d for d in summarise_course(treated).days}
    assert rows[1].biologics == ("dupilumab 600 mg",)
    assert rows[15].biologics == ("dupilumab 300 mg",)


def test_outcomes_are_counted_from_the_chosen_index() -> None:
    treated = course(
        observations={"alt": [(-5, 300), (-2, 30), (0, 20)]}, steroids=[("prednisone", -5, 10, 60)]
    )
    by_ivig = {o.outcome: o for o in summarise_course(treated).outcomes}
    by_steroid = {o.outcome: o for o in summarise_course(treated, index="steroid").outcomes}
    assert by_ivig["alt_normalisation"].days == 0
    assert by_steroid["alt_normalisation"].days == 3
