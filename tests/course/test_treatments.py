"""IVIG totals, biologic schedules and index events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from dresskit.course import BiologicRegimen, IvigDose, OtherTreatment
from dresskit.course.treatments import biologic_doses, index_date, index_events, ivig_total
from dresskit.errors import InputError
from tests.course.builders import DAY0, course, day


def test_ivig_split_over_five_days_totals_2_g_per_kg() -> None:
    """0.4 g/kg/day x 5 days = 2 g/kg (clinical-reference.md §9.1)."""
    total = ivig_total(course(ivig_days=(0, 1, 2, 3, 4)))
    assert (total.days, total.g_per_kg, total.grams, total.first_day) == (5, 2.0, 120.0, DAY0)


def test_ivig_in_grams_without_weight_leaves_g_per_kg_unknown() -> None:
    """Shen et al. 2024 give 'immunoglobulin 20 g/d' and no weight."""
    base = course(weight_kg=None, ivig_days=())
    treated = replace(base, ivig=tuple(IvigDose("e1", day(n), dose_g=20) for n in range(3)))
    total = ivig_total(treated)
    assert (total.grams, total.g_per_kg) == (60.0, None)
    assert total.remarks


def test_dupilumab_regimen_expands_loading_then_every_14_days() -> None:
    """Shen et al. 2024: 600 mg loading then 300 mg every 2 weeks, 16 weeks in all."""
    regimen = BiologicRegimen(
        "e1", "dupilumab", day(0), 300, 14, end=day(16 * 7 - 1), loading_dose_mg=600
    )
    doses = biologic_doses(regimen, last_day=day(200))
    assert [dose.dose_mg for dose in doses] == [600] + [300] * 7
    assert doses[1].on == day(14)


def test_regimen_stops_at_last_follow_up() -> None:
    regimen = BiologicRegimen("e1", "mepolizumab", day(0), 100, 28)
    assert len(biologic_doses(regimen, last_day=day(60))) == 3


def test_zero_interval_is_refused() -> None:
    with pytest.raises(InputError, match="days >= 1"):
        biologic_doses(BiologicRegimen("e1", "x", day(0), 1, 0), last_day=day(5))


def test_index_events_name_every_first_dose() -> None:
    treated = replace(
        course(steroids=[("prednisone", -5, 10, 60)]),
        other_treatments=(OtherTreatment("e1", "cyclosporine", day(20), None),),
    )
    events = index_events(treated)
    assert events["steroid"] == day(-5)
    assert events["ivig"] == day(0)
    assert events["onset"] == day(-10)
    assert events["cyclosporine"] == day(20)


def test_unknown_index_lists_the_events_the_course_has() -> None:
    with pytest.raises(InputError) as caught:
        index_date(course(), "dupilumab")
    assert "ivig" in caught.value.expected
    assert caught.value.value == "dupilumab"


def test_admission_is_an_index_when_recorded() -> None:
    treated = course()
    admitted = replace(treated, episode=replace(treated.episode, admission=date(2020, 3, 1)))
    assert index_date(admitted, "admission") == date(2020, 3, 1)
