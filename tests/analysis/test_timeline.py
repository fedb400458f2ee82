"""Course timelines of the bundled Shen 2024 and Sim 2022 reconstructions.

Numbers come from Shen C et al. J Investig Allergol Clin Immunol 2024;34(2):145-147 (text and
Figure) as encoded in ``examples/shen2024`` (dates assumed, see ``examples/README.md``), and
from ``examples/sim2022`` (Sim et al. Clin Transl Sci 2022;15:782, Table 1).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dresskit.analysis.timeline import CourseTimeline, course_timeline
from dresskit.bundle import read_bundle
from dresskit.course.model import EpisodeOutcome, PatientCourse
from dresskit.course.response import ResponseDefinitions, classify_response
from dresskit.course.steroids import daily_steroid_doses
from dresskit.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def shen_course() -> PatientCourse:
    return read_bundle(EXAMPLES / "shen2024").course("SHEN")


@pytest.fixture(scope="module")
def shen(shen_course: PatientCourse) -> CourseTimeline:
    return course_timeline(shen_course, index="dupilumab")


@pytest.fixture(scope="module")
def sim14() -> CourseTimeline:
    return course_timeline(read_bundle(EXAMPLES / "sim2022").course("SIM14"), index="ivig")


def test_day0_is_the_first_dupilumab_dose(shen: CourseTimeline) -> None:
    """Dupilumab from 2 weeks after admission (2022-02-16 in the reconstruction)."""
    assert shen.index_date == date(2022, 3, 2)
    assert shen.index_label == "first dupilumab dose"
    assert "first dupilumab dose" in shen.title
    assert shen.onset_day == -58
    assert shen.admission_day == -14
    assert shen.last_follow_up_day == 261
    assert shen.outcome is EpisodeOutcome.RECOVERED


def test_relapse_flare_is_found_at_prednisolone_20_mg_per_day(shen: CourseTimeline) -> None:
    """Shen 2024: "a severe relapse during dose reduction (oral prednisolone 20 mg/d)".

    Encoded as itch NRS 4 -> 9 and BSA 20 -> 60 % on 2022-02-02, 28 days before day 0.
    """
    assert len(shen.flares) == 1
    (flare,) = shen.flares
    assert flare.day == -28
    assert flare.markers == ("itch_nrs", "rash_bsa")
    assert flare.steroid_doses == (("prednisolone", 20.0),)
    assert flare.prednisone_equivalent_mg == 20.0
    assert flare.during_taper is True


def test_a_given_response_supplies_the_flares(shen_course: PatientCourse) -> None:
    # With a rise of 6 required, the itch NRS 4 -> 9 no longer counts; the BSA rise still does.
    response = classify_response(shen_course, ResponseDefinitions(flare_itch_rise=6))
    timeline = course_timeline(shen_course, index="dupilumab", response=response)
    assert [(flare.day, flare.markers) for flare in timeline.flares] == [(-28, ("rash_bsa",))]


def test_dupilumab_doses_every_14_days_after_a_600_mg_loading_dose(shen: CourseTimeline) -> None:
    """Shen 2024: "600 mg loading dose followed by 300 mg every 2 weeks", 16 weeks: 8 doses."""
    doses = shen.biologic_doses
    assert [dose.day for dose in doses] == list(range(0, 99, 14))
    assert [(dose.dose_mg, dose.loading) for dose in doses] == [(600.0, True)] + [
        (300.0, False)
    ] * 7
    assert {dose.agent for dose in doses} == {"dupilumab"}


def test_treatment_bars_by_agent_with_dose_text(shen: CourseTimeline) -> None:
    assert shen.lanes == (
        "prednisone",
        "prednisolone",
        "dexamethasone",
        "methylprednisolone",
        "IVIG",
        "dupilumab",
        "adalimumab",
    )
    by_lane = {bar.lane: bar for bar in shen.bars if bar.kind != "steroid"}
    dupilumab = by_lane["dupilumab"]
    assert (dupilumab.kind, dupilumab.start_day, dupilumab.end_day) == ("biologic", 0, 111)
    assert dupilumab.dose_text == "dupilumab 600 mg then 300 mg q14d"
    ivig = by_lane["IVIG"]
    assert (ivig.start_day, ivig.end_day, ivig.dose_text) == (-58, -52, "IVIG 20 g/day")
    assert (by_lane["adalimumab"].start_day, by_lane["adalimumab"].end_day) == (-58, -58)
    assert by_lane["adalimumab"].dose_text == "adalimumab 80 mg"
    relapse = [bar for bar in shen.bars if bar.dose_text == "prednisolone 20 mg/day"]
    assert [(bar.start_day, bar.end_day) for bar in relapse] == [(-29, -26)]
    assert len(shen.bars) == 13
    assert not any(bar.running for bar in shen.bars)


def test_ivig_days_are_the_seven_days_from_onset(shen: CourseTimeline) -> None:
    assert shen.ivig_days == tuple(range(-58, -51))


def test_steroid_series_is_the_daily_prednisone_equivalent_dose(
    shen: CourseTimeline, shen_course: PatientCourse
) -> None:
    """Dexamethasone 10 mg/d is 66.667 mg prednisone; methylprednisolone 40 mg/d is 50."""
    expected = daily_steroid_doses(shen_course)
    assert shen.steroid is not None
    assert shen.steroid.prednisone_equivalent_mg == tuple(
        day.prednisone_equivalent_mg for day in expected
    )
    assert shen.steroid.days == tuple(range(-58, -58 + len(expected)))
    assert shen.steroid.on(-28) == 20.0
    assert shen.steroid.on(-34) == 66.667
    assert shen.steroid.on(-20) == 50.0
    assert shen.steroid.on(21) is None  # after the last steroid day: no value, not 0


def test_ige_series_holds_3127_and_645_ku_per_l(shen: CourseTimeline) -> None:
    """Shen 2024: total IgE 3127 on admission, 645 after 3 months of dupilumab."""
    ige = shen.series_of("total_ige")
    assert ige is not None
    assert ige.values == (3127.0, 645.0)
    assert ige.unit == "kU/L"
    assert ige.days == (-12.0, 90.0)


def test_eosinophils_are_in_10e9_per_litre(shen: CourseTimeline) -> None:
    """Shen 2024: 1140/µL at onset and 37.0/µL after admission."""
    eosinophils = shen.series_of("eosinophils")
    assert eosinophils is not None
    assert eosinophils.unit == "10*9/L"
    assert eosinophils.values == pytest.approx((1.14, 0.037))


def test_itch_and_bsa_series_follow_the_record(shen: CourseTimeline) -> None:
    itch, bsa = shen.series_of("itch_nrs"), shen.series_of("rash_bsa")
    assert itch is not None
    assert bsa is not None
    assert itch.values[:7] == (8.0, 6.0, 6.0, 4.0, 4.0, 9.0, 9.0)
    assert bsa.values[4:6] == (20.0, 60.0)
    assert itch.days == bsa.days


def test_time_of_day_is_kept_as_a_fraction(shen: CourseTimeline) -> None:
    """39.3 °C at 18:00 on the day of onset (day -58)."""
    temperature = shen.series_of("temperature")
    assert temperature is not None
    assert temperature.days == (-57.25,)
    assert temperature.values == (39.3,)


def test_absent_series_are_absent_not_zero_filled(sim14: CourseTimeline) -> None:
    """Sim 2022 records temperature, ALT and eosinophils only: no IgE, itch or BSA series."""
    assert sim14.series_of("total_ige") is None
    assert sim14.series_of("itch_nrs") is None
    assert sim14.series_of("rash_bsa") is None
    assert [series.code for series in sim14.series] == ["eosinophils", "temperature", "alt"]


def test_running_steroid_runs_to_last_follow_up(sim14: CourseTimeline) -> None:
    """SIM14: transferred and lost 3 days after IVIG start, steroid still running."""
    assert sim14.last_follow_up_day == 3
    (steroid,) = [bar for bar in sim14.bars if bar.kind == "steroid"]
    assert (steroid.start_day, steroid.end_day, steroid.running) == (-2, 3, True)
    assert sim14.ivig_days == (0, 1, 2, 3)
    assert sim14.index_label == "first IVIG dose"


def test_unknown_index_is_refused(shen_course: PatientCourse) -> None:
    with pytest.raises(InputError, match="index"):
        course_timeline(shen_course, index="cyclosporine")


def test_last_data_day_is_the_last_thing_drawn_not_the_last_follow_up(
    shen: CourseTimeline,
) -> None:
    """Shen: itch NRS and BSA last recorded on day 112; follow-up goes on to day 261."""
    assert shen.last_data_day == 112.0
    assert shen.last_follow_up_day > 200
